"""The realised-gains report: a portfolio's closed lots, a page at a time, with the totals."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from eqr_gateway.schemas.portfolio_fields import CostMethod, DecimalOut, examples

_CLOSED_LOT_EXAMPLE: JsonDict = {
    "symbol": "AAPL",
    "quantity": "10",
    "opened_on": "2023-01-10",
    "closed_on": "2024-03-01",
    "cost_basis": "1005",
    "proceeds": "1296",
    "commissions": "9",
    "realized_pnl": "291",
    "holding_days": 416,
    "long_term": True,
    "multiplier": 1,
    "transaction_id": "9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a",
}
_SUMMARY_EXAMPLE: JsonDict = {
    "lots": 2,
    "cost_basis": "1607.5",
    "proceeds": "1944",
    "commissions": "13.5",
    "realized_pnl": "336.5",
    "short_term_pnl": "45.5",
    "long_term_pnl": "291",
}


class ClosedLot(BaseModel):
    """A lot, or the part of one, that a trade closed. Amounts include commissions, and an option
    contract's are already times its multiplier."""

    model_config = examples(_CLOSED_LOT_EXAMPLE)

    symbol: str
    quantity: DecimalOut = Field(
        description="Shares (contracts for an option); negative for a covered short."
    )
    opened_on: date = Field(
        description="When the lot was opened. Average cost: the day the position last opened from flat."
    )
    closed_on: date = Field(description="The closing trade's date.")
    cost_basis: DecimalOut = Field(
        description="What buying the shares cost (a covered short: buying them back), commissions included."
    )
    proceeds: DecimalOut = Field(
        description="What selling them brought in (a covered short: the short sale), net of commissions."
    )
    commissions: DecimalOut = Field(
        description="The lot's share of the commissions of the trades that opened and closed it "
        "(already inside `cost_basis` and `proceeds`)."
    )
    realized_pnl: DecimalOut = Field(description="`proceeds` - `cost_basis`.")
    holding_days: int = Field(description="Calendar days from `opened_on` to `closed_on`.")
    long_term: bool = Field(
        description="Held more than a year: closed after the first anniversary of `opened_on` "
        "(28 February for a lot opened on 29 February). Never for a covered short (negative quantity)."
    )
    multiplier: int = Field(description="Shares per unit of quantity: 100 for an option contract, else 1.")
    transaction_id: UUID = Field(description="The trade that closed it.")


class RealizedTotals(BaseModel):
    model_config = examples(_SUMMARY_EXAMPLE)

    lots: int = Field(description="Closed lots counted.")
    cost_basis: DecimalOut
    proceeds: DecimalOut
    commissions: DecimalOut
    realized_pnl: DecimalOut
    short_term_pnl: DecimalOut = Field(description="Of the lots held a year or less.")
    long_term_pnl: DecimalOut = Field(description="Of the lots held more than a year.")


class RealizedBySymbol(RealizedTotals):
    model_config = examples({"symbol": "AAPL", "held": False, **_SUMMARY_EXAMPLE})

    symbol: str
    held: bool = Field(
        description="Still held (the holding's `realized_pnl` covers every lot, unfiltered); false once "
        "the position was closed out, whose realised P&L only this report shows."
    )


class RealizedGains(BaseModel):
    model_config = examples(
        {
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "currency": "USD",
            "cost_method": "fifo",
            "items": [_CLOSED_LOT_EXAMPLE],
            "next_cursor": None,
            "by_symbol": [{"symbol": "AAPL", "held": True, **_SUMMARY_EXAMPLE}],
            "totals": _SUMMARY_EXAMPLE,
        }
    )

    portfolio_id: UUID
    currency: str
    cost_method: CostMethod = Field(
        description="fifo: each item is (part of) one purchase. average: each item is one sale, at the "
        "pooled average cost, opened on the day the position last opened from flat."
    )
    items: list[ClosedLot] = Field(description="This page's lots, oldest closing first (then ledger order).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    by_symbol: list[RealizedBySymbol] = Field(
        description="Over every page: one entry per symbol with a matching lot, alphabetically, "
        "closed-out symbols included."
    )
    totals: RealizedTotals = Field(
        description="Over every page: all the matching lots. Without filters `realized_pnl` is the "
        "holdings' `totals.realized_pnl`."
    )
