"""The data-quality checks run on every ingest: rejected rows are not stored, flagged ones are
stored with the finding recorded next to them.

Bars are rejected for: a price that is not a positive finite number, high below low, open
or close outside [low, high], negative volume, and a start already seen (the first bar
wins). They are flagged for: zero volume, being out of order (they are sorted), trading
days without a bar, bars on days that are not trading days, and outlier jumps.

An outlier is a close-to-close log return larger than ``k`` robust sigmas, sigma being
1.4826 x the median absolute deviation of the previous ``window`` returns, never below a
floor (and a generous fixed value until ``min_history`` returns exist). The return across a
known split or dividend is measured against the ex-date reference price ``(C - D) / r``,
so real corporate actions do not trip it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction, Interval, Quote
from eqr_market_data.domain.quality import QualityIssue, Severity

Floats = npt.NDArray[np.float64]

MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to the standard deviation of a normal distribution."""


class Check(StrEnum):
    NON_POSITIVE_PRICE = "non_positive_price"
    HIGH_BELOW_LOW = "high_below_low"
    OPEN_OUTSIDE_RANGE = "open_outside_range"
    CLOSE_OUTSIDE_RANGE = "close_outside_range"
    NEGATIVE_VOLUME = "negative_volume"
    ZERO_VOLUME = "zero_volume"
    DUPLICATE_BAR = "duplicate_bar"
    OUT_OF_ORDER = "out_of_order"
    CALENDAR_GAP = "calendar_gap"
    NON_TRADING_DAY = "non_trading_day"
    OUTLIER_JUMP = "outlier_jump"
    STALE_QUOTE = "stale_quote"
    PRICE_OUT_OF_BAND = "price_out_of_band"
    REPLACED_BAR = "replaced_bar"
    """An ingest changed the values of days already stored (recorded by the ingest, not here)."""


@dataclass(frozen=True)
class QualityPolicy:
    outlier_k: float = 8.0
    outlier_window: int = 60
    outlier_min_history: int = 10
    outlier_sigma_floor: float = 0.01
    """Lowest sigma of a log return, so a very quiet series does not flag ordinary moves."""
    outlier_warmup_sigma: float = 0.05
    """Sigma assumed until ``outlier_min_history`` returns are known."""
    flag_zero_volume: bool = True
    """Off for indices, which have no volume of their own."""
    max_quote_age: timedelta = timedelta(minutes=15)
    quote_band: float = 0.5
    """A quote more than this fraction away from the previous close is flagged."""

    def __post_init__(self) -> None:
        if not 2 <= self.outlier_min_history <= self.outlier_window:
            raise ValueError("outlier_min_history must be between 2 and outlier_window")


DEFAULT_POLICY = QualityPolicy()


@dataclass(frozen=True)
class _Row:
    bar: Bar
    line: int

    def issue(self, check: Check, severity: Severity, field: str, message: str) -> QualityIssue:
        return QualityIssue(
            symbol=self.bar.symbol,
            check=check,
            severity=severity,
            message=message,
            field=field,
            line=self.line,
            observed_at=self.bar.start,
        )


def check_bars(
    bars: Sequence[Bar],
    *,
    expected_days: Collection[date] | None = None,
    actions: Sequence[CorporateAction] = (),
    lines: Sequence[int] | None = None,
    policy: QualityPolicy = DEFAULT_POLICY,
) -> tuple[list[Bar], list[QualityIssue]]:
    """One symbol's bars fit to store (sorted by start), and every finding.

    ``expected_days``: the trading days daily bars should cover; each one without a bar is a
    gap. ``actions``: the symbol's known splits and dividends. ``lines``: each bar's line in
    an imported file (same length as ``bars``).
    """
    if lines is not None and len(lines) != len(bars):
        raise ValueError("lines must give one line per bar")
    rows = [_Row(bar, lines[index] if lines else 0) for index, bar in enumerate(bars)]
    issues: list[QualityIssue] = []
    sound: list[_Row] = []
    for row in rows:
        rejections = list(_rejections(row))
        issues.extend(rejections)
        if not rejections:
            sound.append(row)
    kept = _first_of_each_start(sound, issues)
    issues.extend(_order_findings(kept))
    if policy.flag_zero_volume:
        issues.extend(
            row.issue(Check.ZERO_VOLUME, Severity.FLAGGED, "volume", "volume is zero")
            for row in kept
            if row.bar.volume == 0
        )
    good = sorted(kept, key=lambda row: row.bar.start)
    if expected_days is not None and good and good[0].bar.interval is Interval.D1:
        issues.extend(_calendar_findings(good, expected_days))
    issues.extend(_outliers(good, actions, policy))
    return [row.bar for row in good], issues


