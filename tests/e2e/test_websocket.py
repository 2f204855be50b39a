"""The live socket through the launcher's fleet, with a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from eqr_testing.api import Account, register_and_login

pytestmark = pytest.mark.e2e

Frame = dict[str, Any]


def _ws_url(gateway_url: str) -> str:
    return gateway_url.replace("http://", "ws://") + "/api/v1/ws"


async def _open(gateway_url: str, token: str | None = None, **options: Any) -> ClientConnection:
    offers = ["eqr.v1", f"bearer.{token}"] if token else ["eqr.v1"]
    return await connect(_ws_url(gateway_url), subprotocols=offers, **options)  # type: ignore[arg-type]


async def _send(ws: ClientConnection, kind: str, request_id: str | None = None, **data: Any) -> None:
    await ws.send(json.dumps({"type": kind, "id": request_id, "data": data}))


async def _next(ws: ClientConnection, kind: str, *, within: float = 10.0, **match: Any) -> Frame:
    """The next frame of ``kind`` whose data has the ``match`` items (others are skipped)."""
    try:
        async with asyncio.timeout(within):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == kind and all(frame["data"].get(k) == v for k, v in match.items()):
                    return dict(frame)
    except TimeoutError:
        raise AssertionError(f"no {kind} {match} within {within} s") from None


async def _close_code(ws: ClientConnection, *, within: float = 10.0) -> int | None:
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.fixture
async def http(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{gateway_url}/api/v1", timeout=15.0) as client:
        yield client


@pytest.fixture
def owner(api: httpx.Client) -> Account:
    return register_and_login(api)


@pytest.fixture
def colleague(api: httpx.Client) -> Account:
    return register_and_login(api)


@pytest.fixture
async def socket(gateway_url: str, owner: Account) -> AsyncIterator[ClientConnection]:
    ws = await _open(gateway_url, owner.access_token)
    await _next(ws, "ack", request="auth")
    yield ws
    await ws.close()


async def _portfolio_holding(http: httpx.AsyncClient, who: Account, symbol: str = "AAPL") -> str:
    created = await http.post(
        "/portfolios", json={"name": f"live {uuid.uuid4().hex[:6]}"}, headers=who.headers
    )
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    bought = await http.post(
        f"/portfolios/{pid}/transactions",
        json={"kind": "buy", "trade_date": "2024-01-02", "symbol": symbol, "quantity": "10", "price": "100"},
        headers=who.headers,
    )
    assert bought.status_code == 201, bought.text
    return pid


async def test_a_token_in_the_first_message_or_the_subprotocol_authenticates(
    gateway_url: str, owner: Account
) -> None:
    async with await _open(gateway_url) as ws:
        assert ws.subprotocol == "eqr.v1"
        await _send(ws, "auth", "a1", token=owner.access_token)
        ack = await _next(ws, "ack", id="a1")
        assert ack["data"]["user_id"] == owner.user_id
    async with await _open(gateway_url, owner.access_token) as ws:
        assert (await _next(ws, "ack", request="auth"))["data"]["user_id"] == owner.user_id


async def test_authentication_failures_close_with_their_own_codes(
    gateway_url: str, owner: Account, signing_key: tuple[str, Ed25519PrivateKey]
) -> None:
    async with await _open(gateway_url) as ws:
        await _send(ws, "subscribe", "s1", channel="quotes", symbols=["AAPL"])
        refused = await _next(ws, "error", id="s1")
        assert refused["data"]["code"] == "unauthenticated"
        assert await _close_code(ws) == 4001, "no token within the authentication timeout"
    async with await _open(gateway_url, owner.access_token[:-4] + "AAAA") as ws:
        assert (await _next(ws, "error"))["data"]["code"] == "authentication_failed"
        assert await _close_code(ws) == 4002
    kid, key = signing_key
    past = int(time.time()) - 3600
    claims = jwt.decode(owner.access_token, options={"verify_signature": False})
    claims.update(iat=past, nbf=past, exp=past + 900)
    expired = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
    async with await _open(gateway_url, expired) as ws:
        assert await _close_code(ws) == 4003


async def test_quotes_start_with_a_snapshot_and_then_tick(socket: ClientConnection) -> None:
    await _send(socket, "subscribe", "q", channel="quotes", symbols=["aapl", "MSFT"])
    ack = await _next(socket, "ack", id="q")
    assert ack["data"]["keys"] == ["AAPL", "MSFT"]
    first = await _next(socket, "quote_update", symbol="AAPL")
    assert first["data"]["source"] == "simulated"
    later = await _next(socket, "quote_update", symbol="AAPL", within=15)
    assert later["data"]["timestamp"] > first["data"]["timestamp"], "the price stream moved on"
    await _send(socket, "unsubscribe", "u", channel="quotes", symbols=["AAPL", "MSFT"])
    await _next(socket, "ack", id="u")


async def test_the_market_channel_starts_with_the_overview(socket: ClientConnection) -> None:
    await _send(socket, "subscribe", "m", channel="market")
    await _next(socket, "ack", id="m")
    market = await _next(socket, "market_update")
    assert market["data"]["indices"]
    assert market["data"]["sectors"]
    assert set(market["data"]["breadth"]) >= {"advancers", "decliners"}


async def test_portfolio_value_moves_with_the_quotes(
    socket: ClientConnection, http: httpx.AsyncClient, owner: Account
) -> None:
    pid = await _portfolio_holding(http, owner)
    await _send(socket, "subscribe", "p", channel="portfolio", portfolio_ids=[pid])
    await _next(socket, "ack", id="p")
    snapshot = await _next(socket, "portfolio_update", portfolio_id=pid)
    assert snapshot["data"]["holdings"][0]["symbol"] == "AAPL"
    live = await _next(socket, "portfolio_update", portfolio_id=pid, within=20)
    assert live["data"]["valued_at"] != snapshot["data"]["valued_at"]
    value = Decimal(live["data"]["totals"]["market_value"])
    assert value > 0


async def test_a_portfolio_holding_an_option_streams_its_greeks(
    socket: ClientConnection, http: httpx.AsyncClient, owner: Account
) -> None:
    pid = await _portfolio_holding(http, owner)
    chain = (await http.get("/options/AAPL/chain", headers=owner.headers)).json()
    group = chain["expiries"][len(chain["expiries"]) // 2]
    put = group["puts"][len(group["puts"]) // 2]
    expiry = datetime.fromisoformat(group["expiry"])
    contract = f"AAPL{expiry:%y%m%d}P{round(put['strike'] * 1000):08d}"
    bought = await http.post(
        f"/portfolios/{pid}/transactions",
        json={"kind": "buy", "trade_date": "2024-01-02", "symbol": contract, "quantity": "1", "price": "5"},
        headers=owner.headers,
    )
    assert bought.status_code == 201, bought.text
    await _send(socket, "subscribe", "o", channel="portfolio", portfolio_ids=[pid])
    await _next(socket, "ack", id="o")
    await _next(socket, "portfolio_update", portfolio_id=pid)
    live = await _next(socket, "portfolio_update", portfolio_id=pid, within=20)
    held = {h["symbol"]: h for h in live["data"]["holdings"]}
    assert held[contract]["option"]["kind"] == "put"
    assert held[contract]["greeks"]["dollar_delta"] < 0  # long a put
    totals = live["data"]["totals"]["greeks"]
    assert totals["dollar_delta"] == pytest.approx(
        held["AAPL"]["greeks"]["dollar_delta"] + held[contract]["greeks"]["dollar_delta"]
    )


async def test_another_users_portfolio_is_refused_and_a_revoked_share_stops(
    gateway_url: str, http: httpx.AsyncClient, owner: Account, colleague: Account
) -> None:
    pid = await _portfolio_holding(http, owner)
    async with await _open(gateway_url, colleague.access_token) as ws:
        await _next(ws, "ack", request="auth")
        await _send(ws, "subscribe", "x", channel="portfolio", portfolio_ids=[pid])
        refused = await _next(ws, "error", id="x")
        assert refused["data"]["code"] == "not_found"
        assert refused["data"]["field"] == "data.portfolio_ids[0]"
        shared = await http.post(
            f"/portfolios/{pid}/shares",
            json={"email": colleague.email, "role": "viewer"},
            headers=owner.headers,
        )
        assert shared.status_code in (200, 201), shared.text
        await _send(ws, "subscribe", "y", channel="portfolio", portfolio_ids=[pid])
        await _next(ws, "ack", id="y")
        await _next(ws, "portfolio_update", portfolio_id=pid)
        revoked = await http.delete(f"/portfolios/{pid}/shares/{colleague.user_id}", headers=owner.headers)
        assert revoked.status_code == 204, revoked.text
        stopped = await _next(ws, "error", code="access_revoked", within=15)
        assert stopped["data"]["portfolio_id"] == pid
        # Whatever was already on its way may still arrive; then nothing more for this portfolio.
        await asyncio.sleep(1.5)
        with pytest.raises(AssertionError):
            await _next(ws, "portfolio_update", portfolio_id=pid, within=3)


async def test_an_alert_fires_once_and_is_delivered(
    socket: ClientConnection, http: httpx.AsyncClient, owner: Account
) -> None:
    pid = await _portfolio_holding(http, owner)
    await _send(socket, "subscribe", "al", channel="alerts")
    await _next(socket, "ack", id="al")
    price = Decimal((await http.get("/stocks/AAPL/quote", headers=owner.headers)).json()["price"])
    alert = await http.post(
        f"/portfolios/{pid}/alerts",
        json={
            "kind": "price_above",
            "symbol": "AAPL",
            "threshold": str((price / 2).quantize(Decimal("0.01"))),
        },
        headers=owner.headers,
    )
    assert alert.status_code == 201, alert.text
    fired = await _next(socket, "alert_triggered", alert_id=alert.json()["id"], within=30)
    assert fired["data"]["portfolio_id"] == pid
    with pytest.raises(AssertionError):  # several more ticks above the threshold: no second one
        await _next(socket, "alert_triggered", alert_id=alert.json()["id"], within=4)


async def test_a_slow_client_does_not_delay_a_fast_one(gateway_url: str, owner: Account) -> None:
    symbols = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "NVDA", "AMZN", "GOOGL"]
    slow = await _open(gateway_url, owner.access_token, max_queue=1)
    fast = await _open(gateway_url, owner.access_token)
    try:
        for ws in (slow, fast):
            await _send(ws, "subscribe", "s", channel="quotes", symbols=symbols)
        await _next(fast, "ack", id="s")
        # The slow client reads nothing from here on; the fast one keeps up with the ticks.
        lags = []
        for _ in range(3 * len(symbols)):
            frame = await _next(fast, "quote_update", within=10)
            stamp = datetime.fromisoformat(frame["data"]["timestamp"].replace("Z", "+00:00"))
            lags.append((datetime.now(UTC) - stamp).total_seconds())
        assert max(lags[len(symbols) :]) < 1.5, f"the fast client fell behind: {max(lags):.2f} s"
    finally:
        await slow.close()
        await fast.close()


async def test_two_gateways_both_deliver(gateway_urls: list[str], owner: Account) -> None:
    assert len(gateway_urls) == 2
    sockets = [await _open(url, owner.access_token) for url in gateway_urls]
    try:
        for ws in sockets:
            await _send(ws, "subscribe", "q", channel="quotes", symbols=["JPM"])
        firsts = [await _next(ws, "quote_update", symbol="JPM") for ws in sockets]
        for ws, first in zip(sockets, firsts, strict=True):
            tick = await _next(ws, "quote_update", symbol="JPM", within=15)
            assert tick["data"]["timestamp"] > first["data"]["timestamp"]
    finally:
        for ws in sockets:
            await ws.close()


async def test_hostile_messages_are_refused_naming_the_field(socket: ClientConnection) -> None:
    await socket.send("{not json")
    assert (await _next(socket, "error"))["data"]["code"] == "malformed_json"
    await socket.send(json.dumps([1, 2]))
    assert (await _next(socket, "error"))["data"]["field"] == "$"
    await _send(socket, "subscribe", "c", channel="options")
    assert (await _next(socket, "error", id="c"))["data"]["field"] == "data.channel"
    await _send(socket, "subscribe", "t", channel="quotes", symbols="AAPL")
    assert (await _next(socket, "error", id="t"))["data"]["field"] == "data.symbols"
    await _send(socket, "subscribe", "b", channel="quotes", symbols=["AAPL", 7])
    assert (await _next(socket, "error", id="b"))["data"]["field"] == "data.symbols[1]"
    await _send(socket, "subscribe", "u", channel="quotes", symbols=["AAPL", "NOSUCH1"])
    unknown = await _next(socket, "error", id="u")
    assert (unknown["data"]["code"], unknown["data"]["field"]) == ("unknown_symbol", "data.symbols[1]")
    await _send(socket, "subscribe", "n", channel="portfolio", portfolio_ids=["../../etc"])
    assert (await _next(socket, "error", id="n"))["data"]["field"] == "data.portfolio_ids[0]"
    await _send(socket, "subscribe", "many", channel="quotes", symbols=[f"S{i}" for i in range(201)])
    assert (await _next(socket, "error", id="many"))["data"]["code"] == "too_many_subscriptions"
    await _send(socket, "frobnicate", "f")
    assert (await _next(socket, "error", id="f"))["data"]["field"] == "type"


async def test_message_rate_and_size_limits(socket: ClientConnection) -> None:
    for index in range(60):
        await _send(socket, "heartbeat", str(index))
    assert (await _next(socket, "error", code="rate_limited"))["data"]["message"]
    await asyncio.sleep(2.5)  # the bucket refills
    await socket.send("x" * 17_000)
    assert await _close_code(socket) == 1009


async def test_logging_out_ends_the_socket(
    gateway_url: str, api: httpx.Client, http: httpx.AsyncClient
) -> None:
    someone = register_and_login(api)
    async with await _open(gateway_url, someone.access_token) as ws:
        await _next(ws, "ack", request="auth")
        assert (await http.post("/auth/logout", headers=someone.headers)).status_code == 204
        assert await _close_code(ws) == 4004


async def test_a_token_is_replaced_in_band_for_the_same_user_only(
    socket: ClientConnection, http: httpx.AsyncClient, owner: Account, colleague: Account
) -> None:
    refreshed = await http.post("/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    await _send(socket, "auth", "r", token=refreshed.json()["access_token"])
    assert (await _next(socket, "ack", id="r"))["data"]["user_id"] == owner.user_id
    await _send(socket, "auth", "o", token=colleague.access_token)
    assert (await _next(socket, "error", id="o"))["data"]["code"] == "token_user_mismatch"
