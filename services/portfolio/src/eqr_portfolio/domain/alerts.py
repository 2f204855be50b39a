"""Price and portfolio alerts: when one fires, and when it may fire again.

An alert fires once per crossing, not on every observation past its threshold. It starts
armed; an armed alert whose condition holds fires and disarms. A new alert whose condition
already holds fires on its first observation: the owner asked to hear when it is true.

Re-arming:

- Price, value and drawdown alerts re-arm once the observed value is back on the other side of
  the threshold by more than ``rearm_band_percent`` of it (0.5% by default): a price-above-200
  alert re-arms below 199, so a price wobbling around 200 does not fire on every wobble.
  A band of 0 re-arms as soon as the condition is false.
- A daily-move alert fires at most once per trading day and re-arms on the next one, which
  a quote shows by a different previous close; the band plays no part.

A drawdown is measured from the highest value the portfolio has had since the alert was
created. The peak is part of the alert's state, so every evaluator (replicas, a restarted
process) measures from the same one. External flows scale it by the flow's share of the value
(withdrawing half the portfolio halves the peak), so a drawdown is the same percentage before
and after a deposit or a withdrawal, while fees and losses stay in it. To keep writes of the
state rare in a rising market, the stored peak moves up only in steps of ``PEAK_STEP`` (one
basis point): a drawdown reads at most that much low.

Thresholds and observed values of price and value alerts are amounts; those of daily-move and
drawdown alerts are percents (5 means 5%). A condition holds at the threshold itself.
``evaluate`` is pure: the caller keeps each alert's ``AlertState`` between observations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from uuid import UUID

from eqr_portfolio.domain.drafts import MAX_DECIMAL_PLACES, MAX_INTEGER_DIGITS, as_choice, normalise_symbol
from eqr_portfolio.domain.errors import ViolationCollector

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_REARM_BAND_PERCENT = Decimal("0.5")
MAX_REARM_BAND_PERCENT = Decimal(50)
THRESHOLD_QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
PEAK_STEP = Decimal("0.0001")
CENT = Decimal("0.01")


class AlertKind(StrEnum):
    PRICE_ABOVE = "price_above"
    PRICE_BELOW = "price_below"
    DAILY_MOVE = "daily_move"
    PORTFOLIO_VALUE_ABOVE = "portfolio_value_above"
    PORTFOLIO_VALUE_BELOW = "portfolio_value_below"
    PORTFOLIO_DRAWDOWN = "portfolio_drawdown"


SYMBOL_KINDS = frozenset({AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW, AlertKind.DAILY_MOVE})
PERCENT_KINDS = frozenset({AlertKind.DAILY_MOVE, AlertKind.PORTFOLIO_DRAWDOWN})
_FALLING_KINDS = frozenset({AlertKind.PRICE_BELOW, AlertKind.PORTFOLIO_VALUE_BELOW})
"""Conditions that hold at or below the threshold; every other kind holds at or above it."""


@dataclass(frozen=True)
class AlertDefinition:
    kind: AlertKind
    threshold: Decimal
    symbol: str | None = None
    rearm_band_percent: Decimal = DEFAULT_REARM_BAND_PERCENT


@dataclass(frozen=True)
class AlertState:
    armed: bool = True
    fired_against_close: Decimal | None = None
    """The previous close a daily-move alert fired against: its trading day."""
    peak: Decimal | None = None
    """A drawdown alert's peak value so far, as of ``peak_flow``."""
    peak_flow: Decimal = Decimal(0)
    """The portfolio's net external flow (deposits less withdrawals) when ``peak`` was recorded."""


@dataclass(frozen=True)
class QuoteObservation:
    symbol: str
    price: Decimal
    previous_close: Decimal
    observed_at: datetime


@dataclass(frozen=True)
class ValuationObservation:
    value: Decimal
    net_external_flow: Decimal
    """Deposits less withdrawals to date: what moves a drawdown's peak without being a gain."""
    observed_at: datetime


Observation = QuoteObservation | ValuationObservation


@dataclass(frozen=True)
class Trigger:
    alert: AlertDefinition
    observed: Decimal
    """The value compared with the threshold: a price, an amount, or a percent (a daily move's size)."""
    observed_at: datetime
    message: str

    @property
    def threshold(self) -> Decimal:
        return self.alert.threshold


