"""Interactive Brokers: the "Trades" section of an Activity Flex Query, delivered as CSV.

How to configure the query (IBKR Client Portal, Performance & Reports, Flex Queries):

- Sections: Trades, with at least the fields CurrencyPrimary, AssetClass, Symbol, TradeDate,
  Quantity, TradePrice, IBCommission and Buy/Sell (IBCommissionCurrency, LevelOfDetail and
  TradeID are read when present; all other fields are ignored);
- Delivery: format CSV, column headers included, no header and trailer records, no section code
  and line descriptor;
- General: date format ``yyyyMMdd`` (IBKR's default) or ``yyyy-MM-dd``. The slash formats are
  refused because ``MM/dd/yyyy`` and ``dd/MM/yyyy`` cannot be told apart; canceled trades excluded.

Mapping: ``BUY`` rows become buys; ``SELL`` rows, whose Quantity IBKR reports negative, become
sells of the absolute quantity; IBCommission, negative when charged, becomes the (positive)
commission. IBKR spells share classes with a space (``BRK B``), the platform with a dot (``BRK.B``).
Each draft's notes record the IBKR trade id when the file has one.

Rows the ledger has no place for are skipped, each with its reason, and returned so the caller can
show them: asset classes other than stocks and ETFs (``STK``: options, futures, forex, bonds, ...)
and order or summary lines (LevelOfDetail other than ``EXECUTION``), which repeat executions.
Everything else is all-or-nothing with ``ImportRejected``, as for the platform's own CSV: a trade
in another currency than the portfolio's, a commission charged in another currency, a rebate
(positive IBCommission) or a canceled trade is a problem of its row, never silently dropped.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from eqr_portfolio.domain.csv_transactions import (
    CsvRow,
    ImportedRows,
    ImportRejected,
    RowProblem,
    read_csv_table,
    row_problems,
    shown,
)
from eqr_portfolio.domain.drafts import TransactionDraft, parse_decimal, validate_draft
from eqr_portfolio.domain.errors import ValidationFailed, ViolationCollector
from eqr_portfolio.domain.transactions import TransactionKind

CURRENCY = "CurrencyPrimary"
ASSET_CLASS = "AssetClass"
SYMBOL = "Symbol"
TRADE_DATE = "TradeDate"
QUANTITY = "Quantity"
TRADE_PRICE = "TradePrice"
COMMISSION = "IBCommission"
BUY_SELL = "Buy/Sell"
COMMISSION_CURRENCY = "IBCommissionCurrency"
LEVEL_OF_DETAIL = "LevelOfDetail"
TRADE_ID = "TradeID"

REQUIRED_FIELDS = (CURRENCY, ASSET_CLASS, SYMBOL, TRADE_DATE, QUANTITY, TRADE_PRICE, COMMISSION, BUY_SELL)
OPTIONAL_FIELDS = (COMMISSION_CURRENCY, LEVEL_OF_DETAIL, TRADE_ID)
STOCK_ASSET_CLASS = "STK"
EXECUTION_LEVEL = "EXECUTION"

_COLUMN_OF_FIELD = {
    "kind": BUY_SELL,
    "trade_date": TRADE_DATE,
    "symbol": SYMBOL,
    "quantity": QUANTITY,
    "price": TRADE_PRICE,
    "commission": COMMISSION,
}
_COMPACT_DATE = re.compile(r"[0-9]{8}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SLASH_DATE = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}")
_TRADE_ID = re.compile(r"[0-9A-Za-z.-]{1,40}")


def parse_flex_trades_csv(text: str, *, base_currency: str, today: date, max_rows: int) -> ImportedRows:
    """The stock trades of a Flex Query's Trades section for a portfolio kept in ``base_currency``,
    or ``ImportRejected`` listing every row that cannot be imported."""
    table = read_csv_table(text, max_rows=max_rows)
    _refuse_unsupported_layout(table.header)
    positions = _field_positions(table.header, table.header_line)
    reader = _RowReader(positions, len(table.header), base_currency.strip().upper(), today)
    drafts: list[TransactionDraft] = []
    lines: list[int] = []
    skipped: list[RowProblem] = []
    problems: list[RowProblem] = []
    for row in table.rows:
        if row.cells == table.header:
            continue  # IBKR repeats the header for each account of a multi-account statement.
        outcome = reader.read(row)
        if isinstance(outcome, TransactionDraft):
            drafts.append(outcome)
            lines.append(row.line)
        elif isinstance(outcome, RowProblem):
            skipped.append(outcome)
        else:
            problems.extend(outcome)
    if problems:
        raise ImportRejected(*problems)
    return ImportedRows(drafts, lines, skipped)


def _refuse_unsupported_layout(header: list[str]) -> None:
    first = [cell.strip().upper() for cell in header[:2]]
    if first[:1] == ["BOF"]:
        raise ImportRejected.whole_file(
            "the file has header and trailer records; set 'Include header and trailer records' to No"
        )
    if first[1:] in (["HEADER"], ["BOS"]):
        raise ImportRejected.whole_file(
            "the file has section codes; set 'Include section code and line descriptor' to No"
        )


def _field_positions(header: list[str], line: int) -> dict[str, int]:
    wanted = {name.lower(): name for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)}
    positions: dict[str, int] = {}
    problems: list[RowProblem] = []
    for position, cell in enumerate(header):
        name = wanted.get(cell.strip().lower())
        if name is None:
            continue
        if name in positions:
            problems.append(RowProblem(line, name, "the field is named twice"))
        positions[name] = position
    missing = [name for name in REQUIRED_FIELDS if name not in positions]
    if missing:
        problems.append(
            RowProblem(
                line,
                "",
                f"the Trades section lacks {', '.join(missing)}; add them to the Flex Query "
                "(this may also not be a Trades section in CSV)",
            )
        )
    if problems:
        raise ImportRejected(*problems)
    return positions


class _RowReader:
    def __init__(self, positions: dict[str, int], width: int, base_currency: str, today: date) -> None:
        self._positions = positions
        self._width = width
        self._base_currency = base_currency
        self._today = today

    def read(self, row: CsvRow) -> TransactionDraft | RowProblem | list[RowProblem]:
        """The draft, the reason the row is skipped, or the problems that stop the import."""
        if len(row.cells) != self._width:
            message = f"has {len(row.cells)} fields but the header has {self._width}"
            return [RowProblem(row.line, "", message)]
        values = {name: row.cells[position].strip() for name, position in self._positions.items()}
        skip_reason = self._skip_reason(row.line, values)
        if skip_reason is not None:
            return skip_reason
        return self._draft(row.line, values)

    def _skip_reason(self, line: int, values: dict[str, str]) -> RowProblem | None:
        level = values.get(LEVEL_OF_DETAIL, "").upper()
        if level and level != EXECUTION_LEVEL:
            message = f"{shown(level)} is an order or summary line; only {EXECUTION_LEVEL} lines are imported"
            return RowProblem(line, LEVEL_OF_DETAIL, message)
        asset_class = values[ASSET_CLASS].upper()
        if asset_class and asset_class != STOCK_ASSET_CLASS:
            message = f"asset class {shown(asset_class)} is not imported; only stocks and ETFs (STK) are"
            return RowProblem(line, ASSET_CLASS, message)
        return None

    def _draft(self, line: int, values: dict[str, str]) -> TransactionDraft | list[RowProblem]:
        found = ViolationCollector()
        if not values[ASSET_CLASS]:
            found.add(ASSET_CLASS, "is empty")
        self._check_currency(found, CURRENCY, values[CURRENCY], required=True)
        self._check_currency(found, COMMISSION_CURRENCY, values.get(COMMISSION_CURRENCY, ""), required=False)
        kind = found.apply(lambda: _side(values[BUY_SELL]), None)
        trade_date = found.apply(lambda: _trade_date(values[TRADE_DATE]), None)
        signed_quantity = found.apply(lambda: parse_decimal(values[QUANTITY], QUANTITY), None)
        price = found.apply(lambda: parse_decimal(values[TRADE_PRICE], TRADE_PRICE), Decimal(0))
        commission = found.apply(lambda: _commission(values[COMMISSION]), Decimal(0))
        quantity = Decimal(0)
        if kind is not None and signed_quantity is not None:
            quantity = found.apply(lambda: _quantity(kind, signed_quantity), Decimal(0))
        violations = list(found.violations)
        if kind is not None:
            draft = TransactionDraft(
                kind,
                trade_date or self._today,
                " ".join(values[SYMBOL].split()).replace(" ", "."),
                quantity,
                price,
                commission=commission,
                notes=_notes(values.get(TRADE_ID, "")),
            )
            try:
                validated = validate_draft(draft, today=self._today)
            except ValidationFailed as error:
                reported = {violation.field for violation in violations}
                violations.extend(
                    v for v in error.violations if _COLUMN_OF_FIELD.get(v.field, v.field) not in reported
                )
            else:
                if not violations:
                    return validated
        return row_problems(line, violations, _COLUMN_OF_FIELD)

    def _check_currency(self, found: ViolationCollector, field: str, value: str, *, required: bool) -> None:
        currency = value.upper()
        if not currency:
            if required:
                found.add(field, "is empty")
        elif not (currency.isascii() and currency.isalpha() and len(currency) == 3):
            found.add(field, "is not a three-letter currency code")
        elif currency != self._base_currency:
            found.add(
                field,
                f"is {currency} but the portfolio's base currency is {self._base_currency}; "
                f"only {self._base_currency} trades can be imported",
            )


def _side(value: str) -> TransactionKind:
    side = value.upper()
    if side in ("BUY", "SELL"):
        return TransactionKind(side.lower())
    if side in ("BUY (CA.)", "SELL (CA.)"):
        raise ValidationFailed.single(
            BUY_SELL, "is a canceled trade; set 'Include Canceled Trades' to No in the Flex Query"
        )
    raise ValidationFailed.single(BUY_SELL, "must be BUY or SELL")


def _trade_date(value: str) -> date:
    if _SLASH_DATE.fullmatch(value):
        raise ValidationFailed.single(
            TRADE_DATE,
            "uses a date format that is ambiguous between months and days; "
            "choose yyyyMMdd or yyyy-MM-dd in the Flex Query's General Configuration",
        )
    if not (_COMPACT_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)):
        raise ValidationFailed.single(TRADE_DATE, "must be a date written yyyyMMdd or yyyy-MM-dd")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(TRADE_DATE, "is not a valid calendar date") from None


def _quantity(kind: TransactionKind, signed: Decimal) -> Decimal:
    """IBKR reports buys positive and sells negative; a sign that disagrees with Buy/Sell is an error."""
    if signed.is_zero():
        raise ValidationFailed.single(QUANTITY, "must not be 0")
    if (signed > 0) != (kind is TransactionKind.BUY):
        expected = "positive for a BUY" if kind is TransactionKind.BUY else "negative for a SELL"
        raise ValidationFailed.single(QUANTITY, f"must be {expected}")
    return signed.copy_abs()


def _commission(value: str) -> Decimal:
    """IBKR reports a commission charged as negative. (copy_negate, unlike -, never rounds.)"""
    signed = parse_decimal(value, COMMISSION)
    if signed > 0:
        raise ValidationFailed.single(COMMISSION, "is a rebate (positive), which cannot be imported")
    return Decimal(0) if signed.is_zero() else signed.copy_negate()


def _notes(trade_id: str) -> str:
    return f"IBKR trade {trade_id}" if _TRADE_ID.fullmatch(trade_id) else ""
