"""End-of-day files: the common ``Date,Open,High,Low,Close,Volume`` CSV and Stooq's formats.

Columns are found by their header, case-insensitively, in any order; other columns (e.g.
``Adj Close``, ``<OPENINT>``) are ignored and ``Volume`` may be absent (indices). Accepted:

- generic CSV: comma or semicolon delimited (with a semicolon, a decimal comma is allowed),
  ISO dates (``2024-01-31``), an optional UTF-8 byte-order mark;
- Stooq's download (``stooq.com/q/d/l/``): the same header, comma delimited;
- Stooq's ASCII bulk files: ``<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,
  <VOL>,<OPENINT>`` with ``YYYYMMDD`` dates; only daily rows (``<PER>`` = ``D``) of the
  requested symbol (a market suffix such as ``.US`` aside).

A bad row never raises: it becomes a rejected ``QualityIssue`` with its 1-based line and
field. Only a file that cannot be read at all (too large, too many rows, not UTF-8, no
usable header) raises ``InvalidRequest`` on ``content``; an unknown format on ``format``.
Prices are not judged here: the quality checks do that next.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Bar, Interval, Source
from eqr_market_data.domain.quality import QualityIssue, Severity

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

REQUIRED_COLUMNS = ("date", "open", "high", "low", "close")
_READ_COLUMNS = (*REQUIRED_COLUMNS, "volume", "per", "ticker")
_ALIASES = {"vol": "volume"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPACT_DATE = re.compile(r"\d{8}")
_MARKET_SUFFIX = re.compile(r"\.[A-Z]{2}$")


class EodFormat(StrEnum):
    CSV = "csv"
    STOOQ = "stooq"


class ParseCheck(StrEnum):
    COLUMN_COUNT = "column_count"
    MALFORMED_ROW = "malformed_row"
    MISSING_VALUE = "missing_value"
    BAD_DATE = "bad_date"
    NON_NUMERIC = "non_numeric"
    BAD_PERIOD = "bad_period"
    TICKER_MISMATCH = "ticker_mismatch"


@dataclass(frozen=True)
class ParsedFile:
    bars: list[Bar] = field(default_factory=list)
    issues: list[QualityIssue] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """The file line of each bar (for the quality checks' findings)."""


def parse_eod_file(
    content: bytes | str,
    file_format: str = EodFormat.CSV,
    *,
    symbol: str,
    source: str = Source.IMPORT,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
) -> ParsedFile:
    """Daily bars of ``symbol`` (already normalised) read from ``content``, in file order."""
    if file_format not in set(EodFormat):
        raise InvalidRequest("format", f"must be one of {', '.join(EodFormat)}")
    size = len(content) if isinstance(content, bytes) else len(content.encode())
    if size > max_bytes:
        raise InvalidRequest("content", f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    text = _decoded(content)
    physical = text.split("\n")
    header_index = next((index for index, line in enumerate(physical) if line.strip()), None)
    if header_index is None:
        raise InvalidRequest("content", "the file is empty")
    header_line = physical[header_index].rstrip("\r")
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    try:
        header = _cells(header_line, delimiter)
    except csv.Error:
        raise InvalidRequest("content", "the header line is not valid CSV") from None
    while header and not header[-1]:
        header.pop()

    reader = _RowReader(symbol, source, header, decimal_comma=delimiter == ";")
    parsed = ParsedFile()
    rows = 0
    for index in range(header_index + 1, len(physical)):
        line = physical[index].rstrip("\r")
        if not line.strip():
            continue
        rows += 1
        if rows > max_rows:
            raise InvalidRequest("content", f"the file has more than {max_rows} rows")
        try:
            cells = _cells(line, delimiter)
        except csv.Error as error:
            parsed.issues.append(reader.issue(index + 1, ParseCheck.MALFORMED_ROW, "", str(error)))
            continue
        bar = reader.read(index + 1, cells, parsed.issues)
        if bar is not None:
            parsed.bars.append(bar)
            parsed.lines.append(index + 1)
    return parsed


def _decoded(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("content", "the file is not UTF-8 text") from None


def _cells(line: str, delimiter: str) -> list[str]:
    if '"' not in line:
        return [cell.strip() for cell in line.split(delimiter)]
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter, strict=True))]


