import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

FAKES = Path(__file__).parent / "fakes"


@pytest.fixture
def fakes_on_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Make the stand-in service and gateway importable here and in child processes."""
    monkeypatch.syspath_prepend(str(FAKES))
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAKES), os.environ.get("PYTHONPATH")])),
    }


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A launcher data dir outside pytest's tmp root: pytest resets that root to mode 0700 whenever a
    session starts, which would lock out the unprivileged user PostgreSQL runs as under root."""
    with tempfile.TemporaryDirectory(prefix="eqr-launcher-test-") as directory:
        yield Path(directory)


@pytest.fixture
def no_leftover_children() -> Iterator[None]:
    """Fail when a test leaves a process behind that it started."""
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    yield
    leftovers = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.pid not in before and child.status() != psutil.STATUS_ZOMBIE
    ]
    assert leftovers == []
