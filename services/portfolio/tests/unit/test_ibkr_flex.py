"""Interactive Brokers Flex Query trades: the mapping of real rows, and the rows it refuses or skips.

The sample is shaped as IBKR delivers a Trades section in CSV: every value double-quoted, many
more fields than the importer reads, IBKR's field names as column headers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eqr_portfolio.domain.csv_transactions import ImportRejected, RowProblem
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.ibkr_flex import ImportedRows, parse_flex_trades_csv
from eqr_portfolio.domain.transactions import TransactionKind

D = Decimal
K = TransactionKind
TODAY = date(2024, 6, 28)

FIELDS = (
    "ClientAccountID",
    "CurrencyPrimary",
    "AssetClass",
    "Symbol",
    "Description",
    "Conid",
    "TradeID",
    "TradeDate",
    "DateTime",
    "Quantity",
    "TradePrice",
    "Proceeds",
    "IBCommission",
    "IBCommissionCurrency",
    "NetCash",
    "Buy/Sell",
    "LevelOfDetail",
    "Open/CloseIndicator",
)
DEFAULTS = {
    "ClientAccountID": "U1234567",
    "CurrencyPrimary": "USD",
    "AssetClass": "STK",
    "Symbol": "AAPL",
    "Description": "APPLE INC",
    "Conid": "265598",
    "TradeID": "646219073",
    "TradeDate": "20240115",
    "DateTime": "20240115;093512",
    "Quantity": "10",
    "TradePrice": "185.92",
    "Proceeds": "-1859.2",
    "IBCommission": "-1",
    "IBCommissionCurrency": "USD",
    "NetCash": "-1860.2",
    "Buy/Sell": "BUY",
    "LevelOfDetail": "EXECUTION",
    "Open/CloseIndicator": "O",
}


def line(**values: str) -> str:
    row = DEFAULTS | {field.replace("_", "/"): value for field, value in values.items()}
    return ",".join('"' + row[field].replace('"', '""') + '"' for field in FIELDS)


def flex(*rows: str, fields: tuple[str, ...] = FIELDS) -> str:
    return "\n".join([",".join(f'"{field}"' for field in fields), *rows]) + "\n"


def parse(text: str, base_currency: str = "USD", max_rows: int = 1000) -> ImportedRows:
    return parse_flex_trades_csv(text, base_currency=base_currency, today=TODAY, max_rows=max_rows)


def problems(text: str, **options: object) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        parse(text, **options)  # type: ignore[arg-type]
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_buys_and_sells_are_mapped() -> None:
    result = parse(
        flex(
            line(),
            line(
                Symbol="BRK B",
                TradeID="646219080",
                TradeDate="2024-01-16",
                Quantity="-3.5",
                TradePrice="360.125",
                IBCommission="-1.0435",
                Buy_Sell="SELL",
                **{"Open/CloseIndicator": "C"},
            ),
        )
    )
    assert result == ImportedRows(
        drafts=[
            TransactionDraft(
                K.BUY,
                date(2024, 1, 15),
                "AAPL",
                D(10),
                D("185.92"),
                commission=D(1),
                notes="IBKR trade 646219073",
            ),
            TransactionDraft(
                K.SELL,
                date(2024, 1, 16),
                "BRK.B",
                D("3.5"),
                D("360.125"),
                commission=D("1.0435"),
                notes="IBKR trade 646219080",
            ),
        ],
        lines=[2, 3],
        skipped=[],
    )


def test_only_the_needed_fields_are_required_in_any_order_and_case() -> None:
    text = '"buy/sell","SYMBOL","TradeDate","Quantity","TradePrice","IBCommission",'
    text += '"AssetClass","CurrencyPrimary"\n'
    text += '"BUY","msft","20240102","1","370","0","STK","USD"\n'
    assert parse(text).drafts == [TransactionDraft(K.BUY, date(2024, 1, 2), "MSFT", D(1), D(370))]


def test_other_asset_classes_and_summary_lines_are_skipped_with_a_reason() -> None:
    result = parse(
        flex(
            line(AssetClass="OPT", Symbol="AAPL  240119C00190000"),
            line(AssetClass="CASH", Symbol="EUR.USD", CurrencyPrimary="USD"),
            line(LevelOfDetail="ORDER"),
            line(),
        )
    )
    assert len(result.drafts) == 1
    assert result.skipped == [
        RowProblem(2, "AssetClass", "asset class 'OPT' is not imported; only stocks and ETFs (STK) are"),
        RowProblem(3, "AssetClass", "asset class 'CASH' is not imported; only stocks and ETFs (STK) are"),
        RowProblem(
            4, "LevelOfDetail", "'ORDER' is an order or summary line; only EXECUTION lines are imported"
        ),
    ]


def test_a_repeated_header_of_a_multi_account_statement_is_not_a_row() -> None:
    header = flex().strip()
    assert len(parse(flex(line(), header, line(ClientAccountID="U7654321"))).drafts) == 2


def test_every_bad_row_is_reported_and_nothing_is_imported() -> None:
    text = flex(
        line(),
        line(CurrencyPrimary="EUR", IBCommissionCurrency="EUR", Symbol="SAP"),
        line(IBCommissionCurrency="CHF"),
        line(IBCommission="0.35"),
        line(Buy_Sell="BUY (Ca.)"),
        line(Buy_Sell="SELL", Quantity="10"),
        line(Quantity="-10"),
        line(Quantity="0"),
        line(Buy_Sell="TRANSFER"),
        line(CurrencyPrimary="", AssetClass=""),
    )
    usd_only = "the portfolio's base currency is USD; only USD trades can be imported"
    assert problems(text) == [
        (3, "CurrencyPrimary", f"is EUR but {usd_only}"),
        (3, "IBCommissionCurrency", f"is EUR but {usd_only}"),
        (4, "IBCommissionCurrency", f"is CHF but {usd_only}"),
        (5, "IBCommission", "is a rebate (positive), which cannot be imported"),
        (6, "Buy/Sell", "is a canceled trade; set 'Include Canceled Trades' to No in the Flex Query"),
        (7, "Quantity", "must be negative for a SELL"),
        (8, "Quantity", "must be positive for a BUY"),
        (9, "Quantity", "must not be 0"),
        (10, "Buy/Sell", "must be BUY or SELL"),
        (11, "AssetClass", "is empty"),
        (11, "CurrencyPrimary", "is empty"),
    ]


def test_a_trade_in_the_portfolio_s_currency_is_accepted_whatever_it_is() -> None:
    text = flex(line(CurrencyPrimary="EUR", IBCommissionCurrency="EUR", Symbol="SAP"))
    assert parse(text, base_currency="eur").drafts[0].symbol == "SAP"


@pytest.mark.parametrize(
    ("written", "day"), [("20240115", date(2024, 1, 15)), ("2024-01-15", date(2024, 1, 15))]
)
def test_unambiguous_date_formats(written: str, day: date) -> None:
    assert parse(flex(line(TradeDate=written))).drafts[0].trade_date == day


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("20241301", "is not a valid calendar date"),
        ("2024-02-30", "is not a valid calendar date"),
        ("20230229", "is not a valid calendar date"),
        (
            "01/02/2024",
            "uses a date format that is ambiguous between months and days; "
            "choose yyyyMMdd or yyyy-MM-dd in the Flex Query's General Configuration",
        ),
        ("15-Jan-24", "must be a date written yyyyMMdd or yyyy-MM-dd"),
        ("20240115;093512", "must be a date written yyyyMMdd or yyyy-MM-dd"),
        ("", "must be a date written yyyyMMdd or yyyy-MM-dd"),
        ("20310101", "must not be in the future"),
    ],
)
def test_bad_trade_dates(written: str, message: str) -> None:
    assert problems(flex(line(TradeDate=written))) == [(2, "TradeDate", message)]


def test_the_ledger_rules_apply_and_are_named_by_ibkr_fields() -> None:
    text = flex(line(Symbol="", TradePrice="-1"), line(Quantity="1.00000000001"), line(TradePrice="1,234.5"))
    assert problems(text) == [
        (2, "Symbol", "required for a buy"),
        (2, "TradePrice", "must not be negative"),
        (3, "Quantity", "must have at most 10 decimal places"),
        (4, "TradePrice", "must be a decimal number such as 12.50"),
    ]


def test_numbers_are_never_rounded_on_the_way() -> None:
    # 29 significant digits: a negation under the default 28-digit context would round it to fit.
    text = flex(line(IBCommission="-123456789012345678.12345678901"))
    assert problems(text) == [(2, "IBCommission", "must have at most 10 decimal places")]


def test_missing_fields_are_named() -> None:
    text = flex('"USD","AAPL"', fields=("CurrencyPrimary", "Symbol"))
    assert problems(text) == [
        (
            1,
            "",
            "the Trades section lacks AssetClass, TradeDate, Quantity, TradePrice, IBCommission, Buy/Sell; "
            "add them to the Flex Query (this may also not be a Trades section in CSV)",
        )
    ]


def test_the_platform_s_own_csv_is_not_mistaken_for_a_flex_query() -> None:
    ((line_number, _, message),) = problems("date,type,amount\n2024-01-02,deposit,100\n")
    assert (line_number, message.startswith("the Trades section lacks CurrencyPrimary")) == (1, True)


def test_a_field_named_twice() -> None:
    text = flex(line() + ',"20240116"', fields=(*FIELDS, "TradeDate"))
    assert problems(text) == [(1, "TradeDate", "the field is named twice")]


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        (
            '"BOF","U1234567","1","20240101","20240628","20240628;101500","100","100"',
            "the file has header and trailer records; set 'Include header and trailer records' to No",
        ),
        (
            '"TRNT","HEADER","ClientAccountID","CurrencyPrimary"',
            "the file has section codes; set 'Include section code and line descriptor' to No",
        ),
    ],
)
def test_other_delivery_layouts_are_explained(first_line: str, message: str) -> None:
    assert problems(f"{first_line}\n{line()}\n") == [(None, "", message)]


def test_a_row_with_a_different_width() -> None:
    assert problems(flex(line() + ',"extra"')) == [(2, "", "has 19 fields but the header has 18")]


def test_empty_files_and_the_row_limit() -> None:
    assert problems("") == [(None, "", "the file is empty")]
    assert problems(flex()) == [(None, "", "the file has a header but no rows")]
    over = flex(*[line()] * 1001)
    assert problems(over, max_rows=1000) == [(None, "", "the file has more than 1000 rows; split it up")]


def test_hostile_values_are_shown_bounded_and_printable() -> None:
    text = flex(line(AssetClass='=HYPERLINK("x")\x00' + "x" * 5000))
    (skipped,) = parse(text).skipped
    shown = '=HYPERLINK("X")?' + "X" * 23 + "…"  # 39 printable characters and an ellipsis
    assert skipped.message == f"asset class '{shown}' is not imported; only stocks and ETFs (STK) are"
