"""Domain objects <-> market-data protobuf messages, shared by the API and the adapters."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from eqr.market_data.v1 import events_pb2
from eqr.market_data.v1 import market_data_service_pb2 as service_pb
from eqr.market_data.v1 import resources_pb2 as pb
from eqr_market_data.app.closes import Closes
from eqr_market_data.app.history import History
from eqr_market_data.app.ports import PackedBars, PackedCloses
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.market import MarketSnapshot, Pair
from eqr_market_data.domain.model import (
    AssetClass,
    Bar,
    Breadth,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue
from eqr_platform.protobuf import date_pb, from_timestamp_pb, timestamp_pb

ASSET_CLASS_TO_PB = {
    AssetClass.EQUITY: pb.ASSET_CLASS_EQUITY,
    AssetClass.INDEX: pb.ASSET_CLASS_INDEX,
    AssetClass.ETF: pb.ASSET_CLASS_ETF,
}
INTERVAL_TO_PB = {
    Interval.M1: pb.INTERVAL_1M,
    Interval.M5: pb.INTERVAL_5M,
    Interval.M15: pb.INTERVAL_15M,
    Interval.H1: pb.INTERVAL_1H,
    Interval.D1: pb.INTERVAL_1D,
    Interval.W1: pb.INTERVAL_1WK,
    Interval.MO1: pb.INTERVAL_1MO,
}
PB_TO_INTERVAL = {value: key for key, value in INTERVAL_TO_PB.items()}
PB_TO_ASSET_CLASS = {value: key for key, value in ASSET_CLASS_TO_PB.items()}
FINANCIAL_FIGURES = tuple(
    name
    for name in Financials.__dataclass_fields__
    if name not in {"symbol", "period", "fiscal_date", "currency", "source"}
)


def interval_from_pb(value: int) -> Interval:
    if value == pb.INTERVAL_UNSPECIFIED:
        return Interval.D1
    try:
        return PB_TO_INTERVAL[value]  # type: ignore[index]
    except KeyError:
        raise InvalidRequest("interval", "must be one of 1m, 5m, 15m, 1h, 1d, 1wk, 1mo") from None


def instrument_to_pb(instrument: Instrument, price: float = math.nan) -> pb.Instrument:
    return pb.Instrument(
        symbol=instrument.symbol,
        name=instrument.name,
        exchange=instrument.exchange,
        currency=instrument.currency,
        asset_class=ASSET_CLASS_TO_PB[instrument.asset_class],
        sector=instrument.sector,
        industry=instrument.industry,
        country=instrument.country,
        shares_outstanding=instrument.shares_outstanding,
        market_cap=instrument.shares_outstanding * price if instrument.shares_outstanding else math.nan,
        source=instrument.source,
    )


def quote_to_pb(quote: Quote) -> pb.Quote:
    return pb.Quote(
        symbol=quote.symbol,
        price=quote.price,
        open=quote.open,
        high=quote.high,
        low=quote.low,
        previous_close=quote.previous_close,
        change=quote.change,
        change_percent=quote.change_percent,
        volume=quote.volume,
        bid=quote.bid,
        ask=quote.ask,
        timestamp=timestamp_pb(quote.timestamp),
        source=quote.source,
        stale=quote.stale,
    )


def quote_from_pb(message: pb.Quote) -> Quote:
    return Quote(
        symbol=message.symbol,
        price=message.price,
        open=message.open,
        high=message.high,
        low=message.low,
        previous_close=message.previous_close,
        volume=message.volume,
        timestamp=from_timestamp_pb(message.timestamp),
        source=message.source,
        bid=message.bid,
        ask=message.ask,
        stale=message.stale,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _timestamp_fields(at: datetime) -> dict[str, int]:
    """A ``Timestamp``'s fields by arithmetic: ten years of bars are 2,500 of them, and building
    each through ``Timestamp.FromDatetime`` took two thirds of packing them."""
    since = (at if at.tzinfo else at.replace(tzinfo=UTC)) - _EPOCH
    return {"seconds": since.days * 86_400 + since.seconds, "nanos": since.microseconds * 1000}


def _add_bar(add: Callable[..., pb.Bar], bar: Bar) -> None:
    add(
        start=_timestamp_fields(bar.start),
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
    )


def pack_bars(bars: Sequence[Bar]) -> PackedBars:
    """Bars as the bars (and sources) of a ``GetHistoryResponse``: what the history cache keeps
    and what a history reply starts from."""
    source = ",".join(dict.fromkeys(bar.source for bar in bars))
    message = service_pb.GetHistoryResponse(source=source)
    add = message.bars.add
    for bar in bars:
        _add_bar(add, bar)
    return PackedBars(message.SerializeToString(), bars[-1].start.date() if bars else None, source)


def read_packed(data: bytes) -> PackedBars:
    """What ``pack_bars`` wrote, described without unpacking the bars."""
    message = service_pb.GetHistoryResponse.FromString(data)
    last_day = from_timestamp_pb(message.bars[-1].start).date() if message.bars else None
    return PackedBars(data, last_day, message.source)


def unpack_bars(symbol: str, interval: Interval, packed: PackedBars) -> list[Bar]:
    """The packed bars as objects; each takes the first of the slice's sources."""
    message = service_pb.GetHistoryResponse.FromString(packed.data)
    source = packed.source.split(",", 1)[0]
    return [
        Bar(
            symbol=symbol,
            interval=interval,
            start=from_timestamp_pb(bar.start),
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            source=source,
        )
        for bar in message.bars
    ]


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def pack_closes(bars: Sequence[Bar]) -> PackedCloses:
    """The bars' days and closes as the columns of a ``DailyCloses``: what the closes cache keeps
    and what a batch-closes reply starts from."""
    message = service_pb.DailyCloses(
        days=[bar.start.date().toordinal() - _EPOCH_ORDINAL for bar in bars],
        closes=[bar.close for bar in bars],
    )
    return PackedCloses(message.SerializeToString(), bars[-1].start.date() if bars else None)


