"""Simulated news: per name and day, and a market-wide stream, from templates.

Everything about an item (whether it exists, its wording, time and sentiment) is drawn from
the (seed, day, symbol) stream, so the same day always has the same news, and its id is a
hash of that address. A big move always makes news whose sentiment has the move's sign;
otherwise a name makes routine news now and then, good or bad regardless of the price.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from eqr_market_data.domain.model import Instrument, NewsItem, Source
from eqr_market_data.domain.simulator.streams import Stream, day_index, generator

BIG_MOVE = 0.04
"""A daily return at least this large (either way) always makes the news."""
MARKET_BIG_MOVE = 0.015
ROUTINE_NEWS_PROBABILITY = 0.04
PUBLISHER = "EQR Simulated Newswire"
MARKET_SYMBOL = "^GSPC"
_MARKET_STREAM = "market-news"

_ROUTINE: tuple[tuple[str, float], ...] = (
    ("{name} announces a new share repurchase program", 0.5),
    ("{name} raises its full-year outlook", 0.7),
    ("{name} wins a major contract", 0.55),
    ("{name} expands its partnership strategy in {industry}", 0.3),
    ("{name} to present at an upcoming industry conference", 0.05),
    ("{name} names a new chief financial officer", 0.0),
    ("Analyst downgrades {name} to neutral, citing valuation", -0.4),
    ("{name} faces a regulatory inquiry", -0.55),
    ("{name} cuts its full-year outlook", -0.7),
    ("{name} recalls products after quality concerns", -0.5),
)
_MACRO: tuple[tuple[str, float], ...] = (
    ("Treasury yields climb ahead of the Federal Reserve's decision", -0.2),
    ("Inflation data comes in cooler than expected", 0.5),
    ("Jobs report beats forecasts as hiring stays strong", 0.35),
    ("Oil prices swing on supply worries", -0.1),
    ("Consumer confidence slips to a three-month low", -0.4),
    ("Manufacturing activity expands for a second month", 0.3),
)


def symbol_news(seed: int, day: date, instrument: Instrument, day_return: float | None) -> list[NewsItem]:
    """The name's news on ``day`` given its return that day (``None`` when unknown)."""
    rng = generator(seed, Stream.NEWS, day_index(day), instrument.symbol)
    routine, template, minute, noise = (
        rng.random(),
        int(rng.integers(len(_ROUTINE))),
        int(rng.integers(390)),
        rng.standard_normal(),
    )
    items = []
    if day_return is not None and abs(day_return) >= BIG_MOVE:
        verb = "jump" if day_return > 0 else "slide"
        strength = min(1.0, 0.35 + 6.0 * abs(day_return) + 0.05 * abs(noise))
        items.append(
            _item(
                seed,
                day,
                instrument.symbol,
                0,
                f"{instrument.name} shares {verb} {100 * abs(day_return):.1f}%",
                f"{instrument.symbol} closed {'higher' if day_return > 0 else 'lower'} by "
                f"{100 * abs(day_return):.1f}% in heavy trading.",
                _at(day, 390 + minute // 13),
                math.copysign(strength, day_return),
                (instrument.symbol,),
            )
        )
    if routine < ROUTINE_NEWS_PROBABILITY:
        headline, tone = _ROUTINE[template]
        items.append(
            _item(
                seed,
                day,
                instrument.symbol,
                1,
                headline.format(name=instrument.name, industry=instrument.industry.lower()),
                "",
                _at(day, minute),
                _clamp(tone + 0.15 * noise),
                (instrument.symbol,),
            )
        )
    return items


def market_news(
    seed: int, day: date, returns: Mapping[str, float], sectors: Sequence[Instrument]
) -> list[NewsItem]:
    """The day's market wrap (from the S&P 500's return), its leading sector, and a macro story."""
    rng = generator(seed, Stream.NEWS, day_index(day), _MARKET_STREAM)
    macro, minute, noise = int(rng.integers(len(_MACRO))), int(rng.integers(390)), rng.standard_normal()
    market = returns.get(MARKET_SYMBOL, 0.0)
    items = [_market_wrap(seed, day, market)]
    moved = [(returns[s.symbol], s) for s in sectors if s.symbol in returns]
    if moved:
        change, leader = max(moved, key=lambda pair: abs(pair[0]))
        direction = "leads" if change >= 0 else "lags"
        items.append(
            _item(
                seed,
                day,
                _MARKET_STREAM,
                1,
                f"{leader.sector} {direction} the market as {leader.symbol} moves {100 * change:+.1f}%",
                "",
                _at(day, 392),
                _clamp(8.0 * change),
                (leader.symbol,),
            )
        )
    headline, tone = _MACRO[macro]
    items.append(
        _item(
            seed, day, _MARKET_STREAM, 2, headline, "", _at(day, minute - 60), _clamp(tone + 0.1 * noise), ()
        )
    )
    return items


def _market_wrap(seed: int, day: date, market: float) -> NewsItem:
    size = f"{100 * abs(market):.1f}%"
    if market >= MARKET_BIG_MOVE:
        headline, sentiment = f"Stocks rally as the S&P 500 climbs {size}", min(1.0, 0.4 + 15 * market)
    elif market <= -MARKET_BIG_MOVE:
        headline, sentiment = f"Stocks slide as the S&P 500 drops {size}", max(-1.0, -0.4 + 15 * market)
    elif market >= 0:
        headline, sentiment = f"S&P 500 edges up {size} in quiet trading", 10 * market
    else:
        headline, sentiment = f"S&P 500 edges down {size} in quiet trading", 10 * market
    return _item(seed, day, _MARKET_STREAM, 0, headline, "", _at(day, 391), sentiment, (MARKET_SYMBOL,))


def _item(
    seed: int,
    day: date,
    stream: str,
    slot: int,
    headline: str,
    summary: str,
    published_at: datetime,
    sentiment: float,
    symbols: tuple[str, ...],
) -> NewsItem:
    digest = hashlib.sha256(f"{seed}:{day.isoformat()}:{stream}:{slot}".encode()).hexdigest()
    return NewsItem(
        id=digest[:32],
        headline=headline,
        published_at=published_at,
        source=Source.SIMULATED,
        symbols=symbols,
        summary=summary,
        publisher=PUBLISHER,
        sentiment=sentiment,
    )


def _at(day: date, session_minute: int) -> datetime:
    """A time on ``day``, in minutes after a 14:30 UTC open (390 is the close)."""
    return datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC) + timedelta(minutes=session_minute)


def _clamp(sentiment: float) -> float:
    return max(-1.0, min(1.0, sentiment))
