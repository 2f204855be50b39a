"""The platform's own transaction CSV: hostile files in, spreadsheet-safe files out."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.csv_transactions import (
    ImportRejected,
    RowProblem,
    parse_transactions_csv,
    render_transactions_csv,
    spreadsheet_safe,
    unescape_text_cell,
)
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.transactions import TransactionKind

D = Decimal
K = TransactionKind
TODAY = date(2024, 6, 28)
HEADER = "date,type,symbol,quantity,price,amount,ratio,commission,notes"
SYMBOL_RULE = (
    "must be 1-32 characters of A-Z, 0-9, '.', '-', '^', '=', starting with a letter, a digit or '^'"
)
CONTROL_RULE = "must not contain control characters (line breaks and tabs included)"


def parse(text: str, max_rows: int = 1000) -> list[TransactionDraft]:
    return parse_transactions_csv(text, today=TODAY, max_rows=max_rows).drafts


def problems(text: str, max_rows: int = 1000) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        parse(text, max_rows)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_a_well_formed_file() -> None:
    text = (
        f"{HEADER}\n"
        "2024-01-02,deposit,,,,10000,,,initial funding\n"
        '2024-01-03,buy,aapl,10,185.20,,,1,"bought, finally"\n'
        "2024-02-15,dividend,AAPL,,,2.40,,,\n"
        "2024-06-10,split,NVDA,,,,10,,\n"
    )
    assert parse(text) == [
        TransactionDraft(K.DEPOSIT, date(2024, 1, 2), amount=D(10000), notes="initial funding"),
        TransactionDraft(
            K.BUY, date(2024, 1, 3), "AAPL", D(10), D("185.20"), commission=D(1), notes="bought, finally"
        ),
        TransactionDraft(K.DIVIDEND, date(2024, 2, 15), "AAPL", amount=D("2.40")),
        TransactionDraft(K.SPLIT, date(2024, 6, 10), "NVDA", ratio=D(10)),
    ]


def test_columns_in_any_order_and_case_optional_ones_left_out_bom_and_crlf() -> None:
    text = "\ufeff Type ,Amount,DATE\r\nwithdrawal,250,2024-03-01\r\n\r\n"
    assert parse(text) == [TransactionDraft(K.WITHDRAWAL, date(2024, 3, 1), amount=D(250))]


def test_blank_lines_and_spreadsheet_leftovers_are_ignored() -> None:
    text = f"\n{HEADER},,\n\n2024-01-02,fee,,,,5,,,,,\n,,,,,,,,,,\n"
    assert parse(text) == [TransactionDraft(K.FEE, date(2024, 1, 2), amount=D(5))]


def test_the_header_is_checked_as_a_whole() -> None:
    text = "Date,type,symbol,qty,type,,Price\n2024-01-02,buy,AAPL,1,buy,,1\n"
    assert problems(text) == [
        (1, "", "unknown column 'qty'; the columns are " + HEADER.replace(",", ", ")),
        (1, "type", "the column is named twice"),
        (1, "", "column 6 has no name"),
    ]


def test_missing_required_columns_are_named() -> None:
    assert problems("symbol,quantity\nAAPL,1\n") == [
        (1, "date", "the required column is missing"),
        (1, "type", "the required column is missing"),
    ]


def test_an_unknown_column_name_is_shown_bounded_and_printable() -> None:
    ((_, _, message),) = problems(f"date,type,\x00{'=HYPERLINK(x)' * 100}\n2024-01-02,fee\n")
    shown = "?" + ("=hyperlink(x)" * 3)[:38] + "…"
    assert message.startswith(f"unknown column '{shown}'; the columns are date, type,")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\ufeff", "the file is empty"),
        ("\n\r\n  \n", "the file is empty"),
        (f"{HEADER}\n", "the file has a header but no rows"),
        (f"{HEADER}\r\n,,,\r\n", "the file has a header but no rows"),
    ],
)
def test_files_without_rows(text: str, message: str) -> None:
    assert problems(text) == [(None, "", message)]


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported() -> None:
    text = (
        f"{HEADER}\n"
        "2024-01-02,deposit,,,,100,,,\n"
        "2024-02-30,buy,AAPL,10,1,,,,\n"
        "2024-01-03,buy,AAPL,-10,1,,,,\n"
        "\n"
        "2024-01-04,purchase,AAPL,10,1,,,,\n"
        "2031-01-01,sell,,abc,-1,5,,,\n"
    )
    assert problems(text) == [
        (3, "date", "is not a valid calendar date"),
        (4, "quantity", "must be greater than 0"),
        (6, "type", "must be one of buy, sell, dividend, split, deposit, withdrawal, fee, interest"),
        (7, "date", "must not be in the future"),
        (7, "symbol", "required for a sell"),
        (7, "quantity", "must be a decimal number such as 12.50"),
        (7, "price", "must not be negative"),
        (7, "amount", "does not apply to a sell; leave it empty or 0"),
    ]


@pytest.mark.parametrize(
    "day", ["20241301", "20240115", "2024/01/15", "15.01.2024", "2024-13-01", "yesterday"]
)
def test_dates_must_be_iso(day: str) -> None:
    ((line, field, _),) = problems(f"date,type,amount\n{day},deposit,1\n")
    assert (line, field) == (2, "date")


def test_the_error_summarises_without_echoing_the_cells() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse(f"{HEADER}\n2024-01-02,buy,<script>,1,1,,,,\n2024-01-02,buy,AAPL,0,1,,,,\n")
    assert str(caught.value).startswith(
        "nothing imported: 2 problems; the first: line 2, symbol: must be 1-32"
    )
    assert "<script>" not in str(caught.value)


def test_rows_must_match_the_header() -> None:
    text = "date,type,amount\n2024-01-02,deposit\n2024-01-02,deposit,1,surprise\n2024-01-02,deposit,1,\n"
    assert problems(text) == [
        (2, "", "has 2 cells but the header has 3 columns"),
        (3, "", "has 4 cells but the header has 3 columns"),
    ]


@pytest.mark.parametrize(
    "cell",
    [
        '"=HYPERLINK(""http://evil.example"",""click"")"',
        "@SUM(A1:A9)",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "  =1+1",
        '"\t=1+1"',
        '"\r=1+1"',
    ],
)
@pytest.mark.parametrize("column", ["symbol", "notes"])
def test_formulas_in_text_cells_are_rejected(cell: str, column: str) -> None:
    text = f"date,type,amount,{column}\n2024-01-02,fee,5,{cell}\n"
    assert problems(text) == [
        (2, column, "must not start with =, +, -, @, a tab or a line break (a spreadsheet formula)")
    ]


def test_a_quoted_formula_is_text() -> None:
    (result,) = parse("date,type,amount,notes\n2024-01-02,fee,5,'=SUM(1)\n")
    assert result.notes == "=SUM(1)"


def test_numeric_cells_are_numbers_not_formulas() -> None:
    text = "date,type,symbol,quantity,price\n2024-01-02,buy,AAPL,-5,+1.5\n2024-01-02,buy,AAPL,=1+2,1\n"
    assert problems(text) == [
        (2, "quantity", "must be greater than 0"),
        (3, "quantity", "must be a decimal number such as 12.50"),
    ]


def test_embedded_nul_and_control_characters_are_refused() -> None:
    text = "date,type,amount,symbol,notes\n2024-01-02,fee,5,AA\x00PL,ok\n2024-01-02,fee,5,,a\x00b\n"
    assert problems(text) == [(2, "symbol", SYMBOL_RULE), (3, "notes", CONTROL_RULE)]


def test_a_row_spanning_lines_is_reported_where_it_starts_and_later_lines_keep_their_numbers() -> None:
    text = 'date,type,amount,notes\n2024-01-02,fee,5,"two\nlines"\n2024-01-02,fee,0,\n'
    assert problems(text) == [(2, "notes", CONTROL_RULE), (4, "amount", "must be greater than 0")]


def test_extremely_long_cells_are_bounded() -> None:
    text = (
        "date,type,amount,notes\n"
        f"2024-01-02,fee,5,{'n' * 5000}\n"
        f"2024-01-02,fee,{'9' * 10_000},\n"
        f"2024-01-02,fee,5,{'x' * 200_000}\n"
    )
    assert problems(text) == [(4, "", "is not valid CSV (field larger than field limit (131072))")]
    assert problems(text.rsplit("\n", 2)[0] + "\n") == [
        (2, "notes", "must be at most 1000 characters"),
        (3, "amount", "must be a decimal number such as 12.50"),
    ]


def test_a_file_over_the_row_limit_is_refused_at_once() -> None:
    text = f"{HEADER}\n" + "2024-01-02,buy,AAPL,-1,x,,,,\n" * 100_000
    started = time.perf_counter()
    found = problems(text, max_rows=5000)
    elapsed = time.perf_counter() - started
    assert found == [(None, "", "the file has more than 5000 rows; split it up")]
    assert elapsed < 1.0, "the limit must stop reading, not validate every row first"


def test_a_file_at_the_row_limit_is_read() -> None:
    text = "date,type,amount\n" + "2024-01-02,deposit,1\n" * 3
    assert len(parse(text, max_rows=3)) == 3


def test_the_problem_type_is_the_domain_s() -> None:
    assert ImportRejected(RowProblem(2, "date", "x")).problems == (RowProblem(2, "date", "x"),)
    with pytest.raises(ValueError, match="at least one problem"):
        ImportRejected()


def test_export_writes_the_documented_columns_with_zeros_empty() -> None:
    exported = render_transactions_csv(
        [
            TransactionDraft(K.BUY, date(2024, 1, 3), "BRK.B", D(10), D("350.50"), commission=D(1)),
            TransactionDraft(K.FEE, date(2024, 1, 4), amount=D(5), notes='custody, "Q1"'),
        ]
    )
    assert exported == (
        f'{HEADER}\r\n2024-01-03,buy,BRK.B,10,350.50,,,1,\r\n2024-01-04,fee,,,,5,,,"custody, ""Q1"""\r\n'
    )


