"""The whole portfolio as one versioned JSON document, for backups and moves between instances.

Version 1::

    {"format": "eqr.portfolio", "version": 1,
     "portfolio": {"name": "...", "description": "...", "base_currency": "USD", "benchmark": "^GSPC",
                   "cost_method": "fifo", "cash_mode": "tracking", "allow_short": false},
     "transactions": [{"kind": "buy", "trade_date": "2024-01-15", "symbol": "AAPL", "quantity": "10",
                       "price": "185.20", "amount": "0", "ratio": "0", "commission": "1", "notes": ""}]}

Numbers are JSON strings in plain decimal notation, never JSON numbers, so no reader on the way
turns them into floats and ``"185.20"`` comes back as exactly ``Decimal("185.20")``; dates are
``YYYY-MM-DD``. Transactions are written in the order given (the ledger's), and importing them in
document order reproduces that order.

Reading is strict, and reports every violation at once with its path (``portfolio.name``,
``transactions[3].quantity``, indexes from 0): unknown fields are rejected by name, ``format`` and
``version`` must be the ones above, values must have the JSON type shown. Fields other than
``portfolio.name``, ``portfolio.base_currency``, ``kind`` and ``trade_date`` may be left out and
then take their defaults (empty text, zero, ``fifo``, ``tracking``, ``false``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from eqr_portfolio.domain.csv_transactions import shown
from eqr_portfolio.domain.drafts import (
    TransactionDraft,
    TransactionFields,
    parse_choice,
    parse_decimal,
    parse_iso_date,
    validate_draft,
)
from eqr_portfolio.domain.errors import FieldViolation, ValidationFailed
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft, validate_portfolio_settings
from eqr_portfolio.domain.transactions import CashMode, CostMethod, TransactionKind

T = TypeVar("T")

FORMAT = "eqr.portfolio"
VERSION = 1
DOCUMENT_KEYS = ("format", "version", "portfolio", "transactions")
PORTFOLIO_KEYS = (
    "name",
    "description",
    "base_currency",
    "benchmark",
    "cost_method",
    "cash_mode",
    "allow_short",
)
TRANSACTION_KEYS = (
    "kind",
    "trade_date",
    "symbol",
    "quantity",
    "price",
    "amount",
    "ratio",
    "commission",
    "notes",
)
_NUMBER_KEYS = ("quantity", "price", "amount", "ratio", "commission")
_NUMBER_TYPE_RULE = 'must be a decimal number written as a string, such as "12.50"'


def to_document(
    settings: PortfolioSettingsDraft, transactions: Iterable[TransactionFields]
) -> dict[str, Any]:
    """The document for ``settings`` and ``transactions``, ready for ``json.dumps``."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "portfolio": {
            "name": settings.name,
            "description": settings.description,
            "base_currency": settings.base_currency,
            "benchmark": settings.benchmark,
            "cost_method": settings.cost_method.value,
            "cash_mode": settings.cash_mode.value,
            "allow_short": settings.allow_short,
        },
        "transactions": [_transaction_entry(transaction) for transaction in transactions],
    }


def from_document(
    obj: object, *, today: date, max_transactions: int
) -> tuple[PortfolioSettingsDraft, list[TransactionDraft]]:
    """The validated settings and transactions (in document order) of ``obj``, a parsed JSON
    document, or ``ValidationFailed`` listing every violation."""
    document = _ObjectReader(obj, "", DOCUMENT_KEYS, DOCUMENT_KEYS)
    document.raise_if_any()
    assert isinstance(obj, dict)
    if obj["format"] != FORMAT:
        raise ValidationFailed.single("format", f'must be "{FORMAT}"')
    version = obj["version"]
    if type(version) is not int:
        raise ValidationFailed.single("version", "must be an integer")
    if version != VERSION:
        raise ValidationFailed.single("version", f"is not supported; this server reads version {VERSION}")

    violations: list[FieldViolation] = []
    settings = _settings(obj["portfolio"], violations)
    entries = obj["transactions"]
    drafts: list[TransactionDraft] = []
    if not isinstance(entries, list):
        violations.append(FieldViolation("transactions", "must be a list"))
    elif len(entries) > max_transactions:
        violations.append(
            FieldViolation("transactions", f"at most {max_transactions} transactions per document")
        )
    else:
        for index, entry in enumerate(entries):
            draft = _transaction(entry, f"transactions[{index}]", today, violations)
            if draft is not None:
                drafts.append(draft)
    if violations:
        raise ValidationFailed(*violations)
    assert settings is not None
    return settings, drafts


