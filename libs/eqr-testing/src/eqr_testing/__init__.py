"""Fixtures and helpers for tests against real infrastructure and the running fleet."""

from eqr_testing.databases import session_database
from eqr_testing.mail import Mailbox, body_text, newest_mail

__all__ = ["Mailbox", "body_text", "newest_mail", "session_database"]
