# syntax=docker/dockerfile:1
# Every image of the fleet, one final target each. Build from the repository root, naming the target
# and the workspace member (its package and folder) that the shared builder installs:
#   docker build --target auth --build-arg SERVICE_PACKAGE=eqr-auth --build-arg SERVICE_DIR=services/auth -t eqr/auth .
#   docker build --target market-data --build-arg SERVICE_PACKAGE=eqr-market-data --build-arg SERVICE_DIR=services/market-data -t eqr/market-data .
#   docker build --target portfolio --build-arg SERVICE_PACKAGE=eqr-portfolio --build-arg SERVICE_DIR=services/portfolio -t eqr/portfolio .
#   docker build --target options --build-arg SERVICE_PACKAGE=eqr-options --build-arg SERVICE_DIR=services/options -t eqr/options .
#   docker build --target gateway --build-arg SERVICE_PACKAGE=eqr-gateway --build-arg SERVICE_DIR=gateway -t eqr/gateway .
# docker-compose.yml and the Tiltfile pass the same arguments; tools/check_deploy.py checks that they
# and these lines name every target with its own member.
#
# Why build arguments rather than a default set by each target: a stage sees only the ARGs declared
# before the first FROM and the values given with --build-arg, never what a later stage declares. The
# builder is shared, so the target it ends in cannot tell it which member to install; that would take
# one copy of the builder per target. Built without the arguments, the builder stops and says so; a
# target built with another member's arguments stops on its module check.
#
# Stages: uv (the binary) -> workspace (uv.lock and every member's pyproject.toml) -> stubs (the gRPC
# stubs, generated once for all images) and builder (one member's venv) -> runtime (non-root, the venv
# and nothing else) -> grpc-service (the gRPC health check) -> the targets, which add only metadata.
ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9
ARG SERVICE_PACKAGE
ARG SERVICE_DIR

FROM ${UV_IMAGE} AS uv

# The workspace as uv reads it: uv needs every member's pyproject.toml to resolve any one of them.
FROM ${PYTHON_IMAGE} AS workspace
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY protos/pyproject.toml protos/
COPY libs/eqr-platform/pyproject.toml libs/eqr-platform/
COPY libs/eqr-launcher/pyproject.toml libs/eqr-launcher/
COPY libs/eqr-testing/pyproject.toml libs/eqr-testing/
COPY services/auth/pyproject.toml services/auth/
COPY services/market-data/pyproject.toml services/market-data/
COPY services/portfolio/pyproject.toml services/portfolio/
COPY services/options/pyproject.toml services/options/
COPY gateway/pyproject.toml gateway/

# The stubs, by tools/build_stubs.py. The generator lives in a throwaway venv pinned by the dev group of
# uv.lock, so the images get exactly the stubs `make protos` generates; this stage declares no service
# argument, so every image shares one build of it, and only its protos/ reaches the builder.
FROM workspace AS stubs
RUN --mount=type=cache,target=/root/.cache/uv \
    uv export --frozen --only-group dev --no-emit-workspace --no-hashes --output-file /tmp/dev-pins.txt \
    && uv venv /opt/stubgen \
    && uv pip install --python /opt/stubgen/bin/python --constraint /tmp/dev-pins.txt grpcio-tools mypy-protobuf
COPY tools/build_stubs.py tools/
COPY protos/ protos/
RUN PATH="/opt/stubgen/bin:${PATH}" python tools/build_stubs.py

# One member's environment in /opt/venv.
FROM workspace AS builder
ARG SERVICE_PACKAGE
ARG SERVICE_DIR
RUN if [ -z "${SERVICE_PACKAGE}" ] || [ -z "${SERVICE_DIR}" ]; then \
        echo "name the member to install: --build-arg SERVICE_PACKAGE=eqr-<id> --build-arg SERVICE_DIR=<its folder> (the header of the Dockerfile lists them)" >&2; \
        exit 1; \
    fi
# Third-party dependencies first: this layer changes only with the lock or a pyproject.toml.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${SERVICE_PACKAGE}"
# The workspace members themselves, installed as wheels: the runtime needs no source tree.
COPY --from=stubs /src/protos/ protos/
COPY libs/ libs/
COPY ${SERVICE_DIR}/ ${SERVICE_DIR}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "${SERVICE_PACKAGE}"

# Writes nothing at run time but under /tmp, so a read-only root filesystem with a writable /tmp runs it.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 eqr \
    && useradd --system --uid 10001 --gid eqr --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin eqr
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001

