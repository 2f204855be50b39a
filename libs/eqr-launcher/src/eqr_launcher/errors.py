"""Errors the launcher raises when a process cannot be started or reached."""


class LauncherError(RuntimeError):
    """A server or service could not be started, reached or stopped."""


class StartupTimeoutError(LauncherError):
    """A process did not become healthy in time; the message carries its log tail."""
