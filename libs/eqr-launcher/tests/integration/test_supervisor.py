"""A supervised child: restarted after a crash, stopped without leaving anything behind."""

import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from eqr_launcher.errors import StartupTimeoutError
from eqr_launcher.logs import ProcessLog
from eqr_launcher.processes import ProcessSpec
from eqr_launcher.supervisor import Backoff, SupervisedProcess

FAST = Backoff(first_seconds=0.1, max_seconds=0.2)


def python(code: str, name: str = "child") -> ProcessSpec:
    return ProcessSpec(
        name=name, argv=(sys.executable, "-c", code), env=dict(os.environ), stop_grace_seconds=2
    )


def printed(log: Path, line: str) -> bool:
    return line in log.read_text().splitlines()


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.mark.usefixtures("no_leftover_children")
def test_a_killed_child_is_restarted(tmp_path: Path) -> None:
    process = SupervisedProcess(
        python("import time\nwhile True: time.sleep(1)"),
        ProcessLog(tmp_path / "child.log"),
        lambda: True,
        backoff=FAST,
    )
    process.start()
    try:
        process.wait_healthy(5)
        first = process.pid
        assert first is not None
        process.kill(signal.SIGKILL)
        wait_for(lambda: process.pid not in (None, first))
        process.wait_healthy(5)
        assert process.restarts == 1
    finally:
        process.stop()
    assert process.pid is None
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE


@pytest.mark.usefixtures("no_leftover_children")
def test_stop_reaches_grandchildren_and_forces_a_stubborn_child(tmp_path: Path) -> None:
    stubborn = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    process = SupervisedProcess(python(stubborn), ProcessLog(tmp_path / "child.log"), lambda: True)
    process.start()
    wait_for(lambda: printed(tmp_path / "child.log", "ready"))
    leader = psutil.Process(process.pid)
    family = [leader, *leader.children(recursive=True)]
    assert len(family) == 2
    began = time.monotonic()
    process.stop()
    assert 1.5 < time.monotonic() - began < 6
    assert not any(member.is_running() and member.status() != psutil.STATUS_ZOMBIE for member in family)


def test_a_crashing_child_fails_startup_with_its_log(tmp_path: Path) -> None:
    process = SupervisedProcess(
        python("import sys; print('boom: missing setting', flush=True); sys.exit(3)", name="broken"),
        ProcessLog(tmp_path / "broken.log"),
        lambda: False,
        backoff=FAST,
    )
    process.start()
    try:
        with pytest.raises(StartupTimeoutError, match=r"broken kept crashing[\s\S]*boom: missing setting"):
            process.wait_healthy(10)
    finally:
        process.stop()


def test_an_unhealthy_child_times_out_with_its_log(tmp_path: Path) -> None:
    process = SupervisedProcess(
        python("import time; print('still warming up', flush=True); time.sleep(600)", name="slow"),
        ProcessLog(tmp_path / "slow.log"),
        lambda: False,
    )
    process.start()
    try:
        with pytest.raises(StartupTimeoutError, match=r"slow did not become healthy[\s\S]*still warming up"):
            process.wait_healthy(1)
    finally:
        process.stop()


def test_console_echo_prefixes_lines_with_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = ProcessLog(tmp_path / "echo.log", echo_as="echo")
    process = SupervisedProcess(
        python("print('hello', flush=True)\nimport time; time.sleep(600)"), log, lambda: True
    )
    process.start()
    try:
        wait_for(lambda: printed(log.path, "hello"))
    finally:
        process.stop()
    assert "echo        | hello" in capsys.readouterr().out
