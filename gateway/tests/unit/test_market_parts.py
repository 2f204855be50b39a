"""Market-data parts on their own: symbols, history windows, JSON rendering, settings, body limits."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from starlette.types import Message, Receive, Scope, Send

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import resources_pb2 as md
from eqr_gateway.convert_market import (
    FINANCIAL_FIGURES,
    financials_doc,
    history_json,
    quote_batch_json,
    quote_json,
    stock_detail_json,
)
from eqr_gateway.history_window import Window, history_window, range_start
from eqr_gateway.middleware.body_limit import BodyLimitMiddleware
from eqr_gateway.problems import ProblemError
from eqr_gateway.schemas.market import Financials, History, Quote, QuoteBatch, StockDetail, symbol_problem
from eqr_gateway.settings import GatewaySettings

NOW = datetime(2025, 3, 31, 15, 30, tzinfo=UTC)


def _quote(symbol: str = "AAPL") -> md.Quote:
    return md.Quote(
        symbol=symbol,
        price=229.87,
        open=228.1,
        high=230.4,
        low=227.65,
        previous_close=227.52,
        change=2.35,
        change_percent=1.0329,
        volume=38_211_400,
        timestamp=Timestamp(seconds=1_741_966_927, nanos=250_000_000),
        source="yahoo",
        stale=True,
    )


@pytest.mark.parametrize("symbol", ["AAPL", "brk.b", "^GSPC", "EURUSD=X", "BF-B", "A", "X" * 15, "0700.HK"])
def test_symbols(symbol: str) -> None:
    assert symbol_problem(symbol) is None


@pytest.mark.parametrize(
    "symbol", ["", "X" * 16, "..", "A..B", "../x", "A/B", "A B", "^^", ".", "-", "ÄPL", "A\x00"]
)
def test_not_symbols(symbol: str) -> None:
    assert symbol_problem(symbol)


def test_quote_json_matches_the_model() -> None:
    rendered = quote_json(_quote())
    document = orjson.loads(rendered)
    assert set(document) == set(Quote.model_fields)
    assert document["timestamp"] == "2025-03-14T15:42:07.250000Z"
    assert (document["bid"], document["ask"], document["stale"], document["source"]) == (
        None,
        None,
        True,
        "yahoo",
    )
    assert orjson.loads(Quote.model_validate_json(rendered).model_dump_json()) == document


def test_batch_and_detail_json_splice_rendered_quotes() -> None:
    batch = quote_batch_json([quote_json(_quote("A")), quote_json(_quote("B"))], ["NOPE", 'QUO"TE'])
    parsed = QuoteBatch.model_validate_json(batch)
    assert [quote.symbol for quote in parsed.quotes] == ["A", "B"]
    assert parsed.unknown_symbols == ["NOPE", 'QUO"TE']
    assert orjson.loads(quote_batch_json([], [])) == {"quotes": [], "unknown_symbols": []}
    instrument = md.Instrument(symbol="A", name="A Inc.", asset_class=md.ASSET_CLASS_EQUITY, source="import")
    assert StockDetail.model_validate_json(stock_detail_json(instrument, None)).quote is None
    detail = StockDetail.model_validate_json(stock_detail_json(instrument, quote_json(_quote("A"))))
    assert detail.quote is not None
    assert detail.instrument.source == "import"


def test_history_json_is_compact_and_matches_the_model() -> None:
    response = pb.GetHistoryResponse(
        symbol="AAPL", interval=md.INTERVAL_1WK, adjusted=True, source="alphavantage"
    )
    response.bars.add(
        start=Timestamp(seconds=1_704_153_600), open=1.5, high=2.0, low=1.0, close=1.75, volume=7
    )
    rendered = history_json(response, "1d")
    assert rendered == (
        b'{"symbol":"AAPL","interval":"1wk","adjusted":true,"source":"alphavantage",'
        b'"bars":[{"t":"2024-01-02T00:00:00Z","o":1.5,"h":2.0,"l":1.0,"c":1.75,"v":7}]}'
    )
    assert History.model_validate_json(rendered).bars[0].t == datetime(2024, 1, 2, tzinfo=UTC)


def test_history_json_echoes_the_asked_interval_when_the_service_leaves_it_unset() -> None:
    assert orjson.loads(history_json(pb.GetHistoryResponse(symbol="X"), "15m"))["interval"] == "15m"


def test_absent_financial_figures_are_null() -> None:
    document = financials_doc(
        md.Financials(
            symbol="A", period="annual", currency="USD", revenue=10.0, ebitda=math.nan, source="import"
        )
    )
    assert document["revenue"] == 10.0
    assert document["ebitda"] is None
    assert document["fiscal_date"] is None
    assert set(document) == set(Financials.model_fields)
    assert set(FINANCIAL_FIGURES) <= set(md.Financials.DESCRIPTOR.fields_by_name)


@pytest.mark.parametrize(
    ("span", "start"),
    [
        ("1d", NOW - timedelta(days=1)),
        ("5d", NOW - timedelta(days=5)),
        ("1mo", datetime(2025, 2, 28, 15, 30, tzinfo=UTC)),  # 31 March - 1 month: clamped to February's end
        ("3mo", datetime(2024, 12, 31, 15, 30, tzinfo=UTC)),
        ("6mo", datetime(2024, 9, 30, 15, 30, tzinfo=UTC)),
        ("ytd", datetime(2025, 1, 1, tzinfo=UTC)),
        ("1y", datetime(2024, 3, 31, 15, 30, tzinfo=UTC)),
        ("10y", datetime(2015, 3, 31, 15, 30, tzinfo=UTC)),
        ("max", datetime(1975, 3, 31, 15, 30, tzinfo=UTC)),
    ],
)
def test_daily_range_start(span: Any, start: datetime) -> None:
    assert range_start(span, "1d", NOW) == start
    assert range_start(span, "1mo", NOW) == start


def test_leap_day_back_a_year() -> None:
    assert range_start("1y", "1wk", datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2023, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "interval", "back"),
    [
        ("1d", "1m", timedelta(days=1)),
        ("5d", "1m", timedelta(days=5)),
        ("1mo", "1m", timedelta(days=7, minutes=-1)),
        ("max", "1m", timedelta(days=7, minutes=-1)),
        ("5d", "5m", timedelta(days=5)),
        ("1mo", "15m", timedelta(days=30, minutes=-1)),  # 31 March back to 28 February: 31 days
        ("3mo", "1h", timedelta(days=30, minutes=-1)),
        ("max", "1h", timedelta(days=30, minutes=-1)),
    ],
)
def test_intraday_ranges_are_clamped_to_the_reach(span: Any, interval: Any, back: timedelta) -> None:
    assert NOW - range_start(span, interval, NOW) == back


def test_history_window() -> None:
    assert history_window("1d", None, None, None, NOW) == Window(None, None, "query.from")
    assert history_window("1m", None, None, None, NOW) == Window(None, None, "query.from")
    ranged = history_window("1d", None, None, "5d", NOW)
    assert ranged == Window(NOW - timedelta(days=5), None, "query.range")
    day = datetime(2020, 1, 1, tzinfo=UTC)
    assert history_window("1d", day, None, None, NOW) == Window(day, None, "query.from")
    assert history_window("1d", None, day, None, NOW) == Window(None, day, "query.from")
    assert history_window("1d", NOW, NOW, None, NOW) == Window(NOW, NOW, "query.from")


@pytest.mark.parametrize(
    ("start", "end", "span", "field"),
    [
        (NOW, NOW - timedelta(seconds=1), None, "query.from"),
        (NOW + timedelta(seconds=1), None, None, "query.from"),
        (NOW - timedelta(days=1), None, "1y", "query.range"),
        (None, NOW, "1y", "query.range"),
    ],
)
def test_history_window_refusals(start: datetime | None, end: datetime | None, span: Any, field: str) -> None:
    with pytest.raises(ProblemError) as refused:
        history_window("1d", start, end, span, NOW)
    assert [error.field for error in refused.value.errors] == [field]


def test_market_data_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = GatewaySettings()
    assert defaults.market_data_addr == "127.0.0.1:50052"
    assert defaults.quote_cache_ttl_ms == 500
    assert defaults.max_import_bytes == 20 * 1024 * 1024
    monkeypatch.setenv("MARKET_DATA_ADDR", "market-data:50052")
    monkeypatch.setenv("GATEWAY_QUOTE_CACHE_TTL_MS", "250")
    monkeypatch.setenv("GATEWAY_MAX_IMPORT_BYTES", "1000")
    settings = GatewaySettings()
    assert (settings.market_data_addr, settings.quote_cache_ttl_ms, settings.max_import_bytes) == (
        "market-data:50052",
        250,
        1000,
    )


async def _post(app: BodyLimitMiddleware, path: str, body: bytes, *, declare: bool) -> int:
    headers = [(b"content-length", str(len(body)).encode())] if declare else []
    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    chunks = [body[i : i + 10] for i in range(0, len(body), 10)] or [b""]
    sent: list[Message] = []

    async def receive() -> Message:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status: int = sent[0]["status"]
    return status


async def _drain(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("declare", [True, False])
async def test_the_body_limit_is_per_path(declare: bool) -> None:
    app = BodyLimitMiddleware(_drain, max_bytes=10, max_bytes_by_path={"/upload": 100})
    assert await _post(app, "/other", b"x" * 10, declare=declare) == 200
    assert await _post(app, "/other", b"x" * 11, declare=declare) == 413
    assert await _post(app, "/upload", b"x" * 100, declare=declare) == 200
    assert await _post(app, "/upload", b"x" * 101, declare=declare) == 413
    assert await _post(app, "/upload/", b"x" * 11, declare=declare) == 413
