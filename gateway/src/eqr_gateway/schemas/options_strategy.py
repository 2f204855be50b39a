"""Multi-leg option strategies: analysis (payoff, P&L diagram, scenarios) and saved strategies.

Amounts are currency for the whole position (quantities and multipliers applied). Where a
strategy's profit or loss is unbounded, `max_profit` / `max_loss` are null and
`profit_unlimited` / `loss_unlimited` are true.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints
from pydantic.config import JsonDict

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.market import SymbolText
from eqr_gateway.schemas.options import Finite, NonNegative, Positive
from eqr_gateway.schemas.portfolio_fields import Day, examples

LegKind = Literal["call", "put", "stock"]
StrategyTemplate = Literal[
    "covered_call",
    "protective_put",
    "bull_call_spread",
    "bear_put_spread",
    "straddle",
    "strangle",
    "butterfly",
    "iron_condor",
    "calendar",
]
MAX_LEGS = 16
MAX_SHOCKS = 101
StrategyName = Annotated[str, StringConstraints(max_length=200)]
StrategyNotes = Annotated[str, StringConstraints(max_length=4000)]

_LEG_EXAMPLE: JsonDict = {
    "kind": "call",
    "quantity": -1,
    "premium": 3.1,
    "strike": 240,
    "expiry": "2026-01-16",
    "vol": 0.27,
    "multiplier": 100,
}


class LegIn(RequestModel):
    model_config = examples(_LEG_EXAMPLE)

    kind: LegKind
    quantity: Finite = Field(
        description="Signed: long > 0, short < 0; contracts for options, shares for stock."
    )
    premium: NonNegative = Field(
        0.0, description="Price per unit paid (long) or received (short) at the opening."
    )
    strike: Positive | None = Field(None, description="Options only.")
    expiry_years: Positive | None = Field(
        None, description="Options only: years from the valuation date; give this or `expiry`."
    )
    expiry: Day | None = Field(
        None, description="Options only: the expiry date; give this or `expiry_years`."
    )
    vol: Positive | None = Field(
        None, description="Options only: the volatility it is repriced at before expiry."
    )
    multiplier: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=1_000_000,
        description="Units of the underlying per contract; 100 when omitted.",
    )


class MarketIn(RequestModel):
    spot: Positive
    rate: Finite = 0.0
    dividend_yield: Finite = 0.0


class StrategyRequest(RequestModel):
    """Explicit `legs` with their `market`, or a `template` built on `symbol`'s chain."""

    model_config = examples(
        {
            "symbol": "AAPL",
            "template": "iron_condor",
            "strikes": [200, 210, 240, 250],
            "expiries": ["2026-01-16"],
            "contracts": 1,
        }
    )

    name: StrategyName = Field("", description="With `legs`: a label echoed back.")
    legs: list[LegIn] | None = Field(None, min_length=1, max_length=MAX_LEGS, description="Explicit legs.")
    market: MarketIn | None = Field(None, description="With `legs`: the market they are analysed in.")
    symbol: SymbolText | None = Field(
        None, description="With `template`: the underlying whose chain prices the legs."
    )
    template: StrategyTemplate | None = None
    strikes: list[Positive] = Field(
        default_factory=list,
        max_length=4,
        description="Increasing; as many as the template needs (covered call 1, vertical 2, straddle 1, "
        "strangle 2, butterfly 3, iron condor 4, calendar 1).",
    )
    expiries: list[Day] = Field(
        default_factory=list,
        max_length=2,
        description="The expiry (a calendar: the near one, then the far one).",
    )
    contracts: int = Field(1, strict=True, ge=1, le=100_000)
    valuation_date: Day | None = Field(None, description="Today when omitted.")
    elapsed_years: NonNegative = Field(
        0.0,
        description="Years after the valuation date at which the scenarios and `diagram.now` are repriced.",
    )
    spot_shocks: list[Finite] = Field(
        default_factory=list,
        max_length=MAX_SHOCKS,
        description="Relative (-0.1 = -10%); -20%..+20% when empty.",
    )
    vol_shocks: list[Finite] = Field(
        default_factory=list,
        max_length=MAX_SHOCKS,
        description="Absolute (0.05 = +5 points); -10..+10 points when empty.",
    )
    diagram_points: int | None = Field(None, strict=True, ge=2, le=5001, description="201 when omitted.")


class LegOut(BaseModel):
    kind: LegKind
    quantity: float
    premium: float
    strike: float | None = Field(description="Null for stock.")
    expiry_years: float | None = Field(
        description="Null for stock, or when the leg was given an `expiry` date."
    )
    expiry: date | None
    vol: float | None
    multiplier: int


class MarketOut(BaseModel):
    spot: float
    rate: float
    dividend_yield: float


class NetGreeks(BaseModel):
    delta: float | None
    gamma: float | None
    vega: float | None
    theta_per_day: float | None
    rho: float | None


class PnlDiagram(BaseModel):
    spots: list[float]
    at_expiry: list[float | None] = Field(description="P&L at the first expiry, per spot.")
    now: list[float | None] = Field(description="P&L at the analysis date (`elapsed_years`), per spot.")


class ScenarioGrid(BaseModel):
    spot_shocks: list[float] = Field(description="The rows: relative spot moves.")
    vol_shocks: list[float] = Field(description="The columns: absolute volatility moves.")
    pnl: list[list[float | None]] = Field(description="pnl[i][j]: P&L at spot_shocks[i] and vol_shocks[j].")
    horizon_years: float = Field(description="When the grid is priced, in years from the valuation date.")


class StrategyAnalysis(BaseModel):
    name: str
    symbol: str | None = Field(description="The template's underlying; null for explicit legs.")
    legs: list[LegOut] = Field(description="The legs analysed (a template's, as built from the chain).")
    market: MarketOut
    cost: float = Field(description="Net cost of opening (negative: a credit).")
    horizon_years: float = Field(description="Years to the first expiry, where the payoff is taken.")
    breakevens: list[float] = Field(description="Spots at the first expiry where the P&L crosses zero.")
    max_profit: float | None = Field(description="Null when unlimited (`profit_unlimited`).")
    profit_unlimited: bool
    max_loss: float | None = Field(
        description="The worst P&L at the first expiry (negative: a loss); null when unlimited."
    )
    loss_unlimited: bool
    probability_of_profit: float | None = Field(description="Under a lognormal spot with risk-neutral drift.")
    net_greeks: NetGreeks
    diagram: PnlDiagram
    scenarios: ScenarioGrid


class SavedStrategyIn(RequestModel):
    model_config = examples({"symbol": "AAPL", "name": "Jan condor", "legs": [_LEG_EXAMPLE], "notes": ""})

    symbol: SymbolText
    name: StrategyName = ""
    legs: list[LegIn] = Field(min_length=1, max_length=MAX_LEGS)
    notes: StrategyNotes = ""


class SavedStrategy(BaseModel):
    id: UUID
    symbol: str
    name: str
    legs: list[LegOut]
    notes: str
    created_at: datetime
    updated_at: datetime


class SavedStrategyPage(BaseModel):
    items: list[SavedStrategy] = Field(description="Your saved strategies.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