@dataclass(frozen=True)
class Alert:
    """An alert as a portfolio keeps it: what it watches, the owner's note, and where it stands."""

    id: UUID
    portfolio_id: UUID
    definition: AlertDefinition
    state: AlertState
    note: str
    created_by: UUID
    created_at: datetime
    last_triggered_at: datetime | None = None


@dataclass(frozen=True)
class RecordedTrigger:
    """A trigger in the portfolio's alert history: a copy of what fired, kept as it was then."""

    id: UUID
    alert_id: UUID
    portfolio_id: UUID
    kind: AlertKind
    symbol: str | None
    threshold: Decimal
    observed: Decimal
    message: str
    triggered_at: datetime


def validate_alert_definition(
    kind: str,
    threshold: Decimal,
    symbol: str | None = None,
    rearm_band_percent: Decimal = DEFAULT_REARM_BAND_PERCENT,
) -> AlertDefinition:
    """The definition with its symbol normalised, or ``ValidationFailed`` naming every bad field.

    A blank symbol counts as none.
    """
    violations = ViolationCollector()
    known_kind = as_choice(kind, AlertKind)
    if known_kind is None:
        violations.add("kind", f"must be one of {', '.join(AlertKind)}")
    if not (threshold.is_finite() and threshold > ZERO):
        violations.add("threshold", "must be greater than 0")
    elif known_kind in PERCENT_KINDS and threshold > HUNDRED:
        violations.add("threshold", "must be a percent greater than 0 and at most 100")
    elif threshold.adjusted() >= MAX_INTEGER_DIGITS or threshold != threshold.quantize(THRESHOLD_QUANTUM):
        violations.add(
            "threshold",
            f"must have at most {MAX_INTEGER_DIGITS} digits before the decimal point "
            f"and {MAX_DECIMAL_PLACES} after it",
        )
    given_symbol = symbol if symbol is not None and symbol.strip() else None
    normalised = None
    if known_kind in SYMBOL_KINDS:
        if given_symbol is None:
            violations.add("symbol", "is required for this kind of alert")
        else:
            normalised = violations.apply(partial(normalise_symbol, given_symbol, "symbol"), None)
    elif known_kind is not None and given_symbol is not None:
        violations.add("symbol", "must be empty for a portfolio alert")
    if not (rearm_band_percent.is_finite() and ZERO <= rearm_band_percent <= MAX_REARM_BAND_PERCENT):
        violations.add("rearm_band_percent", f"must be between 0 and {MAX_REARM_BAND_PERCENT}")
    violations.raise_if_any()
    assert known_kind is not None
    return AlertDefinition(known_kind, threshold, normalised, rearm_band_percent)


def evaluate(
    alert: AlertDefinition, state: AlertState, observation: Observation
) -> tuple[AlertState, Trigger | None]:
    """The alert's next state, and the trigger when it fires on ``observation``.

    An observation the alert cannot measure (another symbol's quote, a valuation for a price
    alert, a zero previous close or peak) leaves it as it was.
    """
    if alert.kind is AlertKind.PORTFOLIO_DRAWDOWN:
        return _evaluate_drawdown(alert, state, observation)
    observed = _measure(alert, observation)
    if observed is None:
        return state, None
    if alert.kind is AlertKind.DAILY_MOVE:
        assert isinstance(observation, QuoteObservation)
        if not state.armed and state.fired_against_close != observation.previous_close:
            state = AlertState()
        if state.armed and observed >= alert.threshold:
            fired = AlertState(armed=False, fired_against_close=observation.previous_close)
            return fired, _trigger(alert, fired, observed, observation)
        return state, None
    return _cross(alert, state, observed, observation)


def _evaluate_drawdown(
    alert: AlertDefinition, state: AlertState, observation: Observation
) -> tuple[AlertState, Trigger | None]:
    if not isinstance(observation, ValuationObservation):
        return state, None
    value, flow = observation.value, observation.net_external_flow
    peak = _peak_after_flows(state, value, flow)
    if peak is None or value > peak * (1 + PEAK_STEP):
        peak = value
    if peak != state.peak or flow != state.peak_flow:
        state = replace(state, peak=peak, peak_flow=flow)
    if peak <= ZERO:
        return state, None
    return _cross(alert, state, max(ZERO, (1 - value / peak) * HUNDRED), observation)


