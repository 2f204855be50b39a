import email
import email.policy
import re
from datetime import UTC, datetime

import pytest

from eqr_auth.adapters.mail import smtp
from eqr_auth.adapters.mail.mailbox import FileMailbox
from eqr_auth.adapters.mail.smtp import SmtpConfig, SmtpMailSender
from eqr_auth.app.ports import OutgoingMail

MAIL = OutgoingMail(to="ada@example.com", subject="Reset your password", text="Open https://x/?token=abc\n")


class StoppedClock:
    def now(self) -> datetime:
        return datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def test_the_mailbox_writes_one_rfc_5322_file_per_mail(tmp_path, caplog) -> None:
    mailbox = FileMailbox(tmp_path / "mail", StoppedClock(), sender="EQR <no-reply@eqr.dev>")
    with caplog.at_level("INFO"):
        await mailbox.send(MAIL)
        await mailbox.send(MAIL)
    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 2
    assert all(re.fullmatch(r"20250301T093015123456Z-[0-9a-f-]{36}\.eml", f.name) for f in files)
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert (message["To"], message["From"], message["Subject"]) == (
        "ada@example.com",
        "EQR <no-reply@eqr.dev>",
        "Reset your password",
    )
    assert message["Message-ID"]
    assert message["Date"]
    assert message.get_content() == MAIL.text
    assert str(files[0]) in caplog.text


async def test_the_mailbox_leaves_no_partial_file_when_writing_fails(tmp_path, monkeypatch) -> None:
    mailbox = FileMailbox(tmp_path, StoppedClock())

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        await mailbox.send(MAIL)
    assert list(tmp_path.iterdir()) == []


class RecordingSmtp:
    instances: list["RecordingSmtp"] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.address = (host, port, timeout)
        self.calls: list[str] = []
        self.sent: list[email.message.EmailMessage] = []
        RecordingSmtp.instances.append(self)

    def __enter__(self) -> "RecordingSmtp":
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self, context: object) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}:{password}")

    def send_message(self, message: email.message.EmailMessage) -> None:
        self.calls.append("send")
        self.sent.append(message)


async def test_smtp_uses_starttls_and_login_when_configured(monkeypatch) -> None:
    RecordingSmtp.instances.clear()
    monkeypatch.setattr(smtp.smtplib, "SMTP", RecordingSmtp)
    config = SmtpConfig(host="smtp.example.com", port=2525, username="bot", password="pw", timeout_seconds=3)
    await SmtpMailSender(config, StoppedClock()).send(MAIL)
    [client] = RecordingSmtp.instances
    assert client.address == ("smtp.example.com", 2525, 3)
    assert client.calls == ["starttls", "login bot:pw", "send", "quit"]
    assert client.sent[0]["To"] == "ada@example.com"


async def test_smtp_without_credentials_or_tls_just_sends(monkeypatch) -> None:
    RecordingSmtp.instances.clear()
    monkeypatch.setattr(smtp.smtplib, "SMTP", RecordingSmtp)
    await SmtpMailSender(SmtpConfig(host="relay", starttls=False), StoppedClock()).send(MAIL)
    assert RecordingSmtp.instances[0].calls == ["send", "quit"]
