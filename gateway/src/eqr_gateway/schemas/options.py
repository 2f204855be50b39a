"""Option pricing, Greeks, implied volatility, chains and volatility surfaces.

Units throughout: times in years (ACT/365), rates, yields and volatilities as annualised
decimals with continuous compounding (0.05 = 5%), prices per unit of the underlying. Vega is
per 1.00 of volatility, rho and dividend rho per 1.00 of rate, theta per calendar year
(`theta_per_day` = theta / 365); charm and colour per calendar year.

Numbers are JSON numbers, never NaN or Infinity: a figure the model has no value for is null,
and the row says why in `error`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool
from pydantic.config import JsonDict

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.market import SymbolText
from eqr_gateway.schemas.portfolio_fields import Day, examples

OptionKind = Literal["call", "put"]
PricingModel = Literal["bsm", "black76"]
ExerciseStyle = Literal["european", "american"]

# Inputs are JSON numbers (not strings, not booleans), finite.
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
NonNegative = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]

MAX_DIVIDENDS = 200
MAX_BOUNDARY_ROWS = 100
MAX_BOUNDARY_POINTS = 500

_SPOT = "Price of the underlying (the futures price for `black76`); the top-level `spot` when omitted."
_YEARS = "Years to expiry (ACT/365). Give `years` or `expiry` in every row, not both."
_EXPIRY = "Expiry date, counted from `valuation_date`. Give `years` or `expiry` in every row, not both."
_RATE = "Risk-free rate, continuous; the top-level `rate` when omitted (one of them is required)."
_YIELD = "Continuous dividend yield (0 for `black76`); the top-level `dividend_yield` (or 0) when omitted."
_VOL = "Volatility; the top-level `vol` when omitted (one of them is required)."
_RESULTS = "One per row of `options`, in the same order."


class CashDividend(RequestModel):
    years: Positive = Field(description="Years from the valuation date to the ex-date.")
    amount: Positive = Field(description="Cash per share.")


class OptionRow(RequestModel):
    """One option: its terms and the market it is valued in."""

    kind: OptionKind
    spot: Positive | None = Field(None, description=_SPOT)
    strike: Positive
    years: Positive | None = Field(None, description=_YEARS)
    expiry: Day | None = Field(None, description=_EXPIRY)
    rate: Finite | None = Field(None, description=_RATE)
    dividend_yield: Finite | None = Field(None, description=_YIELD)


class PricedOption(OptionRow):
    vol: Positive | None = Field(None, description=_VOL)


class QuotedOption(OptionRow):
    price: NonNegative = Field(description="The option's quoted price, whose volatility is sought.")


class OptionBatch(RequestModel):
    """What every row shares; a top-level `spot`, `rate` or `dividend_yield` fills rows without one."""

    model: PricingModel = Field(
        "bsm", description="bsm: Black-Scholes-Merton on a spot; black76: on a futures price."
    )
    style: ExerciseStyle = Field(
        "european", description="american: priced by the service's stated method (`method`)."
    )
    valuation_date: Day | None = Field(None, description="What `expiry` counts from; today when omitted.")
    dividends: list[CashDividend] = Field(
        default_factory=list,
        max_length=MAX_DIVIDENDS,
        description="Discrete cash dividends of the underlying (american only; the same for every row).",
    )
    spot: Positive | None = Field(None, description="Default spot of the rows.")
    rate: Finite | None = Field(None, description="Default rate of the rows.")
    dividend_yield: Finite | None = Field(None, description="Default dividend yield of the rows.")


_PRICE_EXAMPLE: JsonDict = {
    "model": "bsm",
    "rate": 0.1,
    "options": [
        {"kind": "call", "spot": 42, "strike": 40, "years": 0.5, "vol": 0.2},
        {"kind": "put", "spot": 42, "strike": 40, "years": 0.5, "vol": 0.2},
    ],
}


class PriceRequest(OptionBatch):
    model_config = examples(_PRICE_EXAMPLE)

    vol: Positive | None = Field(None, description="Default volatility of the rows.")
    options: list[PricedOption] = Field(
        min_length=1, description="The options, at most `GATEWAY_OPTIONS_MAX_ROWS` (10,000) per request."
    )


class GreeksRequest(PriceRequest):
    model_config = examples({**_PRICE_EXAMPLE, "second_order": True})

    second_order: StrictBool = Field(
        False, description="Also vanna, volga, charm, speed, zomma and colour (european only)."
    )


class ExerciseBoundaryRequest(PriceRequest):
    model_config = examples(
        {
            "style": "american",
            "rate": 0.05,
            "vol": 0.3,
            "points": 5,
            "options": [{"kind": "put", "spot": 100, "strike": 100, "years": 1}],
        }
    )

    points: int = Field(
        50, ge=2, le=MAX_BOUNDARY_POINTS, description="Points per option from the valuation date to expiry."
    )
    options: list[PricedOption] = Field(
        min_length=1,
        max_length=MAX_BOUNDARY_ROWS,
        description=f"The options, at most {MAX_BOUNDARY_ROWS} per request.",
    )


class ImpliedVolRequest(OptionBatch):
    model_config = examples(
        {"rate": 0.1, "options": [{"kind": "call", "spot": 42, "strike": 40, "years": 0.5, "price": 4.7594}]}
    )

    options: list[QuotedOption] = Field(
        min_length=1, description="The options, at most `GATEWAY_OPTIONS_MAX_ROWS` (10,000) per request."
    )


class RowError(BaseModel):
    field: str = Field(description='The row\'s field at fault ("price", "vol", ...).')
    reason: str = Field(description="Why the row has no result.")


class PriceResult(BaseModel):
    price: float | None
    error: RowError | None = Field(
        description="Why this row has no values (they are null); null when it has."
    )


class GreeksResult(PriceResult):
    delta: float | None
    gamma: float | None
    vega: float | None = Field(description="Per 1.00 of volatility.")
    theta: float | None = Field(description="Per calendar year.")
    theta_per_day: float | None = Field(description="theta / 365.")
    rho: float | None = Field(description="Per 1.00 of rate.")
    dividend_rho: float | None = Field(description="Per 1.00 of dividend yield.")
    vanna: float | None = Field(None, description="Present with `second_order`; null for american rows.")
    volga: float | None = Field(None, description="Present with `second_order`.")
    charm: float | None = Field(None, description="Present with `second_order`; per calendar year.")
    speed: float | None = Field(None, description="Present with `second_order`.")
    zomma: float | None = Field(None, description="Present with `second_order`.")
    colour: float | None = Field(None, description="Present with `second_order`; per calendar year.")


class ImpliedVolResult(BaseModel):
    vol: float | None
    error: RowError | None = Field(
        description="Why no volatility solves this row (a price outside the no-arbitrage bounds ...)."
    )


class PriceResponse(BaseModel):
    model_config = examples(
        {
            "model": "bsm",
            "style": "european",
            "method": None,
            "results": [{"price": 4.759422, "error": None}, {"price": 0.808600, "error": None}],
        }
    )

    model: PricingModel
    style: ExerciseStyle
    method: str | None = Field(description="How the rows were priced and their Greeks taken, in words.")
    results: list[PriceResult] = Field(description=_RESULTS)


class GreeksResponse(PriceResponse):
    model_config = examples(
        {
            "model": "bsm",
            "style": "european",
            "method": None,
            "results": [
                {
                    "price": 4.759422,
                    "delta": 0.779131,
                    "gamma": 0.049963,
                    "vega": 8.813415,
                    "theta": -4.559092,
                    "theta_per_day": -0.012491,
                    "rho": 13.982045,
                    "dividend_rho": -16.363492,
                    "error": None,
                }
            ],
        }
    )

    results: list[GreeksResult] = Field(description=_RESULTS)  # type: ignore[assignment]


class ImpliedVolResponse(BaseModel):
    model_config = examples({"results": [{"vol": 0.2, "error": None}]})

    results: list[ImpliedVolResult] = Field(description=_RESULTS)


class OptionAnalysisRequest(RequestModel):
    """One option: its price, every Greek, and its implied volatility when a market price is given."""

    model_config = examples(
        {
            "symbol": "AAPL",
            "option_type": "call",
            "spot": 42,
            "strike": 40,
            "years": 0.5,
            "volatility": 0.2,
            "rate": 0.1,
            "market_price": 4.8,
        }
    )

    symbol: SymbolText | None = Field(
        None, description="The underlying, for your reference: echoed back, not looked up."
    )
    option_type: OptionKind
    spot: Positive
    strike: Positive
    years: Positive | None = Field(None, description="Years to expiry; give this or `expiry`.")
    expiry: Day | None = Field(
        None, description="Expiry date, counted from `valuation_date`; give this or `years`."
    )
    valuation_date: Day | None = Field(None, description="Today when omitted.")
    volatility: Positive
    rate: Finite = Field(description="Risk-free rate, continuous.")
    dividend_yield: Finite = 0.0
    model: PricingModel = "bsm"
    style: ExerciseStyle = "european"
    market_price: NonNegative | None = Field(
        None, description="When given, `implied_volatility` solves for it."
    )


class OptionGreeks(BaseModel):
    delta: float | None
    gamma: float | None
    vega: float | None = Field(description="Per 1.00 of volatility.")
    theta: float | None = Field(description="Per calendar year.")
    theta_per_day: float | None
    rho: float | None
    dividend_rho: float | None
    vanna: float | None = Field(description="European only; null for american.")
    volga: float | None
    charm: float | None
    speed: float | None
    zomma: float | None
    colour: float | None


class OptionAnalysis(BaseModel):
    symbol: str | None
    option_type: OptionKind
    model: PricingModel
    style: ExerciseStyle
    price: float | None
    greeks: OptionGreeks
    error: RowError | None = Field(description="Why the option has no price; null when it has one.")
    implied_volatility: float | None = Field(
        description="Null without `market_price`, or when none solves it."
    )
    implied_volatility_error: RowError | None
    method: str | None = Field(description="How the option was priced and its Greeks taken, in words.")


# --- chains and surfaces -------------------------------------------------------------------


class UnderlyingMarket(BaseModel):
    symbol: str
    spot: float
    vol: float = Field(description="The underlying's annualised volatility the surface is anchored on.")
    rate: float
    dividend_yield: float
    source: str


class ChainQuote(BaseModel):
    contract_symbol: str = Field(description='The OCC symbol, e.g. "AAPL  261218C00190000".')
    strike: float
    bid: float | None
    ask: float | None
    last: float | None
    volume: int
    open_interest: int
    iv: float | None = Field(
        description="Implied volatility of the mid; null when none (`iv_error` says why)."
    )
    iv_error: str | None
    delta: float | None
    gamma: float | None
    vega: float | None
    theta_per_day: float | None
    rho: float | None


class ChainExpiry(BaseModel):
    expiry: date
    years: float
    calls: list[ChainQuote] = Field(description="By strike, ascending.")
    puts: list[ChainQuote] = Field(description="By strike, ascending.")


class OptionChain(BaseModel):
    """The listed contracts grouped by expiry, calls and puts apart: one table per expiry."""

    underlying: UnderlyingMarket
    as_of: datetime
    expiries: list[ChainExpiry] = Field(description="Nearest first.")


class SviParams(BaseModel):
    """Raw SVI in total variance: w(k) = a + b(rho(k - m) + sqrt((k - m)^2 + sigma^2))."""

    a: float
    b: float
    rho: float
    m: float
    sigma: float


class SmilePoint(BaseModel):
    strike: float
    log_moneyness: float = Field(description="ln(strike / forward).")
    market_vol: float | None
    fitted_vol: float | None
    residual: float | None = Field(description="market_vol - fitted_vol.")


class Smile(BaseModel):
    expiry: date
    years: float
    params: SviParams
    atm_vol: float | None
    rms_error: float | None = Field(description="Root mean square of the residuals, in volatility.")
    butterfly_free: bool
    points: list[SmilePoint]


class TermPoint(BaseModel):
    expiry: date
    years: float
    atm_vol: float | None


class VolSurface(BaseModel):
    underlying: UnderlyingMarket
    as_of: datetime
    calendar_free: bool = Field(description="Total variance rises with expiry at every log-moneyness.")
    smiles: list[Smile] = Field(description="One per expiry, nearest first.")
    term_structure: list[TermPoint] = Field(description="ATM volatility per expiry, nearest first.")


class ExerciseBoundary(BaseModel):
    years: list[float] = Field(
        description="Years from the valuation date, `points` of them evenly toward expiry (the expiry "
        "itself, where a put's boundary reaches the strike, excluded)."
    )
    spot: list[float | None] = Field(
        description="The spot at which exercising becomes optimal at each time (a put: at or below it; "
        "a call: at or above it); null where it never is."
    )


class ExerciseBoundaryResponse(BaseModel):
    model_config = examples(
        {"results": [{"years": [0.0, 0.2, 0.4, 0.6, 0.8], "spot": [69.1, 70.7, 72.8, 75.6, 80.2]}]}
    )

    results: list[ExerciseBoundary] = Field(description="One per option, in the order sent.")
