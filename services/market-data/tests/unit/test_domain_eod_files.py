from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.eod_files import MAX_ROWS, ParseCheck, parse_eod_file
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Bar, Interval
from eqr_market_data.domain.quality import QualityIssue, Severity


def day(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)


def summary(issues: list[QualityIssue]) -> list[tuple[int, str, str]]:
    return [(issue.line, issue.check, issue.field) for issue in issues]


def ohlcv(bars: list[Bar]) -> list[tuple[datetime, float, float, float, float, int]]:
    return [(b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars]


GENERIC = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700
2024-01-03,184.22,185.88,183.43,184.25,183.55,58414500
"""


def test_a_generic_csv_becomes_daily_bars_of_the_symbol() -> None:
    parsed = parse_eod_file(GENERIC.encode(), symbol="AAPL")
    assert parsed.issues == []
    assert parsed.lines == [2, 3]
    assert ohlcv(parsed.bars) == [
        (day("2024-01-02"), 187.15, 188.44, 183.89, 185.64, 82488700),
        (day("2024-01-03"), 184.22, 185.88, 183.43, 184.25, 58414500),
    ]
    assert {(b.symbol, b.interval, b.source) for b in parsed.bars} == {("AAPL", Interval.D1, "import")}


def test_headers_are_case_insensitive_in_any_order_with_a_bom_crlf_and_blank_lines() -> None:
    text = "\ufeffvolume,CLOSE,low,High,date,open\r\n\r\n1000,10.5,9.5,11,2024-02-01,10\r\n\r\n"
    parsed = parse_eod_file(text.encode(), symbol="XYZ")
    assert parsed.issues == []
    assert ohlcv(parsed.bars) == [(day("2024-02-01"), 10.0, 11.0, 9.5, 10.5, 1000)]
    assert parsed.lines == [3]


def test_a_semicolon_file_may_use_decimal_commas() -> None:
    text = "Date;Open;High;Low;Close;Volume\n2024-02-01;10,25;11;9,5;10,75;1200\n"
    parsed = parse_eod_file(text, symbol="XYZ")
    assert ohlcv(parsed.bars) == [(day("2024-02-01"), 10.25, 11.0, 9.5, 10.75, 1200)]


def test_quoted_cells_are_read() -> None:
    text = '"Date","Open","High","Low","Close","Volume"\n"2024-02-01","10","11","9","10.5","100"\n'
    assert len(parse_eod_file(text, symbol="XYZ").bars) == 1


def test_a_file_without_volume_gets_zero_volume() -> None:
    text = "Date,Open,High,Low,Close\n2024-02-01,4700.1,4750.2,4690.3,4740.4\n"
    assert parse_eod_file(text, symbol="^GSPC").bars[0].volume == 0


def test_stooq_download_format() -> None:
    # As served by https://stooq.com/q/d/l/?s=aapl.us&i=d
    text = "Date,Open,High,Low,Close,Volume\n2024-01-02,186.09,187.5,182.74,184.73,82946960\n"
    parsed = parse_eod_file(text, "stooq", symbol="AAPL")
    assert ohlcv(parsed.bars) == [(day("2024-01-02"), 186.09, 187.5, 182.74, 184.73, 82946960)]


STOOQ_ASCII = """<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>
AAPL.US,D,20240102,000000,186.09,187.5,182.74,184.73,82946960,0
AAPL.US,D,20240103,000000,183.12,184.66,182.24,183.35,58779016,0
"""


def test_stooq_ascii_bulk_format() -> None:
    parsed = parse_eod_file(STOOQ_ASCII.encode(), "stooq", symbol="AAPL")
    assert parsed.issues == []
    assert ohlcv(parsed.bars) == [
        (day("2024-01-02"), 186.09, 187.5, 182.74, 184.73, 82946960),
        (day("2024-01-03"), 183.12, 184.66, 182.24, 183.35, 58779016),
    ]


def test_stooq_tickers_match_with_the_market_suffix_and_dash_for_dot() -> None:
    text = STOOQ_ASCII.replace("AAPL.US", "BRK-B.US")
    assert len(parse_eod_file(text, "stooq", symbol="BRK.B").bars) == 2


def test_stooq_rows_of_another_ticker_or_period_are_rejected() -> None:
    text = STOOQ_ASCII.replace("AAPL.US,D,20240103", "MSFT.US,5,20240103")
    parsed = parse_eod_file(text, "stooq", symbol="AAPL")
    assert len(parsed.bars) == 1
    assert summary(parsed.issues) == [(3, "bad_period", "per"), (3, "ticker_mismatch", "ticker")]


def test_every_bad_row_is_an_issue_with_its_line_and_field() -> None:
    text = "\n".join(
        [
            "Date,Open,High,Low,Close,Volume",
            "2024-01-02,10,11,9,10.5,100",  # line 2: good
            "2024-13-01,10,11,9,10.5,100",  # line 3: no month 13
            "02/01/2024,10,11,9,10.5,100",  # line 4: not ISO
            "2024-01-05,ten,11,9,10.5,100",  # line 5: non-numeric open
            "2024-01-08,10,11,9,NaN,1e999",  # line 6: NaN close, infinite volume
            "2024-01-09,10,11,9,10.5",  # line 7: a column short
            "2024-01-10,10,11,9,10.5,100,7",  # line 8: a column too many
            "2024-01-11,10,,9,10.5,100",  # line 9: empty high
            '2024-01-12,"10,11,9,10.5,100',  # line 10: unbalanced quote
            "2024-01-16,10,11,9,10.5,100,,",  # line 11: trailing empty cells are fine
            "2024-01-17,1_0,11,9,10.5,0x10",  # line 12: Python-only number spellings
        ]
    )
    parsed = parse_eod_file(text.encode(), symbol="XYZ")
    assert parsed.lines == [2, 11]
    assert summary(parsed.issues) == [
        (3, ParseCheck.BAD_DATE, "date"),
        (4, ParseCheck.BAD_DATE, "date"),
        (5, ParseCheck.NON_NUMERIC, "open"),
        (6, ParseCheck.NON_NUMERIC, "close"),
        (6, ParseCheck.NON_NUMERIC, "volume"),
        (7, ParseCheck.COLUMN_COUNT, ""),
        (8, ParseCheck.COLUMN_COUNT, ""),
        (9, ParseCheck.MISSING_VALUE, "high"),
        (10, ParseCheck.MALFORMED_ROW, ""),
        (12, ParseCheck.NON_NUMERIC, "open"),
        (12, ParseCheck.NON_NUMERIC, "volume"),
    ]
    assert {issue.severity for issue in parsed.issues} == {Severity.REJECTED}
    assert {issue.symbol for issue in parsed.issues} == {"XYZ"}


def test_prices_are_not_judged_here() -> None:
    text = "Date,Open,High,Low,Close,Volume\n2024-01-02,-1,0,5,3,-7\n"
    parsed = parse_eod_file(text, symbol="XYZ")
    assert parsed.issues == []
    assert ohlcv(parsed.bars) == [(day("2024-01-02"), -1.0, 0.0, 5.0, 3.0, -7)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n \n", "empty"),
        (b"No data", "missing: date, open, high, low, close"),
        (b"Date,Open,High,Low\n2024-01-02,1,2,0.5\n", "missing: close"),
        (b"Date,Open,High,Low,Close,Close\n", "'close' twice"),
        (b'"Date,Open\n', "not valid CSV"),
        (b"Date,Open,High,Low,Close\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_an_invalid_request_on_content(content: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as caught:
        parse_eod_file(content, symbol="XYZ")
    assert caught.value.field == "content"


def test_an_unknown_format_names_the_format_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_eod_file(GENERIC, "xlsx", symbol="AAPL")
    assert caught.value.field == "format"


def test_too_large_a_file_is_refused_before_reading() -> None:
    with pytest.raises(InvalidRequest, match="larger than 20 MB") as caught:
        parse_eod_file(b"x" * (20 * 1024 * 1024 + 1), symbol="XYZ")
    assert caught.value.field == "content"


def test_too_many_rows_are_refused() -> None:
    rows = "2024-01-02,1,2,0.5,1.5,10\n" * 4
    parse_eod_file(GENERIC.splitlines()[0] + "\n" + rows, symbol="XYZ", max_rows=4)
    with pytest.raises(InvalidRequest, match="more than 3 rows") as caught:
        parse_eod_file(GENERIC.splitlines()[0] + "\n" + rows, symbol="XYZ", max_rows=3)
    assert caught.value.field == "content"
    assert MAX_ROWS == 100_000


@given(st.text(max_size=300))
def test_any_text_below_a_good_header_parses_without_raising(body: str) -> None:
    parsed = parse_eod_file("Date,Open,High,Low,Close,Volume\n" + body, symbol="XYZ")
    assert len(parsed.bars) == len(parsed.lines)
    assert all(issue.line >= 2 for issue in parsed.issues)


def refused_field(content: bytes) -> str | None:
    try:
        parse_eod_file(content, "stooq", symbol="XYZ")
    except InvalidRequest as error:
        return error.field
    return None


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused_as_content(content: bytes) -> None:
    assert refused_field(content) in (None, "content")
