"""tools/check_deploy.py: the repository's deploy files pass, and its checks catch what they claim to."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


def test_a_drifted_shared_pattern_is_reported_as_a_diff(tmp_path: Path) -> None:
    shared = "{begin}\nFROM python:3.11-slim AS runtime\nUSER {user}\n{end}\n"
    markers = {"begin": checker.SHARED_PATTERN_BEGIN, "end": checker.SHARED_PATTERN_END}
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text(shared.format(user="10001:10001", **markers))
    second.write_text(shared.format(user="root", **markers))

    with pytest.raises(checker.DeployCheckError, match=r"(?s)-USER 10001:10001.*\+USER root"):
        checker.check_shared_pattern([first, second])


def test_a_dockerfile_without_the_markers_is_reported(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\n")

    with pytest.raises(checker.DeployCheckError, match="no '# ---- shared pattern: begin ----'"):
        checker.check_shared_pattern([dockerfile, dockerfile])


def test_a_service_dockerfile_nothing_builds_is_reported() -> None:
    *built, forgotten = checker.service_dockerfiles()
    expected = f"Tiltfile builds no image from {checker.shown(forgotten)}$"

    with pytest.raises(checker.DeployCheckError, match=expected):
        checker.check_every_service_built(built, "Tiltfile")


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
