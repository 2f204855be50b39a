import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import AssetClass, Instrument
from eqr_market_data.domain.search import rank_instruments


def instrument(symbol: str, name: str, shares: int = 1_000_000) -> Instrument:
    return Instrument(symbol, name, "NASDAQ", "USD", AssetClass.EQUITY, shares_outstanding=shares)


UNIVERSE = [
    instrument("AAPL", "Apple Inc.", 15_000),
    instrument("APA", "APA Corporation", 300),
    instrument("APD", "Air Products and Chemicals, Inc.", 220),
    instrument("MSFT", "Microsoft Corporation", 7_400),
    instrument("BRK.B", "Berkshire Hathaway Inc. Class B", 1_300),
    instrument("PINS", "Pinterest, Inc.", 680),
    instrument("A", "Agilent Technologies, Inc.", 290),
    instrument("AMZN", "Amazon.com, Inc.", 10_500),
    instrument("^GSPC", "S&P 500", 0),
    instrument("JPM", "JPMorgan Chase & Co.", 2_900),
]
PRICES = {"AAPL": 190.0, "APA": 30.0, "APD": 280.0, "MSFT": 420.0, "BRK.B": 410.0, "PINS": 35.0,
          "A": 140.0, "AMZN": 180.0, "JPM": 200.0}  # fmt: skip


CAPS = {i.symbol: i.shares_outstanding * PRICES.get(i.symbol, 0.0) for i in UNIVERSE}


def symbols(query: str, limit: int = 20) -> list[str]:
    return [i.symbol for i in rank_instruments(UNIVERSE, query, limit=limit, market_caps=CAPS)]


def test_the_exact_symbol_comes_first() -> None:
    assert symbols("a")[0] == "A"
    assert symbols("aapl")[0] == "AAPL"


def test_symbol_prefixes_come_next_largest_company_first() -> None:
    # AAPL ~2.85M, AMZN ~1.89M, APD ~62k, APA ~9k (shares x price, in these units)
    assert symbols("a")[1:5] == ["AAPL", "AMZN", "APD", "APA"]
    # AAPL matches "ap" only through its name, a lower tier than the symbol prefixes
    assert symbols("ap") == ["APD", "APA", "AAPL"]


def test_name_word_prefixes_beat_name_substrings() -> None:
    # "in" starts the word "Inc." in Apple's name; it is only inside "Pinterest".
    ranked = symbols("inc")
    assert ranked[:2] == ["AAPL", "AMZN"]
    assert symbols("terest") == ["PINS"]
    assert symbols("pint") == ["PINS"]


def test_punctuation_does_not_hide_an_exact_symbol() -> None:
    assert symbols("brkb") == ["BRK.B"]
    assert symbols("brk-b") == ["BRK.B"]
    assert symbols("gspc")[0] == "^GSPC"


def test_multiword_queries_match_names() -> None:
    assert symbols("  apple   INC ") == ["AAPL"]
    assert symbols("s&p") == ["^GSPC"]


def test_typos_are_found_fuzzily_after_everything_else() -> None:
    assert symbols("mircosoft") == ["MSFT"]
    assert symbols("amazn") == ["AMZN"]
    assert symbols("jp morgn") == ["JPM"]
    assert symbols("zzzzz") == []


def test_short_queries_are_not_fuzzy() -> None:
    assert symbols("xq") == []


def test_ties_without_prices_fall_back_to_the_symbol() -> None:
    ranked = [i.symbol for i in rank_instruments(UNIVERSE, "ap")]
    assert ranked == ["APA", "APD", "AAPL"]


def test_the_limit_applies() -> None:
    assert len(symbols("a", limit=3)) == 3
    assert symbols("a", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "x" * 65])
def test_an_empty_or_overlong_query_names_the_query_field(query: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        rank_instruments(UNIVERSE, query)
    assert caught.value.field == "query"


@given(st.text(min_size=1, max_size=64).filter(str.strip), st.integers(0, 30))
def test_any_query_returns_distinct_instruments_within_the_limit(query: str, limit: int) -> None:
    ranked = rank_instruments(UNIVERSE, query, limit=limit, market_caps=CAPS)
    assert len(ranked) <= limit
    assert len({i.symbol for i in ranked}) == len(ranked)
