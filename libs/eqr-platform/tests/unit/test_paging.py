"""Page tokens round-trip a keyset position and refuse anything a caller made up."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_platform.validation import ValidationFailed

PARTS = st.one_of(st.text(max_size=40), st.integers(-(2**62), 2**62))


@given(st.lists(PARTS, min_size=1, max_size=4))
def test_a_token_gives_back_its_position(position: list[str | int]) -> None:
    token = encode_page_token(*position)
    assert "=" not in token
    assert decode_page_token(token, len(position)) == position


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        encode_page_token("2026-11-28"),  # one part where two are expected
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b"[1.5, null]").decode(),
    ],
)
def test_a_made_up_token_is_refused_naming_the_page_token(token: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decode_page_token(token, 2)
    assert [v.field for v in refused.value.violations] == ["page_token"]


def test_the_page_size_defaults_caps_and_refuses_negatives() -> None:
    assert page_limit(0, default=50, maximum=200) == 50
    assert page_limit(10_000, default=50, maximum=200) == 200
    with pytest.raises(ValidationFailed):
        page_limit(-1, default=50, maximum=200)
