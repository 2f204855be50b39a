"""Password policy in the spirit of NIST SP 800-63B §5.1.1.2.

Length is what matters (12..128 characters, as typed and after Unicode NFKC normalisation),
plus a blocklist of commonly used passwords and of the account's own email name. There
are deliberately no composition rules (digits, symbols, mixed case).
"""

from __future__ import annotations

import string
import unicodedata

from eqr_auth.domain.emails import local_part
from eqr_auth.domain.errors import FieldViolation, ValidationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
_MIN_CONTEXT_WORD_LENGTH = 3
_PADDING = string.digits + string.punctuation + " "

COMMON_PASSWORDS = frozenset(
    {
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "letmein",
        "welcome",
        "admin",
        "administrator",
        "iloveyou",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "superman",
        "batman",
        "starwars",
        "master",
        "shadow",
        "trustno1",
        "changeme",
        "secret",
        "whatever",
        "computer",
        "internet",
        "abc",
        "abcdef",
        "abcdefghijkl",
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456789101",
        "1234567891011",
        "123123123123",
        "123321123321",
        "987654321000",
        "098765432112",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "1qaz2wsx3edc4rfv",
        "zaq12wsxcde3",
        "qazwsxedcrfv",
        "1234qwerasdf",
        "qwerasdfzxcv",
        "qwertyuiopasdf",
        "qwertyuiopasdfghjkl",
        "correcthorsebatterystaple",
        "thisismypassword",
        "mypassword",
        "passwordpassword",
        "iloveyouforever",
        "letmeinletmein",
        "trustno1trustno1",
        "eqr",
        "equityresearch",
    }
)


def normalise_password(password: str) -> str:
    """The form that is measured, hashed and verified (NFKC, as 800-63B recommends)."""
    return unicodedata.normalize("NFKC", password)


def password_violations(password: str, *, email: str, field: str = "password") -> list[FieldViolation]:
    # Normalisation may merge or split characters; the limits hold for both spellings.
    lengths = (len(password), len(normalise_password(password)))
    password = normalise_password(password)
    violations: list[FieldViolation] = []
    if min(lengths) < MIN_PASSWORD_LENGTH:
        violations.append(FieldViolation(field, f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    if max(lengths) > MAX_PASSWORD_LENGTH:
        violations.append(FieldViolation(field, f"must be at most {MAX_PASSWORD_LENGTH} characters"))
    if _is_common(password):
        violations.append(FieldViolation(field, "is too common; choose a less predictable password"))
    name = local_part(email.strip().lower())
    if len(name) >= _MIN_CONTEXT_WORD_LENGTH and name in password.lower():
        violations.append(FieldViolation(field, "must not contain the part of your email before @"))
    return violations


def check_password(password: str, *, email: str, field: str = "password") -> None:
    violations = password_violations(password, email=email, field=field)
    if violations:
        raise ValidationFailed(*violations)


def _is_common(password: str) -> bool:
    lowered = password.lower()
    if len(set(lowered)) <= 1:
        return True
    core = lowered.strip(_PADDING)
    return lowered in COMMON_PASSWORDS or core in COMMON_PASSWORDS