def _transaction_entry(transaction: TransactionFields) -> dict[str, Any]:
    return {
        "kind": transaction.kind.value,
        "trade_date": transaction.trade_date.isoformat(),
        "symbol": transaction.symbol,
        **{key: format(getattr(transaction, key), "f") for key in _NUMBER_KEYS},
        "notes": transaction.notes,
    }


def _settings(value: object, violations: list[FieldViolation]) -> PortfolioSettingsDraft | None:
    fields = _ObjectReader(value, "portfolio", PORTFOLIO_KEYS, ("name", "base_currency"))
    draft = PortfolioSettingsDraft(
        name=fields.string("name", ""),
        base_currency=fields.string("base_currency", ""),
        description=fields.string("description", ""),
        benchmark=fields.nullable_string("benchmark"),
        cost_method=fields.parsed(
            "cost_method", CostMethod.FIFO, lambda text, field: parse_choice(text, CostMethod, field)
        ),
        cash_mode=fields.parsed(
            "cash_mode", CashMode.TRACKING, lambda text, field: parse_choice(text, CashMode, field)
        ),
        allow_short=fields.boolean("allow_short", False),
    )
    return fields.validated(lambda: validate_portfolio_settings(draft, field_prefix="portfolio."), violations)


def _transaction(
    value: object, path: str, today: date, violations: list[FieldViolation]
) -> TransactionDraft | None:
    fields = _ObjectReader(value, path, TRANSACTION_KEYS, ("kind", "trade_date"))
    kind = fields.parsed("kind", None, lambda text, field: parse_choice(text, TransactionKind, field))
    trade_date = fields.parsed("trade_date", today, parse_iso_date)
    symbol = fields.nullable_string("symbol")
    quantity, price, amount, ratio, commission = (
        fields.parsed(key, Decimal(0), parse_decimal, _NUMBER_TYPE_RULE) for key in _NUMBER_KEYS
    )
    notes = fields.string("notes", "")
    if kind is None:
        violations.extend(fields.violations)
        return None
    draft = TransactionDraft(kind, trade_date, symbol, quantity, price, amount, ratio, commission, notes)
    return fields.validated(lambda: validate_draft(draft, today=today, field_prefix=f"{path}."), violations)


class _ObjectReader:
    """Reads the fields of one JSON object, recording each violation under its path; a field with
    a violation reads as its default."""

    def __init__(self, value: object, path: str, known: Sequence[str], required: Sequence[str]) -> None:
        self._path = path
        self.violations: list[FieldViolation] = []
        self._object: dict[Any, Any] = value if isinstance(value, dict) else {}
        self._is_object = isinstance(value, dict)
        if not self._is_object:
            self.violations.append(FieldViolation(path or "document", "must be a JSON object"))
            return
        unknown = [key for key in self._object if key not in known]
        if unknown:
            names = ", ".join(shown(str(key)) for key in unknown[:5])
            self.violations.append(FieldViolation(path or "document", f"has unknown fields: {names}"))
        self.violations.extend(
            FieldViolation(self._field(key), "required") for key in required if key not in self._object
        )

    def raise_if_any(self) -> None:
        if self.violations:
            raise ValidationFailed(*self.violations)

    def string(self, key: str, default: str) -> str:
        value = self._object.get(key, default)
        if isinstance(value, str):
            return value
        self.violations.append(FieldViolation(self._field(key), "must be a string"))
        return default

    def nullable_string(self, key: str) -> str | None:
        value = self._object.get(key)
        return None if value is None else self.string(key, "")

    def boolean(self, key: str, default: bool) -> bool:
        value = self._object.get(key, default)
        if isinstance(value, bool):
            return value
        self.violations.append(FieldViolation(self._field(key), "must be true or false"))
        return default

    def parsed(
        self, key: str, default: T, parse: Callable[[str, str], T], wrong_type: str = "must be a string"
    ) -> T:
        """The string at ``key`` read by ``parse(text, field)``; ``default`` when absent."""
        if key not in self._object:
            return default
        text = self._object[key]
        if not isinstance(text, str):
            self.violations.append(FieldViolation(self._field(key), wrong_type))
            return default
        try:
            return parse(text, self._field(key))
        except ValidationFailed as error:
            self.violations.extend(error.violations)
            return default

    def validated(self, validate: Callable[[], T], violations: list[FieldViolation]) -> T | None:
        """``validate()`` once the fields are read; its violations on fields already reported are
        dropped (a field that could not be read was validated as its default)."""
        violations.extend(self.violations)
        if not self._is_object:
            return None
        try:
            result = validate()
        except ValidationFailed as error:
            reported = {violation.field for violation in self.violations}
            violations.extend(v for v in error.violations if v.field not in reported)
            return None
        return None if self.violations else result

    def _field(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key
