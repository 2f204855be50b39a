"""Target weights: templates, portfolios started from one, and rebalancing proposals."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StringConstraints, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.portfolio import (
    PORTFOLIO_EXAMPLE,
    TRANSACTION_EXAMPLE,
    Portfolio,
    PortfolioCreate,
    Transaction,
)
from eqr_gateway.schemas.portfolio_fields import (
    Day,
    DecimalIn,
    DecimalOut,
    Symbol,
    TemplateId,
    TradeSide,
    examples,
)

MAX_TARGETS = 100
MAX_TRADES = 500
_WEIGHT = "A fraction of the portfolio's value, 0 to 1; the weights sum to at most 1, the rest is cash."
_TEMPLATE_EXAMPLE: JsonDict = {
    "id": "builtin:sixty-forty",
    "name": "sixty-forty",
    "description": "60% US stocks, 40% US bonds.",
    "builtin": True,
    "weights": [{"symbol": "SPY", "weight": "0.60"}, {"symbol": "AGG", "weight": "0.40"}],
}
_TRADE_EXAMPLE: JsonDict = {
    "symbol": "SPY",
    "side": "buy",
    "quantity": "3",
    "price": "562.10",
    "value": "1686.30",
    "commission": "0",
}


class TargetWeightIn(RequestModel):
    symbol: Symbol
    weight: DecimalIn = Field(description=_WEIGHT)


class TargetWeight(BaseModel):
    symbol: str
    weight: DecimalOut = Field(description=_WEIGHT)


class Template(BaseModel):
    model_config = examples(_TEMPLATE_EXAMPLE)

    id: str = Field(description='"builtin:<slug>" for a built-in template, a UUID for one of your own.')
    name: str
    description: str
    builtin: bool
    weights: list[TargetWeight]


class TemplateList(BaseModel):
    items: list[Template] = Field(description="The built-in templates, then your own.")


class TemplateCreate(RequestModel):
    model_config = examples(
        {
            "name": "Core tech",
            "weights": [{"symbol": "AAPL", "weight": "0.5"}, {"symbol": "MSFT", "weight": "0.5"}],
        }
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    weights: list[TargetWeightIn] = Field(min_length=1, max_length=MAX_TARGETS)


class FromTemplateRequest(RequestModel):
    model_config = examples(
        {
            "template_id": "builtin:sixty-forty",
            "portfolio": {"name": "Balanced", "base_currency": "USD"},
            "initial_cash": "10000",
            "trade_date": "2025-03-14",
        }
    )

    template_id: TemplateId
    portfolio: PortfolioCreate
    initial_cash: DecimalIn = Field(
        description=(
            "Deposited on `trade_date` and invested at that day's prices: the latest for today, "
            "each symbol's raw close on a past day (or on the last trading day before it)."
        )
    )
    trade_date: Day | None = Field(None, description="Today when left out.")


class CreatedFromTemplate(BaseModel):
    model_config = examples({"portfolio": PORTFOLIO_EXAMPLE, "transactions": [TRANSACTION_EXAMPLE]})

    portfolio: Portfolio
    transactions: list[Transaction] = Field(description="The deposit and the buys.")


class RebalanceOptions(RequestModel):
    fractional: StrictBool = Field(False, description="Trade fractions of a share.")
    min_trade_value: DecimalIn | None = Field(None, description="Skip trades worth less than this.")
    cash_buffer: DecimalIn | None = Field(None, description="Cash kept out of the targets.")
    commission_per_trade: DecimalIn | None = None
    commission_per_share: DecimalIn | None = None
    commission_bps: DecimalIn | None = Field(None, description="Basis points of the trade's value.")


class RebalanceRequest(RequestModel):
    """Target weights, given here or by a template: exactly one of ``targets`` and ``template_id``."""

    model_config = examples(
        {
            "targets": [{"symbol": "SPY", "weight": "0.6"}, {"symbol": "AGG", "weight": "0.4"}],
            "options": {"fractional": False, "min_trade_value": "50"},
        }
    )

    targets: list[TargetWeightIn] | None = Field(None, max_length=MAX_TARGETS)
    template_id: TemplateId | None = None
    options: RebalanceOptions = Field(default_factory=RebalanceOptions)

    @model_validator(mode="after")
    def _one_source(self) -> RebalanceRequest:
        if (self.targets is None) == (self.template_id is None):
            raise PydanticCustomError("targets_or_template", "give either targets or template_id")
        return self


class ProposedTradeIn(RequestModel):
    symbol: Symbol
    side: TradeSide
    quantity: DecimalIn
    price: DecimalIn
    value: DecimalIn | None = None
    commission: DecimalIn | None = None


class ProposedTrade(BaseModel):
    model_config = examples(_TRADE_EXAMPLE)

    symbol: str
    side: TradeSide
    quantity: DecimalOut
    price: DecimalOut
    value: DecimalOut
    commission: DecimalOut


class Drift(BaseModel):
    symbol: str
    current_weight: float
    target_weight: float
    drift: float = Field(description="Current less target weight.")
    weight_after: float = Field(description="After the proposed trades.")


class RebalanceProposal(BaseModel):
    model_config = examples(
        {
            "trades": [_TRADE_EXAMPLE],
            "drift": [
                {
                    "symbol": "SPY",
                    "current_weight": 0.41,
                    "target_weight": 0.6,
                    "drift": -0.19,
                    "weight_after": 0.598,
                }
            ],
            "cash_after": "12.40",
            "commissions": "0",
        }
    )

    trades: list[ProposedTrade] = Field(description="Sells first, then buys.")
    drift: list[Drift]
    cash_after: DecimalOut
    commissions: DecimalOut


class ApplyRebalanceRequest(RequestModel):
    model_config = examples({"trades": [_TRADE_EXAMPLE], "trade_date": "2025-03-14"})

    trades: list[ProposedTradeIn] = Field(min_length=1, max_length=MAX_TRADES)
    trade_date: Day | None = Field(None, description="Today when left out.")
