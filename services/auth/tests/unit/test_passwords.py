import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_auth.domain.errors import ValidationFailed
from eqr_auth.domain.passwords import check_password, normalise_password, password_violations

EMAIL = "ada.lovelace@example.com"


def messages(password: str, email: str = EMAIL) -> list[str]:
    return [violation.message for violation in password_violations(password, email=email)]


def test_a_long_uncommon_password_passes() -> None:
    check_password("violet tuesday cabinet", email=EMAIL)


def test_no_composition_rules_apply() -> None:
    check_password("onlylowercaseletters", email=EMAIL)


@pytest.mark.parametrize("password", ["short", "elevenchars", "a b c d e f"])
def test_fewer_than_12_characters_is_rejected(password: str) -> None:
    assert messages(password) == ["must be at least 12 characters"]


def test_more_than_128_characters_is_rejected() -> None:
    assert messages("x" * 60 + "y" * 69) == ["must be at most 128 characters"]
    check_password("x" * 60 + "y" * 68, email=EMAIL)


def test_length_counts_characters_after_nfkc_normalisation() -> None:
    # "ﬁ" is one code point that NFKC turns into "fi".
    assert normalise_password("\ufb01") == "fi"
    check_password("ünïcödé pässwörd", email=EMAIL)


@pytest.mark.parametrize(
    "password",
    ["password1234", "Password1234!", "123456789012", "qwertyuiop123", "aaaaaaaaaaaaaa", "1qaz2wsx3edc"],
)
def test_common_passwords_are_rejected(password: str) -> None:
    assert "is too common; choose a less predictable password" in messages(password)


def test_the_email_local_part_is_rejected_case_insensitively() -> None:
    assert messages("my name is Ada.Lovelace!") == ["must not contain the part of your email before @"]


def test_very_short_local_parts_do_not_ban_ordinary_words() -> None:
    check_password("a long and boring passphrase", email="a@example.com")


def test_every_violation_is_reported_under_the_given_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password("ada.lovelace", email=EMAIL, field="new_password")
    assert {v.field for v in caught.value.violations} == {"new_password"}
    assert len(caught.value.violations) == 1
    with pytest.raises(ValidationFailed) as caught:
        check_password("password", email="password@example.com")
    assert len(caught.value.violations) == 3


@given(st.text(max_size=11))
def test_never_accepts_fewer_than_12_characters(password: str) -> None:
    with pytest.raises(ValidationFailed):
        check_password(password, email=EMAIL)
