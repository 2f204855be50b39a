"""Transactions as CSV: the platform's own documented column format, for import and export.

The format:

- a header row naming the columns ``date,type,symbol,quantity,price,amount,ratio,commission,notes``
  in any order, case-insensitively; ``date`` and ``type`` are required, a missing optional column
  reads as empty, and a column that is not in the list is rejected by name;
- one transaction per row: ``date`` as ``YYYY-MM-DD``; ``type`` one of the ``TransactionKind``
  values; numbers as plain decimals with ``.`` (``1234.5``, no exponent, no thousands separator),
  empty meaning 0; the rules per type are ``validate_draft``'s;
- comma separated, double-quoted where needed (RFC 4180), CRLF or LF line ends, blank lines ignored.

The parser takes ``str``: the API decodes the upload as UTF-8 (rejecting other bytes) and a
leading byte-order mark is ignored here. It is all-or-nothing: ``ImportRejected`` carries every
bad row as (line, column, message), so a caller can show the whole report as a dry run. The number
of rows is checked while reading, before any row is validated, and each cell is bounded (by the
csv module's 131072 characters, then by each column's own limit).

Spreadsheet formula injection (OWASP "CSV Injection"): on import a ``symbol`` or ``notes`` cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is rejected, unless it is
escaped with a leading single quote, which is then removed; on export such text gets that quote.
Numeric columns are read as numbers, so ``-5`` is a negative number (which the rules then reject
where it is not allowed), never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from eqr_portfolio.domain.drafts import (
    TransactionDraft,
    TransactionFields,
    parse_choice,
    parse_decimal,
    parse_iso_date,
    validate_draft,
)
from eqr_portfolio.domain.errors import DomainError, FieldViolation, ValidationFailed, ViolationCollector
from eqr_portfolio.domain.transactions import TransactionKind

COLUMNS = ("date", "type", "symbol", "quantity", "price", "amount", "ratio", "commission", "notes")
REQUIRED_COLUMNS = ("date", "type")
_COLUMN_OF_FIELD = {"trade_date": "date", "kind": "type"}
"""Draft fields whose column has another name; the rest share theirs."""

_FORMULA_STARTS = ("=", "+", "-", "@")
_FORMULA_CONTROL_STARTS = ("\t", "\r")
_SHOWN_LENGTH = 40


@dataclass(frozen=True)
class RowProblem:
    """Why (part of) a row cannot be imported. ``line`` is the 1-based line the row starts on, or
    ``None`` for the file as a whole; ``field`` names the column, or is empty for the whole row."""

    line: int | None
    field: str
    message: str


class ImportRejected(DomainError):
    """Nothing was imported; ``problems`` lists every row that stopped it."""

    def __init__(self, *problems: RowProblem) -> None:
        if not problems:
            raise ValueError("ImportRejected needs at least one problem")
        self.problems = problems
        first = problems[0]
        where = "the file" if first.line is None else f"line {first.line}"
        field = f", {first.field}" if first.field else ""
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        super().__init__(f"nothing imported: {count}; the first: {where}{field}: {first.message}")

    @classmethod
    def whole_file(cls, message: str) -> ImportRejected:
        return cls(RowProblem(None, "", message))


@dataclass(frozen=True)
class CsvRow:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    header_line: int
    rows: list[CsvRow]


def read_csv_table(text: str, *, max_rows: int) -> CsvTable:
    """The header (the first non-blank row) and the non-blank rows after it, each with the line it
    starts on. Raises ``ImportRejected`` for an empty file, a file with no rows, more than
    ``max_rows`` rows (as soon as the next one is seen) or text the csv module cannot read."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header: CsvRow | None = None
    rows: list[CsvRow] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader, None)
        except csv.Error as error:
            raise ImportRejected(RowProblem(line, "", f"is not valid CSV ({error})")) from None
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = CsvRow(line, cells)
            continue
        if len(rows) == max_rows:
            raise ImportRejected.whole_file(f"the file has more than {max_rows} rows; split it up")
        rows.append(CsvRow(line, cells))
    if header is None:
        raise ImportRejected.whole_file("the file is empty")
    if not rows:
        raise ImportRejected.whole_file("the file has a header but no rows")
    return CsvTable(header.cells, header.line, rows)


def shown(text: str) -> str:
    """``text`` quoted for a message: printable characters only and at most 40 of them."""
    printable = "".join(char if char.isprintable() else "?" for char in text[: _SHOWN_LENGTH + 1])
    if len(printable) > _SHOWN_LENGTH:
        printable = printable[: _SHOWN_LENGTH - 1] + "…"
    return f"'{printable}'"


def row_problems(
    line: int, violations: Iterable[FieldViolation], columns: Mapping[str, str]
) -> list[RowProblem]:
    """``violations`` as problems of the row at ``line``, each field renamed through ``columns``."""
    return [RowProblem(line, columns.get(v.field, v.field), v.message) for v in violations]


