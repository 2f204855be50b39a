"""Email addresses as account identifiers: one canonical spelling per mailbox.

Addresses compare case-insensitively, so the canonical form is stripped and lower-cased.
Only the common ASCII dot-atom shape is accepted (RFC 5321 limits: 64 octets local part,
254 octets in all).
"""

from __future__ import annotations

import re

from eqr_auth.domain.errors import ValidationFailed

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64

_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL_LABEL = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")


def canonical_email(raw: str) -> str:
    """The lookup form of an address, without judging whether it is valid."""
    return raw.strip().lower()


def normalise_email(raw: str, *, field: str = "email") -> str:
    """The canonical form of a valid address; raises ValidationFailed naming ``field``."""
    email = canonical_email(raw)
    problem = _shape_problem(email)
    if problem:
        raise ValidationFailed.single(field, problem)
    return email


def local_part(email: str) -> str:
    return email.rpartition("@")[0] if "@" in email else email


def _shape_problem(email: str) -> str | None:
    if not email:
        return "is required"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    if not email.isascii():
        return "must contain only ASCII characters"
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return "must look like name@example.com"
    if len(local) > MAX_LOCAL_PART_LENGTH:
        return f"the part before @ must be at most {MAX_LOCAL_PART_LENGTH} characters"
    if not _LOCAL_PART.fullmatch(local):
        return "the part before @ contains characters that are not allowed"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return "the domain is not valid"
    if not _TOP_LEVEL_LABEL.fullmatch(labels[-1]):
        return "the domain is not valid"
    return None
