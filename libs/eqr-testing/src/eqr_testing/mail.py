"""Read the mails the auth service writes in dev: one RFC 5322 `<timestamp>-<uuid>.eml` file per mail."""

import email
import email.policy
import time
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages_for(self, address: str, *, since: float | None = None) -> list[EmailMessage]:
        """Every mail to `address` (written at or after the `time.time()` value `since`), oldest first."""
        wanted = address.strip().lower()
        found: list[tuple[int, str, EmailMessage]] = []
        for path in self.directory.glob("*.eml"):
            try:
                written = path.stat().st_mtime_ns
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            except (FileNotFoundError, ValueError):
                continue
            if since is not None and written < since * 1e9:
                continue
            recipients = {addr.lower() for _, addr in getaddresses(message.get_all("To", []))}
            if isinstance(message, EmailMessage) and wanted in recipients:
                found.append((written, path.name, message))
        return [message for _, _, message in sorted(found, key=lambda entry: entry[:2])]

    def newest(self, address: str, *, since: float | None = None, timeout: float = 10.0) -> EmailMessage:
        """The newest mail to `address`, waiting up to `timeout` seconds for one to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages_for(address, since=since)
            if messages:
                return messages[-1]
            if time.monotonic() >= deadline:
                raise LookupError(f"no mail to {address} in {self.directory} after {timeout:.0f} s")
            time.sleep(0.05)


def newest_mail(
    mail_dir: Path, address: str, *, since: float | None = None, timeout: float = 10.0
) -> EmailMessage:
    return Mailbox(mail_dir).newest(address, since=since, timeout=timeout)


def body_text(message: EmailMessage) -> str:
    """The plain-text body (or the only body there is)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if isinstance(part, EmailMessage) else ""