def _peak_after_flows(state: AlertState, value: Decimal, flow: Decimal) -> Decimal | None:
    """The stored peak scaled by the flows since it was stored: times the value after them over
    the value before (``value`` less the flows); None when there is no peak to scale."""
    if state.peak is None:
        return None
    moved = flow - state.peak_flow
    if moved == 0:
        return state.peak
    before = value - moved
    return (state.peak * value / before).quantize(THRESHOLD_QUANTUM) if before > ZERO else None


def _cross(
    alert: AlertDefinition, state: AlertState, observed: Decimal, observation: Observation
) -> tuple[AlertState, Trigger | None]:
    """Fire an armed alert whose condition holds; re-arm a fired one once past the band."""
    if state.armed:
        if _condition_holds(alert, observed):
            return replace(state, armed=False), _trigger(alert, state, observed, observation)
        return state, None
    return (replace(state, armed=True), None) if _rearms(alert, observed) else (state, None)


def evaluate_all(
    alert: AlertDefinition, state: AlertState, observations: Iterable[Observation]
) -> tuple[AlertState, list[Trigger]]:
    """``evaluate`` over ``observations`` in order: the final state and every trigger on the way."""
    triggers = []
    for observation in observations:
        state, trigger = evaluate(alert, state, observation)
        if trigger is not None:
            triggers.append(trigger)
    return state, triggers


def _measure(alert: AlertDefinition, observation: Observation) -> Decimal | None:
    match alert.kind, observation:
        case AlertKind.PRICE_ABOVE | AlertKind.PRICE_BELOW, QuoteObservation() if (
            observation.symbol == alert.symbol
        ):
            return observation.price
        case AlertKind.DAILY_MOVE, QuoteObservation() if (
            observation.symbol == alert.symbol and observation.previous_close > ZERO
        ):
            return abs(observation.price / observation.previous_close - 1) * HUNDRED
        case AlertKind.PORTFOLIO_VALUE_ABOVE | AlertKind.PORTFOLIO_VALUE_BELOW, ValuationObservation():
            return observation.value
    return None


def _condition_holds(alert: AlertDefinition, observed: Decimal) -> bool:
    if alert.kind in _FALLING_KINDS:
        return observed <= alert.threshold
    return observed >= alert.threshold


def _rearms(alert: AlertDefinition, observed: Decimal) -> bool:
    band = alert.threshold * alert.rearm_band_percent / HUNDRED
    if alert.kind in _FALLING_KINDS:
        return observed > alert.threshold + band
    return observed < alert.threshold - band


def _trigger(
    alert: AlertDefinition, state: AlertState, observed: Decimal, observation: Observation
) -> Trigger:
    return Trigger(alert, observed, observation.observed_at, _message(alert, state, observed, observation))


def _message(alert: AlertDefinition, state: AlertState, observed: Decimal, observation: Observation) -> str:
    threshold = alert.threshold
    match alert.kind:
        case AlertKind.PRICE_ABOVE:
            return f"{alert.symbol} rose above {_amount(threshold)} ({_amount(observed)})"
        case AlertKind.PRICE_BELOW:
            return f"{alert.symbol} fell below {_amount(threshold)} ({_amount(observed)})"
        case AlertKind.DAILY_MOVE:
            assert isinstance(observation, QuoteObservation)
            direction = "up" if observation.price >= observation.previous_close else "down"
            return (
                f"{alert.symbol} is {direction} {_percent(observed)} today (threshold {_percent(threshold)})"
            )
        case AlertKind.PORTFOLIO_VALUE_ABOVE:
            return f"Portfolio value rose above {_amount(threshold)} ({_amount(observed)})"
        case AlertKind.PORTFOLIO_VALUE_BELOW:
            return f"Portfolio value fell below {_amount(threshold)} ({_amount(observed)})"
        case AlertKind.PORTFOLIO_DRAWDOWN:
            assert state.peak is not None
            return (
                f"Portfolio is {_percent(observed)} below its peak of {_amount(state.peak.quantize(CENT))} "
                f"(threshold {_percent(threshold)})"
            )


def _amount(amount: Decimal) -> str:
    """Grouped thousands and at least two decimals, more when the amount has them: 1,234.50, 0.0123."""
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{amount:,.{places}f}"


def _percent(percent: Decimal) -> str:
    return f"{percent:.2f}%"