def check_quotes(
    quotes: Sequence[Quote],
    *,
    now: datetime,
    previous_closes: Mapping[str, float] | None = None,
    policy: QualityPolicy = DEFAULT_POLICY,
) -> tuple[list[Quote], list[QualityIssue]]:
    """The quotes fit to store, and every finding. The band check compares a quote with
    ``previous_closes[symbol]`` when given, else with its own ``previous_close``."""
    good: list[Quote] = []
    issues: list[QualityIssue] = []
    for quote in quotes:
        findings: list[tuple[Check, Severity, str, str]] = []
        if not _positive(quote.price):
            findings.append(
                (Check.NON_POSITIVE_PRICE, Severity.REJECTED, "price", "price is not a positive number")
            )
        else:
            age = now - quote.timestamp
            if age > policy.max_quote_age:
                findings.append((Check.STALE_QUOTE, Severity.FLAGGED, "timestamp", f"quote is {age} old"))
            reference = (previous_closes or {}).get(quote.symbol, quote.previous_close)
            if _positive(reference) and abs(quote.price / reference - 1.0) > policy.quote_band:
                message = f"price {quote.price:g} is over {policy.quote_band:.0%} away from {reference:g}"
                findings.append((Check.PRICE_OUT_OF_BAND, Severity.FLAGGED, "price", message))
            good.append(quote)
        issues.extend(
            QualityIssue(quote.symbol, check, severity, message, field, observed_at=quote.timestamp)
            for check, severity, field, message in findings
        )
    return good, issues


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _same_values(a: Bar, b: Bar) -> bool:
    return (a.open, a.high, a.low, a.close, a.volume) == (b.open, b.high, b.low, b.close, b.volume)


