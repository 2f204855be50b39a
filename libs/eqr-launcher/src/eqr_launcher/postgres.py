"""Embedded PostgreSQL from the binaries of the PyPI `pgserver` package, on a loopback TCP port."""

import os
import shutil
import signal
import subprocess
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from eqr_launcher.errors import LauncherError
from eqr_launcher.logs import ProcessLog
from eqr_launcher.ports import LOOPBACK, free_port
from eqr_launcher.processes import ProcessSpec
from eqr_launcher.supervisor import SupervisedProcess
from eqr_launcher.system_user import (
    POSTGRES_SYSTEM_USER,
    RunAs,
    ensure_system_user,
    hand_over,
    make_traversable,
    unprivileged_user_needed,
)

DATABASE = "eqr"
SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver warns about XDG_RUNTIME_DIR on import; we never use it
        from pgserver._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    name = "postgres"

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        self.directory = data_dir / "postgres"
        self.port = free_port()
        self._bin = postgres_bin_dir()
        self._user = POSTGRES_SYSTEM_USER if unprivileged_user_needed() else None
        self._env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        self._process = SupervisedProcess(
            ProcessSpec(
                name=self.name,
                argv=(
                    str(self._bin / "postgres"),
                    *("-D", str(self.directory), "-p", str(self.port), "-h", LOOPBACK),
                    *("-k", ""),  # no Unix socket: clients use TCP, and no socket lock file is left behind
                    *("-c", "max_connections=200"),
                ),
                env=self._env,
                user=self._user,
                stop_signal=signal.SIGINT,  # "fast" shutdown: roll back open transactions, checkpoint, exit
                stop_grace_seconds=30.0,
            ),
            ProcessLog(log_dir / "postgres.log"),
            self._accepts_connections,
            before_start=self._remove_stale_pid_file,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{LOOPBACK}:{self.port}/{DATABASE}"

    def start(self) -> None:
        if self._user is not None:
            self._prepare_for_system_user()
        if not (self.directory / "PG_VERSION").exists():
            self._initdb()
        self._process.start()

    def wait_ready(self, timeout: float) -> None:
        self._process.wait_healthy(timeout)
        self._create_database()

    def stop(self) -> None:
        self._process.stop()

    def _prepare_for_system_user(self) -> None:
        assert self._user is not None
        account = ensure_system_user(self._user)
        make_traversable(self._bin / "postgres")
        make_traversable(self.directory)
        if self.directory.exists():
            hand_over(self.directory, account)

    def _initdb(self) -> None:
        """Initialise a scratch directory and rename it: an interrupted initdb leaves nothing behind."""
        scratch = self.directory.with_name(self.directory.name + ".initdb")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700, parents=True)
        if self._user is not None:
            hand_over(scratch, ensure_system_user(self._user))
        identity = RunAs.account(self._user)
        result = subprocess.run(  # noqa: S603 (our own argv, no shell)
            [
                str(self._bin / "initdb"),
                *("-D", str(scratch), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale"),
            ],
            env=self._env,
            user=identity.user,
            group=identity.group,
            extra_groups=identity.extra_groups,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise LauncherError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        scratch.rename(self.directory)

    def _remove_stale_pid_file(self) -> None:
        pid_file = self.directory / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return
        if _is_running_postgres(pid):
            raise LauncherError(f"PostgreSQL (pid {pid}) is already running on {self.directory}")
        pid_file.unlink(missing_ok=True)

    def _connect(self, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=LOOPBACK, port=self.port, user=SUPERUSER, dbname=dbname, connect_timeout=2, autocommit=True
        )

    def _accepts_connections(self) -> bool:
        try:
            with self._connect("postgres"):
                return True
        except psycopg.OperationalError:
            return False

    def _create_database(self) -> None:
        with self._connect("postgres") as connection:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if found.fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def _is_running_postgres(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    command = Path(f"/proc/{pid}/comm")
    return "postgres" in command.read_text() if command.exists() else True
