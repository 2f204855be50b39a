# The two commands a newcomer needs: `make up` runs the fleet, `make test` runs every test.
# Both bootstrap uv with pip when it is missing, sync the workspace and build the stubs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen
# Trust the machine's certificate store (corporate proxies, private registries) as pip does.
export UV_SYSTEM_CERTS ?= 1
PYTEST_ARGS ?=
# The contract the protos must stay compatible with; a pull request's CI sets origin/main.
PROTO_BASE ?= HEAD

.PHONY: help bootstrap sync protos protos-check up test test-unit test-e2e lint fmt deploy-check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv

sync: bootstrap ## install the locked workspace into .venv
	@$(UV) sync --frozen --all-packages --quiet

protos: sync ## generate the typed gRPC stubs from protos/
	@$(RUN) python tools/build_stubs.py

protos-check: ## fail when the generated stubs are stale
	@$(RUN) python tools/build_stubs.py --check

up: protos ## run the whole fleet (embedded PostgreSQL/NATS/Redis unless *_URL are set)
	@$(RUN) python -m eqr_launcher up

test: protos lint ## every test: unit, service (real PostgreSQL/NATS/Redis) and e2e
	@$(RUN) pytest $(PYTEST_ARGS)

test-unit: protos ## the fast tests only (no infrastructure)
	@$(RUN) pytest -m "not infra and not e2e" $(PYTEST_ARGS)

test-e2e: protos ## the black-box tests: the whole fleet through the gateway
	@$(RUN) pytest tests/e2e $(PYTEST_ARGS)

lint: protos ## ruff, mypy, import-linter, buf lint + breaking, stale stubs, deploy files
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) mypy
	@$(RUN) lint-imports
	@cd protos && $(RUN) buf lint
	@cd protos && $(RUN) buf breaking --against '../.git#ref=$(PROTO_BASE),subdir=protos'
	@$(RUN) python tools/build_stubs.py --check
	@$(MAKE) --no-print-directory deploy-check

deploy-check: sync ## validate the Dockerfile, compose, Helm charts and the Tiltfile (no Docker needed)
	@$(RUN) python tools/check_deploy.py

fmt: sync ## format and autofix
	@$(RUN) ruff format .
	@$(RUN) ruff check --fix .

bench: protos ## benchmarks (results go to docs/benchmarks.md)
	@$(RUN) python -m bench

clean: ## remove generated files, caches and local data (.data/)
	@$(RUN) python tools/build_stubs.py --clean 2>/dev/null || true
	rm -rf .data .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