def _columns(header: list[str]) -> dict[str, int]:
    """Position of each column this parser reads, by canonical name."""
    positions: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = _ALIASES.get(raw.strip("<>").lower(), raw.strip("<>").lower())
        if name not in _READ_COLUMNS:
            continue
        if name in positions:
            raise InvalidRequest("content", f"the header names {name!r} twice")
        positions[name] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise InvalidRequest(
            "content",
            f"the header must name Date, Open, High, Low and Close (missing: {', '.join(missing)})",
        )
    return positions


class _RowReader:
    def __init__(self, symbol: str, source: str, header: list[str], *, decimal_comma: bool) -> None:
        self._symbol = symbol
        self._source = source
        self._columns = _columns(header)
        self._width = len(header)
        self._decimal_comma = decimal_comma

    def issue(self, line: int, check: ParseCheck, field: str, message: str) -> QualityIssue:
        return QualityIssue(self._symbol, check, Severity.REJECTED, message, field, line)

    def read(self, line: int, cells: list[str], issues: list[QualityIssue]) -> Bar | None:
        while len(cells) > self._width and not cells[-1]:
            cells.pop()
        if len(cells) != self._width:
            message = f"expected {self._width} columns, found {len(cells)}"
            issues.append(self.issue(line, ParseCheck.COLUMN_COUNT, "", message))
            return None
        found: list[QualityIssue] = []
        values = {name: cells[position] for name, position in self._columns.items()}
        for name in (*REQUIRED_COLUMNS, "volume"):
            if name in values and not values[name]:
                found.append(self.issue(line, ParseCheck.MISSING_VALUE, name, f"{name} is empty"))
        if found:
            issues.extend(found)
            return None
        day = self._date(values["date"])
        if day is None:
            found.append(self.issue(line, ParseCheck.BAD_DATE, "date", "not a date (YYYY-MM-DD or YYYYMMDD)"))
        numbers: dict[str, float] = {}
        for name in ("open", "high", "low", "close", "volume"):
            number = self._number(values.get(name, "0"))
            if number is None:
                found.append(self.issue(line, ParseCheck.NON_NUMERIC, name, f"{name} is not a number"))
            else:
                numbers[name] = number
        found.extend(self._stooq_fields(line, values))
        if found or day is None:
            issues.extend(found)
            return None
        return Bar(
            symbol=self._symbol,
            interval=Interval.D1,
            start=datetime.combine(day, time(), tzinfo=UTC),
            open=numbers["open"],
            high=numbers["high"],
            low=numbers["low"],
            close=numbers["close"],
            volume=round(numbers["volume"]),
            source=self._source,
        )

    def _stooq_fields(self, line: int, values: dict[str, str]) -> list[QualityIssue]:
        found = []
        period = values.get("per")
        if period is not None and period.upper() != "D":
            message = f"period {period[:8]!r} is not daily (D)"
            found.append(self.issue(line, ParseCheck.BAD_PERIOD, "per", message))
        ticker = values.get("ticker")
        if ticker is not None and not self._same_symbol(ticker):
            message = f"ticker {ticker[:20]!r} is not {self._symbol}"
            found.append(self.issue(line, ParseCheck.TICKER_MISMATCH, "ticker", message))
        return found

    def _same_symbol(self, ticker: str) -> bool:
        core = _MARKET_SUFFIX.sub("", ticker.upper())
        return core.replace("-", ".") == self._symbol.replace("-", ".")

    @staticmethod
    def _date(cell: str) -> date | None:
        if not (_ISO_DATE.fullmatch(cell) or _COMPACT_DATE.fullmatch(cell)):
            return None
        digits = cell.replace("-", "")
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return None

    def _number(self, cell: str) -> float | None:
        if self._decimal_comma:
            cell = cell.replace(",", ".")
        if not _NUMBER.fullmatch(cell):
            return None
        number = float(cell)
        return number if math.isfinite(number) else None
