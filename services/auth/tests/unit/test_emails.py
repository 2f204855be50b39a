import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_auth.domain.emails import canonical_email, normalise_email
from eqr_auth.domain.errors import ValidationFailed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"),
        ("o'brien@example.org", "o'brien@example.org"),
        ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
    ],
)
def test_valid_addresses_are_stripped_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-at-sign.example.com",
        "@example.com",
        "ada@",
        "ada@localhost",
        "ada@@example.com",
        "ada..lovelace@example.com",
        ".ada@example.com",
        "ada lovelace@example.com",
        "ada@-example.com",
        "ada@example.c0m",
        "josé@example.com",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 250 + ".com",
    ],
)
def test_malformed_addresses_name_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalise_email(raw, field="new_email")
    assert caught.value.field == "new_email"


def test_length_limit_is_254_characters() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 61] * 3) + ".com"
    address = f"{local}@{domain}"
    assert len(address) == 254
    assert normalise_email(address) == address
    with pytest.raises(ValidationFailed):
        normalise_email(f"{local}@b{domain}")


@given(st.emails())
def test_normalising_is_idempotent_for_valid_addresses(address: str) -> None:
    try:
        once = normalise_email(address)
    except ValidationFailed:
        return
    assert normalise_email(once) == once
    assert normalise_email(once.upper()) == once


@given(st.text())
def test_canonical_form_is_idempotent_for_any_text(text: str) -> None:
    once = canonical_email(text)
    assert canonical_email(once) == once
