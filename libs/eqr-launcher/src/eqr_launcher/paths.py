"""Where local state lives: `.data/` at the root of the uv workspace that contains the working directory."""

import tomllib
from pathlib import Path


def workspace_root(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                config = tomllib.loads(pyproject.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "workspace" in config.get("tool", {}).get("uv", {}):
                return directory
    return None


def default_data_dir(start: Path | None = None) -> Path:
    root = workspace_root(start)
    return (root if root is not None else (start or Path.cwd()).resolve()) / ".data"