# The backends serve the standard gRPC health service on GRPC_PORT.
FROM runtime AS grpc-service
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; channel = grpc.insecure_channel('127.0.0.1:' + os.environ['GRPC_PORT']); reply = g.HealthStub(channel).Check(h.HealthCheckRequest(), timeout=3); raise SystemExit(reply.status != h.HealthCheckResponse.SERVING)"]

# ---- The targets: each first checks that the builder installed its own member.

FROM grpc-service AS auth
RUN ["python", "-c", "import importlib.util, sys; importlib.util.find_spec('eqr_auth') or sys.exit('target auth: build with --build-arg SERVICE_PACKAGE=eqr-auth --build-arg SERVICE_DIR=services/auth')"]
LABEL org.opencontainers.image.title="eqr-auth" \
      org.opencontainers.image.description="Auth service: users, roles, sessions, refresh tokens, API keys, JWKS"
# Without SMTP settings auth writes mails to files: under /tmp, the one writable path at runtime.
ENV GRPC_PORT=50051 \
    HTTP_PORT=9091 \
    AUTH_MAIL_DIR=/tmp/mail
EXPOSE 50051 9091
ENTRYPOINT ["python", "-m", "eqr_auth"]

FROM grpc-service AS market-data
RUN ["python", "-c", "import importlib.util, sys; importlib.util.find_spec('eqr_market_data') or sys.exit('target market-data: build with --build-arg SERVICE_PACKAGE=eqr-market-data --build-arg SERVICE_DIR=services/market-data')"]
LABEL org.opencontainers.image.title="eqr-market-data" \
      org.opencontainers.image.description="Market-data service: instruments, quotes, history, fundamentals, news; providers and the market simulator"
ENV GRPC_PORT=50052 \
    HTTP_PORT=9092
EXPOSE 50052 9092
# With the simulator on, the gRPC port opens only once about ten years of daily history are
# backfilled (15-30 s on two cores): a longer start period than grpc-service's covers that.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; channel = grpc.insecure_channel('127.0.0.1:' + os.environ['GRPC_PORT']); reply = g.HealthStub(channel).Check(h.HealthCheckRequest(), timeout=3); raise SystemExit(reply.status != h.HealthCheckResponse.SERVING)"]
ENTRYPOINT ["python", "-m", "eqr_market_data"]

FROM grpc-service AS portfolio
RUN ["python", "-c", "import importlib.util, sys; importlib.util.find_spec('eqr_portfolio') or sys.exit('target portfolio: build with --build-arg SERVICE_PACKAGE=eqr-portfolio --build-arg SERVICE_DIR=services/portfolio')"]
LABEL org.opencontainers.image.title="eqr-portfolio" \
      org.opencontainers.image.description="Portfolio service: the ledger, holdings, valuation, performance, sharing, import/export, alerts, rebalancing"
ENV GRPC_PORT=50053 \
    HTTP_PORT=9093
EXPOSE 50053 9093
ENTRYPOINT ["python", "-m", "eqr_portfolio"]

FROM grpc-service AS options
RUN ["python", "-c", "import importlib.util, sys; importlib.util.find_spec('eqr_options') or sys.exit('target options: build with --build-arg SERVICE_PACKAGE=eqr-options --build-arg SERVICE_DIR=services/options')"]
LABEL org.opencontainers.image.title="eqr-options" \
      org.opencontainers.image.description="Options service: pricing, Greeks, implied volatility, chains and surfaces, strategies, option positions"
# numba caches its compiled kernels here (/tmp is writable under a read-only root filesystem).
ENV GRPC_PORT=50055 \
    HTTP_PORT=9095 \
    NUMBA_CACHE_DIR=/tmp/numba-cache
EXPOSE 50055 9095
ENTRYPOINT ["python", "-m", "eqr_options"]

FROM runtime AS gateway
RUN ["python", "-c", "import importlib.util, sys; importlib.util.find_spec('eqr_gateway') or sys.exit('target gateway: build with --build-arg SERVICE_PACKAGE=eqr-gateway --build-arg SERVICE_DIR=gateway')"]
LABEL org.opencontainers.image.title="eqr-gateway" \
      org.opencontainers.image.description="The gateway: REST + WebSocket for the frontend, metrics at /metrics"
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['GATEWAY_PORT'] + '/healthz', timeout=3)"]
ENTRYPOINT ["python", "-m", "eqr_gateway"]
