"""Portfolios, their ledger of transactions, file imports and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool, field_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.portfolio_fields import (
    AccessRole,
    CashMode,
    CostMethod,
    Currency,
    Day,
    DecimalIn,
    DecimalOut,
    Description,
    Notes,
    PortfolioName,
    Symbol,
    TransactionKind,
    examples,
)

PORTFOLIO_EXAMPLE: JsonDict = {
    "id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
    "owner_id": "0b8f1c2e-6d7a-4f0e-9a51-3c2d1e0f4a5b",
    "name": "Retirement",
    "description": "Long-term, low-turnover.",
    "base_currency": "USD",
    "benchmark": "^GSPC",
    "cost_method": "fifo",
    "cash_mode": "tracking",
    "allow_short": False,
    "access": "owner",
    "created_at": "2025-01-02T09:30:00Z",
    "updated_at": "2025-03-14T08:00:00Z",
}
TRANSACTION_EXAMPLE: JsonDict = {
    "id": "9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a",
    "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
    "kind": "buy",
    "trade_date": "2025-01-15",
    "symbol": "AAPL",
    "quantity": "10",
    "price": "185.20",
    "amount": "0",
    "ratio": "0",
    "commission": "1.00",
    "notes": "",
    "sequence": 3,
    "created_by": "0b8f1c2e-6d7a-4f0e-9a51-3c2d1e0f4a5b",
    "created_at": "2025-01-15T14:02:11Z",
    "deleted_at": None,
}
_CURSOR = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PortfolioCreate(RequestModel):
    model_config = examples(
        {"name": "Retirement", "base_currency": "USD", "benchmark": "^GSPC", "cost_method": "fifo"}
    )

    name: PortfolioName
    description: Description = ""
    base_currency: Currency = "USD"
    benchmark: Symbol | None = Field(None, description="Compared against in performance and risk.")
    cost_method: CostMethod = Field("fifo", description="How sells pick the lots they close.")
    cash_mode: CashMode = Field(
        "tracking", description="tracking: a buy beyond the cash records a deposit; strict: it is refused."
    )
    allow_short: StrictBool = Field(False, description="May a sell exceed the quantity held?")


_CLEARABLE = ("description", "benchmark")


class PortfolioUpdate(RequestModel):
    """Only the fields sent change. ``description`` and ``benchmark`` may be null to clear them."""

    model_config = examples({"name": "Retirement (IRA)", "benchmark": None})

    name: PortfolioName | None = None
    description: Description | None = None
    base_currency: Currency | None = None
    benchmark: Symbol | None = None
    cost_method: CostMethod | None = None
    cash_mode: CashMode | None = None
    allow_short: StrictBool | None = None

    @field_validator("name", "base_currency", "cost_method", "cash_mode", "allow_short", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise PydanticCustomError("not_null", "must not be null; leave the field out to keep its value")
        return value


class Portfolio(BaseModel):
    model_config = examples(PORTFOLIO_EXAMPLE)

    id: UUID
    owner_id: UUID
    name: str
    description: str
    base_currency: str
    benchmark: str | None = Field(description="Null when none is set.")
    cost_method: CostMethod
    cash_mode: CashMode
    allow_short: bool
    access: AccessRole = Field(description="What the caller may do with it.")
    created_at: datetime
    updated_at: datetime


class PortfolioPage(BaseModel):
    items: list[Portfolio] = Field(description="The caller's own portfolios and those shared with them.")
    next_cursor: str | None = _CURSOR


class ImportedPortfolio(Portfolio):
    imported_transactions: int = Field(description="Transactions written from the document.")


class TransactionInput(RequestModel):
    """A ledger entry. Which numbers apply depends on ``kind``: buy and sell take quantity,
    price and commission; dividend, fee, deposit, withdrawal and interest take amount; split
    takes ratio. Numbers left out are 0."""

    model_config = examples(
        {"kind": "buy", "trade_date": "2025-01-15", "symbol": "AAPL", "quantity": "10", "price": "185.20"}
    )

    kind: TransactionKind
    trade_date: Day
    symbol: Symbol | None = None
    quantity: DecimalIn | None = None
    price: DecimalIn | None = None
    amount: DecimalIn | None = None
    ratio: DecimalIn | None = Field(None, description='New shares per old share: "2" for a 2-for-1 split.')
    commission: DecimalIn | None = None
    notes: Notes = ""


class Transaction(BaseModel):
    model_config = examples(TRANSACTION_EXAMPLE)

    id: UUID
    portfolio_id: UUID
    kind: TransactionKind
    trade_date: date
    symbol: str | None
    quantity: DecimalOut
    price: DecimalOut
    amount: DecimalOut
    ratio: DecimalOut
    commission: DecimalOut
    notes: str
    sequence: int = Field(description="Order of recording; entries of one day replay in this order.")
    created_by: UUID | None
    created_at: datetime | None
    deleted_at: datetime | None = Field(description="Set while deleted; a deleted entry can be restored.")


class TransactionPage(BaseModel):
    items: list[Transaction] = Field(description="Newest trade date first (then newest recorded).")
    next_cursor: str | None = _CURSOR


class LedgerEntries(BaseModel):
    model_config = examples({"transactions": [TRANSACTION_EXAMPLE]})

    transactions: list[Transaction] = Field(description="The ledger entries written.")


class ImportRowError(BaseModel):
    line: int = Field(description="Line of the file (1 = the header); 0 for the file as a whole.")
    field: str = Field(description='The column at fault ("quantity", "date" ...); empty for the whole row.')
    message: str


class TransactionImportReport(BaseModel):
    model_config = examples(
        {
            "rows": 120,
            "imported": 0,
            "dry_run": True,
            "errors": [{"line": 12, "field": "quantity", "message": "must be greater than 0"}],
            "skipped": [],
        }
    )

    rows: int = Field(description="Data rows read.")
    imported: int = Field(description="Transactions written (0 on a dry run).")
    dry_run: bool
    errors: list[ImportRowError] = Field(description="Every bad row; empty when the file is good.")
    skipped: list[ImportRowError] = Field(
        description="Rows left out on purpose, with the reason (a broker's non-stock trades, say)."
    )


class Change(BaseModel):
    model_config = examples(
        {
            "id": "1042",
            "actor_id": "0b8f1c2e-6d7a-4f0e-9a51-3c2d1e0f4a5b",
            "action": "portfolio.updated",
            "subject_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "details": {"name": {"from": "Retirement", "to": "Retirement (IRA)"}},
            "occurred_at": "2025-03-14T08:00:00Z",
        }
    )

    id: str = Field(description="Opaque.")
    actor_id: UUID
    action: str = Field(description='What happened: "portfolio.created", "transaction.deleted" ...')
    subject_id: str = Field(description="The id of what changed (a portfolio, a transaction ...).")
    details: dict[str, Any] = Field(description="What changed, by field.")
    occurred_at: datetime


class ChangePage(BaseModel):
    items: list[Change] = Field(description="Newest first.")
    next_cursor: str | None = _CURSOR


class DocumentSettings(BaseModel):
    name: str
    description: str = ""
    base_currency: str
    benchmark: str | None = None
    cost_method: CostMethod = "fifo"
    cash_mode: CashMode = "tracking"
    allow_short: bool = False


class DocumentTransaction(BaseModel):
    kind: TransactionKind
    trade_date: date
    symbol: str | None = None
    quantity: DecimalOut = "0"
    price: DecimalOut = "0"
    amount: DecimalOut = "0"
    ratio: DecimalOut = "0"
    commission: DecimalOut = "0"
    notes: str = ""


class PortfolioDocument(BaseModel):
    """A whole portfolio, for backups and moves: what the export gives and the import takes.

    Numbers are strings in plain decimal notation; unknown fields are refused."""

    model_config = examples(
        {
            "format": "eqr.portfolio",
            "version": 1,
            "portfolio": {"name": "Retirement", "base_currency": "USD", "cost_method": "fifo"},
            "transactions": [
                {"kind": "deposit", "trade_date": "2025-01-02", "amount": "10000"},
                {
                    "kind": "buy",
                    "trade_date": "2025-01-15",
                    "symbol": "AAPL",
                    "quantity": "10",
                    "price": "185.20",
                },
            ],
        }
    )

    format: str = Field(examples=["eqr.portfolio"])
    version: int = Field(examples=[1])
    portfolio: DocumentSettings
    transactions: list[DocumentTransaction] = Field(description="In ledger order.")