@pytest.mark.parametrize(
    ("notes", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("  =1", "'  =1"),
        ("'=1", "''=1"),
        ("'quoted'", "'quoted'"),
        ("a=b", "a=b"),
    ],
)
def test_export_neutralises_formulas(notes: str, cell: str) -> None:
    exported = render_transactions_csv([TransactionDraft(K.FEE, date(2024, 1, 4), amount=D(5), notes=notes)])
    assert exported.splitlines()[1] == f"2024-01-04,fee,,,,5,,,{cell}"


def test_unescaping_refuses_what_a_spreadsheet_would_run() -> None:
    assert unescape_text_cell("'-5", "notes") == "-5"
    with pytest.raises(ValidationFailed):
        unescape_text_cell("\t'=1", "notes")


@given(st.text(max_size=50))
def test_escaping_is_exactly_undone(text: str) -> None:
    assert unescape_text_cell(spreadsheet_safe(text), "notes") == text


notes_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("=+-@'\",; ,"),
        st.characters(
            blacklist_categories=("Cc", "Cs"),
            blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
        ),
    ),
    max_size=60,
).map(str.strip)
amounts = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)
symbols = st.from_regex(r"[A-Z0-9^][A-Z0-9.^=-]{0,31}", fullmatch=True)
days = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
rows = st.one_of(
    st.builds(
        TransactionDraft,
        st.sampled_from([K.BUY, K.SELL]),
        days,
        symbols,
        amounts,
        amounts,
        commission=amounts,
        notes=notes_text,
    ),
    st.builds(TransactionDraft, st.just(K.SPLIT), days, symbols, ratio=amounts, notes=notes_text),
    st.builds(
        TransactionDraft,
        st.sampled_from([K.DIVIDEND, K.FEE]),
        days,
        symbols,
        amount=amounts,
        notes=notes_text,
    ),
    st.builds(
        TransactionDraft,
        st.sampled_from([K.DEPOSIT, K.WITHDRAWAL, K.INTEREST, K.FEE]),
        days,
        amount=amounts,
        commission=amounts,
        notes=notes_text,
    ),
)


@given(st.lists(rows, min_size=1, max_size=20))
def test_export_then_import_gives_back_the_transactions(transactions: list[TransactionDraft]) -> None:
    assert parse(render_transactions_csv(transactions)) == transactions


def test_dates_at_the_ends_of_the_calendar_are_row_problems() -> None:
    text = f"{HEADER}\n0001-01-01,deposit,,,,100,,,\n9999-12-31,deposit,,,,100,,,\n"
    assert problems(text) == [
        (2, "date", "must be on or after 1900-01-01"),
        (3, "date", "must not be in the future"),
    ]
