"""A portfolio's holdings as valued now or at a past close, and holding-shaped ledger writes."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.portfolio_fields import Day, DecimalIn, DecimalOut, Notes, Symbol, examples

_FRACTION = "A fraction: 0.05 is 5%."
_HOLDING_EXAMPLE: JsonDict = {
    "symbol": "AAPL",
    "is_cash": False,
    "name": "Apple Inc.",
    "sector": "Information Technology",
    "industry": "Technology Hardware, Storage & Peripherals",
    "quantity": "10",
    "price": "229.87",
    "previous_close": "227.52",
    "market_value": "2298.70",
    "cost_basis": "1853.00",
    "average_cost": "185.30",
    "unrealized_pnl": "445.70",
    "unrealized_pnl_percent": 0.2405,
    "realized_pnl": "0",
    "income": "2.50",
    "day_change": "23.50",
    "day_change_percent": 0.0103,
    "weight": 0.6968,
    "priced": True,
    "lots": None,
    "option": None,
    "greeks": {"dollar_delta": 2298.7, "dollar_gamma": 0.0, "vega_per_point": 0.0, "theta_per_day": 0.0},
}
_CASH_EXAMPLE: JsonDict = {
    **_HOLDING_EXAMPLE,
    "symbol": "USD",
    "is_cash": True,
    "name": "Cash",
    "sector": None,
    "industry": None,
    "quantity": "1000.00",
    "price": None,
    "previous_close": None,
    "market_value": "1000.00",
    "cost_basis": "1000.00",
    "average_cost": None,
    "unrealized_pnl": "0",
    "unrealized_pnl_percent": None,
    "realized_pnl": None,
    "income": None,
    "day_change": "0",
    "day_change_percent": None,
    "weight": 0.3032,
    "greeks": None,
}


class Lot(BaseModel):
    opened_on: date
    quantity: DecimalOut
    cost_basis: DecimalOut
    cost_per_share: DecimalOut
    market_value: DecimalOut
    unrealized_pnl: DecimalOut


class PositionGreeks(BaseModel):
    """Sensitivities in the portfolio's currency."""

    dollar_delta: float = Field(
        description="Delta x underlying price x shares: the P&L of a 1% move is 1% of it. A share's is "
        "its market value."
    )
    dollar_gamma: float = Field(description="The gamma P&L of a 1% move of the underlying.")
    vega_per_point: float = Field(description="P&L per volatility point (0.01).")
    theta_per_day: float = Field(description="P&L per calendar day that passes.")


class OptionDetails(BaseModel):
    """The contract an option holding is (its symbol is the compact OCC symbol, e.g.
    AAPL261218C00190000; quantity counts contracts, prices are per share)."""

    underlying: str = Field(examples=["AAPL"])
    expiry: date
    strike: DecimalOut
    kind: str = Field(examples=["call"], description="call or put")
    multiplier: int = Field(examples=[100], description="Shares per contract.")
    price_source: str | None = Field(
        description="chain_mid (the listed quote's mid), model (not quoted: the model at the surface's "
        "volatility) or intrinsic (expired); null when unpriced."
    )


class Holding(BaseModel):
    """A security position, or the cash (``is_cash``, ``symbol`` = the currency)."""

    model_config = examples(_HOLDING_EXAMPLE)

    symbol: str
    is_cash: bool
    name: str
    sector: str | None
    industry: str | None
    quantity: DecimalOut
    price: DecimalOut | None = Field(
        description="Null when no price is known: the holding is valued at cost."
    )
    previous_close: DecimalOut | None
    market_value: DecimalOut
    cost_basis: DecimalOut
    average_cost: DecimalOut | None = Field(description="Null for cash.")
    unrealized_pnl: DecimalOut
    unrealized_pnl_percent: float | None = Field(description=f"Relative to cost. {_FRACTION}")
    realized_pnl: DecimalOut | None = Field(description="Null for cash.")
    income: DecimalOut | None = Field(description="Dividends received; null for cash.")
    day_change: DecimalOut
    day_change_percent: float | None = Field(description=_FRACTION)
    weight: float = Field(description=f"Share of the portfolio's market value. {_FRACTION}")
    priced: bool = Field(description="False when valued at cost for want of a price.")
    lots: list[Lot] | None = Field(description="Open lots, oldest first; null unless `include_lots=true`.")
    option: OptionDetails | None = Field(None, description="Set when the holding is an option contract.")
    greeks: PositionGreeks | None = Field(None, description="Null for cash and unpriced holdings.")