def unescape_text_cell(cell: str, field: str) -> str:
    """The text of a ``symbol`` or ``notes`` cell, rejected if a spreadsheet would run it as a
    formula; a leading single quote that escapes a formula is removed."""
    if not _looks_like_formula(cell):
        return cell
    if cell.startswith("'"):
        return cell[1:]
    raise ValidationFailed.single(
        field, "must not start with =, +, -, @, a tab or a line break (a spreadsheet formula)"
    )


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading single quote if a spreadsheet would otherwise run it as a formula;
    the exact inverse of ``unescape_text_cell``."""
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    # Leading quotes are skipped so that escaping is reversible: "'=x" is exported as "''=x".
    unquoted = text.lstrip("'")
    return unquoted.startswith(_FORMULA_CONTROL_STARTS) or unquoted.lstrip(" ").startswith(_FORMULA_STARTS)


@dataclass(frozen=True)
class ImportedRows:
    """A file's transactions to import, in file order, each with the line its row starts on, and
    the rows deliberately left out (with the reason)."""

    drafts: list[TransactionDraft]
    lines: list[int]
    skipped: list[RowProblem]


def parse_transactions_csv(text: str, *, today: date, max_rows: int) -> ImportedRows:
    """Every row of ``text`` as a validated draft, in file order, or ``ImportRejected``."""
    table = read_csv_table(text, max_rows=max_rows)
    positions, width = _column_positions(table.header, table.header_line)
    drafts: list[TransactionDraft] = []
    lines: list[int] = []
    problems: list[RowProblem] = []
    for row in table.rows:
        draft, found = _read_row(row, positions, width, today)
        problems.extend(found)
        if draft is not None:
            drafts.append(draft)
            lines.append(row.line)
    if problems:
        raise ImportRejected(*problems)
    return ImportedRows(drafts, lines, skipped=[])


def render_transactions_csv(transactions: Iterable[TransactionFields]) -> str:
    """``transactions`` in the documented format, in the order given; zero numbers as empty cells,
    text made spreadsheet-safe. No byte-order mark: the caller adds one if it encodes for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for transaction in transactions:
        writer.writerow(
            [
                transaction.trade_date.isoformat(),
                transaction.kind.value,
                spreadsheet_safe(transaction.symbol or ""),
                *(
                    _number_cell(value)
                    for value in (
                        transaction.quantity,
                        transaction.price,
                        transaction.amount,
                        transaction.ratio,
                        transaction.commission,
                    )
                ),
                spreadsheet_safe(transaction.notes),
            ]
        )
    return out.getvalue()


def _number_cell(value: Decimal) -> str:
    return "" if value.is_zero() else format(value, "f")


def _column_positions(header: list[str], line: int) -> tuple[dict[str, int], int]:
    """Where each named column is, and how many columns the header has (trailing unnamed ones,
    which spreadsheets leave behind, not counted)."""
    names = [cell.strip().lower() for cell in header]
    while not names[-1]:
        names.pop()
    problems: list[RowProblem] = []
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            problems.append(RowProblem(line, "", f"column {position + 1} has no name"))
        elif name not in COLUMNS:
            problems.append(
                RowProblem(line, "", f"unknown column {shown(name)}; the columns are {', '.join(COLUMNS)}")
            )
        elif name in positions:
            problems.append(RowProblem(line, name, "the column is named twice"))
        else:
            positions[name] = position
    problems.extend(
        RowProblem(line, name, "the required column is missing")
        for name in REQUIRED_COLUMNS
        if name not in positions
    )
    if problems:
        raise ImportRejected(*problems)
    return positions, len(names)


def _read_row(
    row: CsvRow, positions: dict[str, int], width: int, today: date
) -> tuple[TransactionDraft | None, list[RowProblem]]:
    cells = row.cells
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        return None, [RowProblem(row.line, "", f"has {len(cells)} cells but the header has {width} columns")]

    def cell(column: str) -> str:
        return cells[positions[column]] if column in positions else ""

    def number(column: str) -> Decimal:
        return parsing.apply(lambda: parse_decimal(cell(column), column), Decimal(0))

    parsing = ViolationCollector()
    kind = parsing.apply(lambda: parse_choice(cell("type"), TransactionKind, "kind"), None)
    trade_date = parsing.apply(lambda: parse_iso_date(cell("date"), "trade_date"), None)
    symbol = parsing.apply(lambda: unescape_text_cell(cell("symbol"), "symbol"), "")
    quantity, price, amount, ratio, commission = (
        number(column) for column in ("quantity", "price", "amount", "ratio", "commission")
    )
    notes = parsing.apply(lambda: unescape_text_cell(cell("notes"), "notes"), "")
    violations = list(parsing.violations)
    if kind is not None:
        draft = TransactionDraft(
            kind, trade_date or today, symbol or None, quantity, price, amount, ratio, commission, notes
        )
        try:
            validated = validate_draft(draft, today=today)
        except ValidationFailed as error:
            unparsed = {violation.field for violation in violations}
            violations.extend(v for v in error.violations if v.field not in unparsed)
        else:
            if not violations:
                return validated, []
    problems = row_problems(row.line, violations, _COLUMN_OF_FIELD)
    return None, sorted(problems, key=lambda problem: COLUMNS.index(problem.field))