def _rejections(row: _Row) -> Iterator[QualityIssue]:
    bar = row.bar
    prices = {"open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close}
    bad = [name for name, value in prices.items() if not _positive(value)]
    for name in bad:
        yield row.issue(Check.NON_POSITIVE_PRICE, Severity.REJECTED, name, f"{name} is not a positive number")
    if bad:
        return
    if bar.high < bar.low:
        message = f"high {bar.high:g} is below low {bar.low:g}"
        yield row.issue(Check.HIGH_BELOW_LOW, Severity.REJECTED, "high", message)
    else:
        for check, name, value in (
            (Check.OPEN_OUTSIDE_RANGE, "open", bar.open),
            (Check.CLOSE_OUTSIDE_RANGE, "close", bar.close),
        ):
            if not bar.low <= value <= bar.high:
                message = f"{name} {value:g} is outside [{bar.low:g}, {bar.high:g}]"
                yield row.issue(check, Severity.REJECTED, name, message)
    if bar.volume < 0:
        yield row.issue(Check.NEGATIVE_VOLUME, Severity.REJECTED, "volume", "volume is negative")


def _first_of_each_start(rows: Sequence[_Row], issues: list[QualityIssue]) -> list[_Row]:
    """``rows`` without repeated starts (the first one stays), each repeat reported in ``issues``."""
    kept: dict[datetime, _Row] = {}
    for row in rows:
        first = kept.setdefault(row.bar.start, row)
        if first is not row:
            same = "identical" if _same_values(first.bar, row.bar) else "different values"
            earlier = f"line {first.line}" if first.line else "an earlier bar"
            message = f"same start as {earlier} ({same}); the first is kept"
            issues.append(row.issue(Check.DUPLICATE_BAR, Severity.REJECTED, "date", message))
    return list(kept.values())


def _order_findings(rows: Sequence[_Row]) -> list[QualityIssue]:
    findings = []
    latest: datetime | None = None
    for row in rows:
        if latest is not None and row.bar.start < latest:
            message = f"comes after a bar starting {latest.isoformat()}; bars are sorted"
            findings.append(row.issue(Check.OUT_OF_ORDER, Severity.FLAGGED, "date", message))
        else:
            latest = row.bar.start
    return findings


def _calendar_findings(rows: Sequence[_Row], expected_days: Collection[date]) -> list[QualityIssue]:
    expected = set(expected_days)
    findings = [
        row.issue(
            Check.NON_TRADING_DAY, Severity.FLAGGED, "date", f"{row.bar.start.date()} is not a trading day"
        )
        for row in rows
        if row.bar.start.date() not in expected
    ]
    missing = sorted(expected - {row.bar.start.date() for row in rows})
    symbol = rows[0].bar.symbol
    for run in _consecutive_runs(missing, sorted(expected)):
        what = f"{run[0]}" if len(run) == 1 else f"{run[0]} to {run[-1]}"
        message = f"no bar for {len(run)} trading day{'s' if len(run) > 1 else ''}: {what}"
        findings.append(
            QualityIssue(
                symbol,
                Check.CALENDAR_GAP,
                Severity.FLAGGED,
                message,
                "date",
                observed_at=datetime.combine(run[0], time(), tzinfo=UTC),
            )
        )
    return findings


def _consecutive_runs(missing: Sequence[date], calendar: Sequence[date]) -> list[list[date]]:
    """``missing`` split into runs of days adjacent in ``calendar``."""
    position = {day: index for index, day in enumerate(calendar)}
    runs: list[list[date]] = []
    for day in missing:
        if runs and position[day] == position[runs[-1][-1]] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _outliers(
    rows: Sequence[_Row], actions: Sequence[CorporateAction], policy: QualityPolicy
) -> list[QualityIssue]:
    if len(rows) < 2:
        return []
    closes = np.array([row.bar.close for row in rows])
    references = closes[:-1] * _action_factors(rows, actions)
    returns = np.log(closes[1:] / references)
    sigmas = _robust_sigmas(returns, policy)
    findings = []
    for index in np.flatnonzero(np.abs(returns) > policy.outlier_k * sigmas).tolist():
        change, size = math.expm1(returns[index]), abs(returns[index]) / sigmas[index]
        message = f"close moved {change:+.1%}, {size:.0f} robust sigmas (limit {policy.outlier_k:g})"
        findings.append(rows[index + 1].issue(Check.OUTLIER_JUMP, Severity.FLAGGED, "close", message))
    return findings


def _action_factors(rows: Sequence[_Row], actions: Sequence[CorporateAction]) -> Floats:
    """For each return, what the previous close is multiplied by to give the reference price."""
    days = [row.bar.start.date() for row in rows]
    factors = np.ones(len(rows) - 1)
    for action in actions:
        index = bisect_left(days, action.ex_date)
        if not 0 < index < len(days):
            continue
        previous_close = rows[index - 1].bar.close
        if action.kind is ActionKind.SPLIT and action.split_ratio > 0:
            factors[index - 1] /= action.split_ratio
        elif action.kind is ActionKind.DIVIDEND and 0 < action.dividend < previous_close:
            factors[index - 1] *= 1.0 - action.dividend / previous_close
    return factors


def _robust_sigmas(returns: Floats, policy: QualityPolicy) -> Floats:
    """Sigma for each return from the returns before it."""
    window = policy.outlier_window
    sigmas: Floats = np.full(len(returns), policy.outlier_warmup_sigma, dtype=np.float64)
    for index in range(policy.outlier_min_history, min(len(returns), window)):
        sigmas[index] = _mad_sigma(returns[:index])
    if len(returns) > window:
        sigmas[window:] = _mad_sigma(sliding_window_view(returns[:-1], window))
    return np.maximum(sigmas, policy.outlier_sigma_floor, dtype=np.float64)


def _mad_sigma(values: Floats) -> Floats:
    """Along the last axis: 1.4826 x the median absolute deviation."""
    median = np.median(values, axis=-1, keepdims=True)
    return np.asarray(MAD_TO_SIGMA * np.median(np.abs(values - median), axis=-1), dtype=np.float64)
