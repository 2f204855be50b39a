"""RFC 5322 messages from the use cases' plain mails."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from eqr_auth.app.ports import OutgoingMail


def build_message(mail: OutgoingMail, *, sender: str, sent_at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    return message
