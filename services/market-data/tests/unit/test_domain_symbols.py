import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.symbols import normalise_symbol, normalise_symbols


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("aapl", "AAPL"),
        ("  msft ", "MSFT"),
        ("brk.b", "BRK.B"),
        ("BRK-B", "BRK-B"),
        ("^gspc", "^GSPC"),
        ("EURUSD=X", "EURUSD=X"),
        ("7203", "7203"),
        ("A", "A"),
        ("ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNO"),
    ],
)
def test_valid_symbols_are_stripped_and_upper_cased(raw: str, expected: str) -> None:
    assert normalise_symbol(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "../etc/passwd",
        "..",
        ".A",
        "-A",
        "=X",
        "AA PL",
        "AAPL\n",
        "AAPL\x00",
        "\tAAPL",
        "AAPL/",
        "A_B",
        "ABCDEFGHIJKLMNOP",
        "ÄPFEL",
        "ﬀ",  # upper-cases to the ASCII "FF"
        "A" * 100_000,
    ],
)
def test_anything_else_is_an_invalid_request_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        normalise_symbol(raw, field="peer")
    assert caught.value.field == "peer"
    assert raw.strip() not in caught.value.message or not raw.strip()


@given(st.from_regex(r"[A-Za-z0-9^][A-Za-z0-9.^=-]{0,14}", fullmatch=True))
def test_every_well_formed_symbol_normalises_idempotently(raw: str) -> None:
    symbol = normalise_symbol(raw)
    assert symbol == raw.upper()
    assert normalise_symbol(symbol) == symbol


@given(st.text(max_size=30))
def test_any_text_either_normalises_to_a_valid_symbol_or_is_rejected(raw: str) -> None:
    try:
        symbol = normalise_symbol(raw)
    except InvalidRequest:
        return
    assert 1 <= len(symbol) <= 15
    assert symbol.isascii()
    assert symbol == symbol.upper()


def test_a_batch_is_deduplicated_in_order() -> None:
    assert normalise_symbols(["msft", "AAPL", " msft", "aapl", "^GSPC"]) == ["MSFT", "AAPL", "^GSPC"]


def test_a_batch_over_the_limit_is_rejected() -> None:
    with pytest.raises(InvalidRequest) as caught:
        normalise_symbols([f"S{n}" for n in range(10_000)], limit=100)
    assert caught.value.field == "symbols"
    assert "100" in caught.value.message


def test_duplicates_do_not_count_against_the_limit() -> None:
    assert normalise_symbols(["AAPL"] * 500 + ["MSFT"], limit=2) == ["AAPL", "MSFT"]


def test_an_empty_batch_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="at least one"):
        normalise_symbols([])


def test_a_bad_item_names_the_batch_field_and_its_position() -> None:
    with pytest.raises(InvalidRequest) as caught:
        normalise_symbols(["AAPL", "../x"], field="tickers")
    assert caught.value.field == "tickers"
    assert caught.value.message.startswith("item 2 ")
