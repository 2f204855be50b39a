"""tools/check_deploy.py: the repository's deploy files pass, and its checks catch what they claim to."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def load_checker() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "check_deploy.py"
    spec = importlib.util.spec_from_file_location("check_deploy", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


checker = load_checker()


def test_the_repository_deploy_files_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert checker.main() == 0
    output = capsys.readouterr().out
    assert "ok  kubernetes-validate --strict" in output
    assert "deploy files are valid" in output


TARGETS = """\
# syntax=docker/dockerfile:1
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS builder
RUN --mount=type=cache,target=/root/.cache/uv \\
    # a comment inside a continuation is no instruction
    uv sync --frozen
FROM ${PYTHON_IMAGE} AS runtime
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
FROM runtime AS grpc-service
HEALTHCHECK --interval=10s CMD ["python", "-c", "pass"]
FROM grpc-service AS auth
ENTRYPOINT ["python", "-m", "eqr_auth"]
FROM grpc-service AS quiet
HEALTHCHECK NONE
"""
# The same with auth the one final stage.
ONE_TARGET = TARGETS.split("FROM grpc-service AS quiet")[0]


def dockerfile(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return checker.parse_dockerfile(path)


@pytest.fixture(scope="module")
def images() -> dict[str, Any]:
    found: dict[str, Any] = checker.deployables()
    return found


def test_the_parser_joins_continuations_and_finds_the_final_stages(tmp_path: Path) -> None:
    parsed = dockerfile(tmp_path, TARGETS)

    builder = parsed.stage("builder")
    assert builder is not None
    assert [(i.keyword, i.line) for i in builder.instructions] == [("RUN", 4)]
    assert builder.instructions[0].arguments.split()[-3:] == ["uv", "sync", "--frozen"]
    assert "syntax=docker/dockerfile:1" in parsed.comments
    assert "a comment inside a continuation is no instruction" not in parsed.comments
    assert parsed.targets() == ["auth", "quiet"]
    assert [stage.name for stage in parsed.chain("auth")] == ["auth", "grpc-service", "runtime"]


def test_a_target_inherits_its_base_stages_health_check_and_none_removes_it(tmp_path: Path) -> None:
    parsed = dockerfile(tmp_path, TARGETS)

    assert parsed.has_healthcheck("auth")
    assert not parsed.has_healthcheck("quiet")
    assert not parsed.has_healthcheck("runtime")
    assert not parsed.has_healthcheck(None)  # no target: the last stage


def test_the_images_are_the_service_charts_with_their_workspace_members(images: dict[str, Any]) -> None:
    portfolio = images["portfolio"]

    assert sorted(images) == ["auth", "gateway", "market-data", "options", "portfolio"]
    assert portfolio.build_args == {"SERVICE_PACKAGE": "eqr-portfolio", "SERVICE_DIR": "services/portfolio"}
    assert images["gateway"].build_args["SERVICE_DIR"] == "gateway"
    assert portfolio.module == "eqr_portfolio"


def test_a_service_chart_without_a_target_is_reported(images: dict[str, Any]) -> None:
    parsed = checker.parse_dockerfile(checker.DOCKERFILE)
    charted = {**images, "reports": checker.Deployable("reports", "eqr-reports", "services/reports")}

    with pytest.raises(checker.DeployCheckError, match="has no target for reports"):
        checker.check_targets(parsed, charted)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        (
            "COPY services/auth/ /app/",
            r"Dockerfile:\d+: COPY in stage auth; what builds on runtime adds only",
        ),
        ("USER root", "USER in stage auth"),
        (
            'ENTRYPOINT ["python", "-m", "eqr_portfolio"]',
            r'target auth has no ENTRYPOINT \["python", "-m", "eqr_auth"\]',
        ),
    ],
)
def test_a_target_that_does_more_than_add_metadata_is_reported(
    tmp_path: Path, target: str, error: str
) -> None:
    parsed = dockerfile(tmp_path, f"{ONE_TARGET}{target}\n")
    auth = checker.Deployable("auth", "eqr-auth", "services/auth")

    with pytest.raises(checker.DeployCheckError, match=error):
        checker.check_targets(parsed, {"auth": auth})


def test_a_target_not_built_on_the_non_root_runtime_is_reported(tmp_path: Path) -> None:
    parsed = dockerfile(
        tmp_path,
        "FROM python:3.11-slim AS builder\n"
        "FROM builder AS runtime\nUSER 10001:10001\n"
        "FROM builder AS auth\nCOPY --from=runtime /opt/venv /opt/venv\n",
    )
    auth = checker.Deployable("auth", "eqr-auth", "services/auth")

    with pytest.raises(checker.DeployCheckError, match="target auth is not built on the runtime stage"):
        checker.check_targets(parsed, {"auth": auth})


def test_uv_sync_before_every_members_pyproject_or_without_the_build_args_is_reported(tmp_path: Path) -> None:
    members = checker.workspace_members()
    copies = "".join(f"COPY {member}/pyproject.toml {member}/\n" for member in members if member != "gateway")
    base = f"FROM python:3.11-slim AS workspace\n{copies}FROM workspace AS builder\n"
    sync = "RUN uv sync --frozen --no-dev --package ${SERVICE_PACKAGE}\n"

    undeclared = dockerfile(tmp_path, base + sync)
    with pytest.raises(checker.DeployCheckError, match="without ARG SERVICE_PACKAGE, SERVICE_DIR"):
        checker.check_dependency_layer(undeclared)

    uncopied = dockerfile(tmp_path, base + "ARG SERVICE_PACKAGE\nARG SERVICE_DIR\n" + sync)
    with pytest.raises(checker.DeployCheckError, match=r"before it copies the pyproject.toml of gateway \("):
        checker.check_dependency_layer(uncopied)


def build(target: str | None, args: dict[str, str], image: str | None = None) -> Any:
    return checker.ImageBuild(
        where="compose: x",
        context=checker.REPO,
        dockerfile=checker.DOCKERFILE,
        target=target,
        args=args,
        image=image,
    )


def test_a_build_names_an_image_target_with_that_images_member(images: dict[str, Any]) -> None:
    portfolio = images["portfolio"].build_args

    assert checker.check_build(build("portfolio", portfolio, "eqr/portfolio:dev"), images) == "portfolio"
    with pytest.raises(
        checker.DeployCheckError,
        match="with SERVICE_PACKAGE='eqr-auth'; it needs SERVICE_PACKAGE=eqr-portfolio",
    ):
        checker.check_build(build("portfolio", images["auth"].build_args), images)
    with pytest.raises(checker.DeployCheckError, match="with SERVICE_DIR=None"):
        checker.check_build(build("portfolio", {"SERVICE_PACKAGE": "eqr-portfolio"}), images)
    with pytest.raises(checker.DeployCheckError, match="builds target 'builder' of Dockerfile, not one of"):
        checker.check_build(build("builder", portfolio), images)
    with pytest.raises(checker.DeployCheckError, match="builds target None"):
        checker.check_build(build(None, portfolio), images)
    with pytest.raises(checker.DeployCheckError, match="tags target portfolio as eqr/auth:dev"):
        checker.check_build(build("portfolio", portfolio, "eqr/auth:dev"), images)


def test_an_image_nothing_builds_is_reported(images: dict[str, Any]) -> None:
    *built, forgotten = images

    with pytest.raises(checker.DeployCheckError, match=f"Tiltfile builds no image of target {forgotten} of"):
        checker.check_every_image_built(iter(built), images, "Tiltfile")


def test_the_tilt_stubs_record_calls_by_tilt_parameter_name() -> None:
    calls = checker.record_tiltfile(
        'k8s_yaml(helm("deploy/helm/auth", "auth", set = ["replicaCount=1"]))\n'
        'k8s_resource("auth", port_forwards = 8000)\n'
    )

    assert [(call.function, call.arguments) for call in calls] == [
        ("helm", {"pathToChartDir": "deploy/helm/auth", "name": "auth", "set": ["replicaCount=1"]}),
        ("k8s_yaml", {"yaml": checker.helm_output_marker(0)}),
        ("k8s_resource", {"workload": "auth", "port_forwards": 8000}),
    ]


@pytest.mark.parametrize(
    ("tiltfile", "error"),
    [
        ('docker_build("eqr/auth", ".", dockerfle = "Dockerfile")', "has no parameter 'dockerfle'"),
        ('docker_build("eqr/auth")', "is missing context"),
        ('allow_k8s_contexts("kind")', "add a new one to TILT_API"),
        ("k8s_yaml(", "syntax error"),
    ],
)
def test_the_tilt_stubs_reject_what_tilt_would_reject(tiltfile: str, error: str) -> None:
    with pytest.raises(checker.DeployCheckError, match=error):
        checker.record_tiltfile(tiltfile)


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("eqr/auth", "eqr/auth"),
        ("eqr/auth:0.1.0", "eqr/auth"),
        ("localhost:5000/eqr/auth:dev", "localhost:5000/eqr/auth"),
        ("localhost:5000/eqr/auth", "localhost:5000/eqr/auth"),
        ("eqr/auth@sha256:0123", "eqr/auth"),
    ],
)
def test_image_repository_drops_tag_and_digest_but_not_a_registry_port(image: str, repository: str) -> None:
    assert checker.image_repository(image) == repository


def chart(name: str, *dependencies: str, library: bool = False) -> object:
    return checker.Chart(
        name=name,
        path=Path("/charts") / name,
        library=library,
        dependencies=tuple(Path("/charts") / dependency for dependency in dependencies),
    )


def test_charts_come_after_the_charts_they_depend_on() -> None:
    umbrella = chart("eqr-dev", "auth", "gateway")
    auth, gateway = chart("auth", "eqr-service"), chart("gateway", "eqr-service")
    library = chart("eqr-service", library=True)

    ordered = checker.in_dependency_order([umbrella, auth, gateway, library])

    assert [item.name for item in ordered] == ["eqr-service", "auth", "gateway", "eqr-dev"]


def test_a_dependency_cycle_is_reported() -> None:
    with pytest.raises(checker.DeployCheckError, match="cycle: a -> b -> a"):
        checker.in_dependency_order([chart("a", "b"), chart("b", "a")])


def test_container_ports_are_found_in_deployments_and_cronjobs() -> None:
    containers = {"containers": [{"name": "app", "ports": [{"containerPort": 8000}]}]}
    deployment = {"kind": "Deployment", "spec": {"template": {"spec": containers}}}
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": containers}}}}}

    assert checker.container_ports(deployment) == {8000}
    assert checker.container_ports(cronjob) == {8000}


def test_a_probe_without_a_handler_adjusts_the_grpc_default_and_one_with_a_handler_replaces_it(
    tmp_path: Path,
) -> None:
    charts = checker.prepare_charts(tmp_path)
    auth = next(chart for chart in charts if chart.name == "auth")
    probes = {"startup": {"failureThreshold": 90}, "liveness": {"tcpSocket": {"port": "grpc"}}}

    rendering = checker.render_chart(auth.path, {"probes": probes}, release="auth", label="auth")

    deployment = next(obj for obj in rendering.objects if obj["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["startupProbe"] == {
        "grpc": {"port": 50051},
        "periodSeconds": 2,
        "timeoutSeconds": 2,
        "failureThreshold": 90,
    }
    assert container["livenessProbe"] == {"tcpSocket": {"port": "grpc"}}
    assert container["readinessProbe"]["grpc"] == {"port": 50051, "service": "eqr.auth.v1.AuthService"}
