import os
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from eqr_testing.mail import Mailbox, body_text, newest_mail


def write_mail(directory: Path, to: str, subject: str, written_at: float) -> Path:
    message = EmailMessage()
    message["From"] = "Equity Research <no-reply@eqr.dev>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"body of {subject}")
    path = directory / f"{int(written_at * 1e6)}-{subject}.eml"
    path.write_bytes(bytes(message))
    os.utime(path, (written_at, written_at))
    return path


def test_newest_mail_for_an_address(tmp_path: Path) -> None:
    now = time.time()
    write_mail(tmp_path, "Ada <ada@example.com>", "welcome", now - 20)
    write_mail(tmp_path, "ada@example.com", "reset", now - 10)
    write_mail(tmp_path, "bob@example.com", "other", now)
    (tmp_path / "ignored.tmp").write_text("not a mail")

    mailbox = Mailbox(tmp_path)
    assert [m["Subject"] for m in mailbox.messages_for("ADA@example.com")] == ["welcome", "reset"]
    newest = newest_mail(tmp_path, "ada@example.com", timeout=0)
    assert newest["Subject"] == "reset"
    assert body_text(newest).strip() == "body of reset"


def test_since_skips_older_mail_and_times_out(tmp_path: Path) -> None:
    write_mail(tmp_path, "ada@example.com", "old", time.time() - 60)
    with pytest.raises(LookupError, match=r"no mail to ada@example\.com"):
        Mailbox(tmp_path).newest("ada@example.com", since=time.time() - 1, timeout=0.2)