def read_packed_closes(data: bytes) -> PackedCloses:
    """What ``pack_closes`` wrote, with its last day."""
    days = service_pb.DailyCloses.FromString(data).days
    return PackedCloses(data, date.fromordinal(_EPOCH_ORDINAL + days[-1]) if days else None)


def closes_to_pb(closes: Closes) -> service_pb.DailyCloses:
    """The packed closes as they are, then the live one."""
    message = service_pb.DailyCloses.FromString(closes.packed.data)
    if closes.live is not None:
        message.days.append(closes.live.start.date().toordinal() - _EPOCH_ORDINAL)
        message.closes.append(closes.live.close)
    message.symbol = closes.symbol
    message.adjusted = closes.adjusted
    message.revision = closes.revision
    return message


def history_to_pb(history: History) -> service_pb.GetHistoryResponse:
    """The packed bars as they are, then the unpacked ones."""
    message = service_pb.GetHistoryResponse()
    if history.packed is not None:
        message.MergeFromString(history.packed.data)
    add = message.bars.add
    for bar in history.bars:
        _add_bar(add, bar)
    message.symbol = history.symbol
    message.interval = INTERVAL_TO_PB[history.interval]
    message.adjusted = history.adjusted
    message.source = history.source
    return message


def action_to_pb(action: CorporateAction) -> pb.CorporateAction:
    return pb.CorporateAction(
        symbol=action.symbol,
        ex_date=date_pb(action.ex_date),
        kind=action.kind.value,
        split_ratio=action.split_ratio,
        dividend=action.dividend,
    )


def financials_to_pb(item: Financials) -> pb.Financials:
    message = pb.Financials(
        symbol=item.symbol,
        period=item.period.value,
        fiscal_date=date_pb(item.fiscal_date),
        currency=item.currency,
        source=item.source,
    )
    for name in FINANCIAL_FIGURES:
        setattr(message, name, getattr(item, name))
    return message


def news_to_pb(item: NewsItem) -> pb.NewsItem:
    return pb.NewsItem(
        id=item.id,
        symbols=list(item.symbols),
        headline=item.headline,
        summary=item.summary,
        publisher=item.publisher,
        url=item.url,
        published_at=timestamp_pb(item.published_at),
        sentiment=item.sentiment,
        source=item.source,
    )


def breadth_to_pb(breadth: Breadth) -> pb.Breadth:
    return pb.Breadth(
        advancers=breadth.advancers,
        decliners=breadth.decliners,
        unchanged=breadth.unchanged,
        new_highs=breadth.new_highs,
        new_lows=breadth.new_lows,
    )


def mover_to_pb(instrument: Instrument, quote: Quote) -> pb.MarketMover:
    return pb.MarketMover(instrument=instrument_to_pb(instrument, quote.price), quote=quote_to_pb(quote))


def instrument_from_pb(message: pb.Instrument) -> Instrument:
    return Instrument(
        symbol=message.symbol,
        name=message.name,
        exchange=message.exchange,
        currency=message.currency,
        asset_class=PB_TO_ASSET_CLASS[message.asset_class],
        sector=message.sector,
        industry=message.industry,
        country=message.country,
        shares_outstanding=message.shares_outstanding,
        source=message.source,
    )


def breadth_from_pb(message: pb.Breadth) -> Breadth:
    return Breadth(
        advancers=message.advancers,
        decliners=message.decliners,
        unchanged=message.unchanged,
        new_highs=message.new_highs,
        new_lows=message.new_lows,
    )


def snapshot_to_pb(snapshot: MarketSnapshot) -> events_pb2.MarketUpdated:
    def movers(pairs: list[Pair]) -> list[pb.MarketMover]:
        return [mover_to_pb(instrument, quote) for instrument, quote in pairs]

    return events_pb2.MarketUpdated(
        indices=movers(snapshot.indices),
        sectors=movers(snapshot.sectors),
        gainers=movers(snapshot.gainers),
        losers=movers(snapshot.losers),
        most_active=movers(snapshot.most_active),
        breadth=breadth_to_pb(snapshot.breadth),
        as_of=timestamp_pb(snapshot.as_of),
    )


def snapshot_from_pb(message: events_pb2.MarketUpdated) -> MarketSnapshot:
    def pairs(movers: Sequence[pb.MarketMover]) -> list[Pair]:
        return [(instrument_from_pb(m.instrument), quote_from_pb(m.quote)) for m in movers]

    return MarketSnapshot(
        as_of=from_timestamp_pb(message.as_of),
        indices=pairs(message.indices),
        sectors=pairs(message.sectors),
        gainers=pairs(message.gainers),
        losers=pairs(message.losers),
        most_active=pairs(message.most_active),
        breadth=breadth_from_pb(message.breadth),
    )


def issue_to_pb(issue: QualityIssue) -> service_pb.ImportIssue:
    return service_pb.ImportIssue(
        line=issue.line, field=issue.field, message=issue.message, severity=issue.severity.value
    )