class ValuationTotals(BaseModel):
    market_value: DecimalOut = Field(description="Securities and cash.")
    cash: DecimalOut
    cost_basis: DecimalOut = Field(description="Of the open positions.")
    unrealized_pnl: DecimalOut
    realized_pnl: DecimalOut
    income: DecimalOut
    fees: DecimalOut
    day_change: DecimalOut
    day_change_percent: float | None = Field(description=_FRACTION)
    net_deposits: DecimalOut = Field(description="Deposits less withdrawals.")
    greeks: PositionGreeks = Field(
        description="The portfolio's net sensitivities: the sum over priced holdings."
    )


class AllocationSlice(BaseModel):
    name: str = Field(examples=["Information Technology"])
    market_value: DecimalOut
    weight: float = Field(description=_FRACTION)


class Allocation(BaseModel):
    by_sector: list[AllocationSlice]
    by_industry: list[AllocationSlice]


class Valuation(BaseModel):
    model_config = examples(
        {
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "currency": "USD",
            "as_of": None,
            "valued_at": "2025-03-14T15:42:07Z",
            "totals": {
                "market_value": "3298.70",
                "cash": "1000.00",
                "cost_basis": "1853.00",
                "unrealized_pnl": "445.70",
                "realized_pnl": "0",
                "income": "2.50",
                "fees": "0",
                "day_change": "23.50",
                "day_change_percent": 0.0072,
                "net_deposits": "2853.00",
                "greeks": {
                    "dollar_delta": 2298.7,
                    "dollar_gamma": 0.0,
                    "vega_per_point": 0.0,
                    "theta_per_day": 0.0,
                },
            },
            "holdings": [_HOLDING_EXAMPLE, _CASH_EXAMPLE],
            "allocation": {
                "by_sector": [
                    {"name": "Information Technology", "market_value": "2298.70", "weight": 0.6968}
                ],
                "by_industry": [
                    {
                        "name": "Technology Hardware, Storage & Peripherals",
                        "market_value": "2298.70",
                        "weight": 0.6968,
                    }
                ],
            },
        }
    )

    portfolio_id: UUID
    currency: str
    as_of: date | None = Field(description="The close valued at; null for the latest quotes.")
    valued_at: datetime | None
    totals: ValuationTotals
    holdings: list[Holding] = Field(description="Positions and the cash holding.")
    allocation: Allocation


class AddHoldingRequest(RequestModel):
    """Buys ``quantity`` more of ``symbol``."""

    model_config = examples(
        {"symbol": "AAPL", "quantity": "10", "price": "185.20", "trade_date": "2025-01-15"}
    )

    symbol: Symbol
    quantity: DecimalIn
    price: DecimalIn | None = Field(None, description="Per share; the latest quote when left out.")
    trade_date: Day | None = Field(None, description="Today when left out.")
    commission: DecimalIn | None = None
    notes: Notes = ""


class SetHoldingRequest(RequestModel):
    """Buys or sells the difference between what is held and ``quantity``."""

    model_config = examples({"quantity": "25", "price": "230.10"})

    quantity: DecimalIn = Field(description="The quantity to hold afterwards.")
    price: DecimalIn | None = Field(None, description="Per share; the latest quote when left out.")
    trade_date: Day | None = Field(None, description="Today when left out.")
    commission: DecimalIn | None = None
    notes: Notes = ""
