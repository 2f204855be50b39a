"""PostgreSQL refuses to run as root: when the launcher is root it runs PostgreSQL as a system user."""

import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from eqr_launcher.errors import LauncherError

POSTGRES_SYSTEM_USER = "eqr-postgres"


def unprivileged_user_needed() -> bool:
    return os.geteuid() == 0


def ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        raise LauncherError(f"useradd not found: create the system user {name!r} to run PostgreSQL as")
    subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(name)


@dataclass(frozen=True)
class RunAs:
    """Popen keyword arguments that drop to `user`, its primary group and no supplementary groups."""

    user: int | None = None
    group: int | None = None
    extra_groups: list[int] | None = None

    @classmethod
    def account(cls, name: str | None) -> "RunAs":
        if name is None:
            return cls()
        entry = pwd.getpwnam(name)
        return cls(entry.pw_uid, entry.pw_gid, [])


def hand_over(directory: Path, user: pwd.struct_passwd) -> None:
    """Make `user` the owner of `directory` and everything below it."""
    for root, dirs, files in os.walk(directory):
        for entry in [root, *(os.path.join(root, name) for name in dirs + files)]:
            status = os.lstat(entry)
            if (status.st_uid, status.st_gid) != (user.pw_uid, user.pw_gid):
                os.lchown(entry, user.pw_uid, user.pw_gid)


def make_traversable(path: Path) -> None:
    """Let other users pass through every directory above `path` (search permission only, never read)."""
    for directory in reversed(path.resolve().parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
