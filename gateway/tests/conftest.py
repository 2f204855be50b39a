"""Gateway test harness: in-process fake AuthService, MarketDataService, PortfolioService and
OptionsService (real grpc.aio servers), signing keys, and the app driven in-process by httpx
against real Redis and NATS from the eqr_testing plugin."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.auth.v1 import auth_service_pb2_grpc, resources_pb2
from eqr.common.v1 import date_pb2, decimal_pb2, paging_pb2
from eqr.market_data.v1 import market_data_service_pb2 as md_pb
from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr.market_data.v1 import resources_pb2 as md
from eqr.options.v1 import options_service_pb2 as op_pb
from eqr.options.v1 import options_service_pb2_grpc
from eqr.options.v1 import resources_pb2 as op
from eqr.portfolio.v1 import portfolio_service_pb2 as pf_pb
from eqr.portfolio.v1 import portfolio_service_pb2_grpc
from eqr.portfolio.v1 import resources_pb2 as pf
from eqr_gateway.app import create_app
from eqr_gateway.settings import GatewaySettings
from eqr_platform import bus
from eqr_platform.grpc import FieldViolation, ServiceError

ROLES = {
    "viewer": resources_pb2.ROLE_VIEWER,
    "analyst": resources_pb2.ROLE_ANALYST,
    "admin": resources_pb2.ROLE_ADMIN,
}
ROLE_NAMES = {value: name for name, value in ROLES.items()}


class SigningKeys:
    """The fake auth service's Ed25519 key, and tokens signed by it (or deliberately not)."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"

    def jwks_json(self) -> str:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]})

    def access_token(
        self,
        user_id: str,
        *,
        role: str = "viewer",
        session_id: str | None = None,
        expires_in: int = 900,
        key: Ed25519PrivateKey | None = None,
        kid: str | None = None,
        **overrides: Any,
    ) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": "eqr-auth",
            "aud": "eqr",
            "sub": user_id,
            "role": role,
            "scope": "",
            "iat": now - timedelta(seconds=5),
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(seconds=expires_in),
            "jti": uuid.uuid4().hex,
        }
        if session_id:
            claims["sid"] = session_id
        claims.update(overrides)
        return jwt.encode(claims, key or self.key, algorithm="EdDSA", headers={"kid": kid or self.kid})


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


@dataclass
class Gate:
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Call:
    method: str
    request: Any
    metadata: dict[str, str]


def _rpc(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Records the call, then fails it if the test asked for that, else runs the canned behaviour."""

    @functools.wraps(method)
    async def handler(self: Recorder, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        metadata = {
            key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)
        }
        self.calls.append(Call(method.__name__, request, metadata))
        gate = self.gates.get(method.__name__)
        if gate is not None:
            gate.arrived.set()
            await gate.release.wait()
        failure = self.failures.pop(method.__name__, None)
        if failure is not None:
            error, extra_trailers = failure
            status = error.to_status()
            await context.abort(status.code, status.details, (*status.trailing_metadata, *extra_trailers))
        return await method(self, request, context, metadata)

    return handler


@dataclass(kw_only=True)
class Recorder:
    """What a fake service was asked, failures on demand and gates that hold calls."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, tuple[ServiceError, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    gates: dict[str, Gate] = field(default_factory=dict)

    def fail_next(
        self,
        method: str,
        code: grpc.StatusCode,
        message: str,
        *,
        violations: list[FieldViolation] | None = None,
        retry_after_seconds: int | None = None,
        trailers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.failures[method] = (ServiceError(code, message, violations or [], retry_after_seconds), trailers)

    def hold(self, method: str) -> Gate:
        """Calls of ``method`` wait until ``gate.release`` is set; ``gate.arrived`` tells one came."""
        gate = self.gates[method] = Gate()
        return gate

    def last(self, method: str) -> Call:
        return next(call for call in reversed(self.calls) if call.method == method)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    def reset(self) -> None:
        self.failures.clear()
        self.gates.clear()


@dataclass
class FakeAuthService(Recorder, auth_service_pb2_grpc.AuthServiceServicer):
    """Canned AuthService: in-memory users, tokens from ``keys``, failures on demand."""

    keys: SigningKeys
    users: dict[str, resources_pb2.User] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    preferences: dict[str, resources_pb2.Preferences] = field(default_factory=dict)
    api_keys: dict[str, tuple[str, resources_pb2.ApiKey]] = field(default_factory=dict)

    def add_user(
        self, email: str, password: str = "correct horse battery", role: str = "viewer"
    ) -> resources_pb2.User:
        user = resources_pb2.User(
            id=str(uuid.uuid4()),
            email=email,
            full_name=email.split("@")[0],
            role=ROLES[role],
            is_active=True,
            created_at=_now(),
            updated_at=_now(),
        )
        self.users[user.id] = user
        self.passwords[user.id] = password
        return user

    def _token_pair(self, user: resources_pb2.User, session_id: str | None = None) -> resources_pb2.TokenPair:
        access = self.keys.access_token(
            user.id, role=ROLE_NAMES[user.role], session_id=session_id or str(uuid.uuid4())
        )
        return resources_pb2.TokenPair(
            access_token=access,
            refresh_token=f"rt-{user.id}",
            token_type="bearer",
            expires_in=900,
            refresh_expires_in=604800,
        )

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any], metadata: dict[str, str]) -> Any:
        token = metadata.get("authorization", "").removeprefix("Bearer ")
        if not token:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
        claims = jwt.decode(token, options={"verify_signature": False})
        return self.users[claims["sub"]]

    @_rpc
    async def RegisterUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if any(user.email == request.email for user in self.users.values()):
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, "an account with this email exists")
        user = self.add_user(request.email, request.password)
        user.full_name = request.full_name
        return pb.RegisterUserResponse(user=user)

    @_rpc
    async def CreateSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = next((u for u in self.users.values() if u.email == request.email), None)
        if user is None or self.passwords[user.id] != request.password:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid email or password")
        user.last_login_at.CopyFrom(_now())
        return pb.CreateSessionResponse(tokens=self._token_pair(user), user=user)

    @_rpc
    async def RefreshSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = self.users.get(request.refresh_token.removeprefix("rt-"))
        if user is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "refresh token is not valid")
        return pb.RefreshSessionResponse(tokens=self._token_pair(user))

    @_rpc
    async def EndSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.EndSessionResponse()

    @_rpc
    async def ListSessions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        session = resources_pb2.Session(
            id=str(uuid.uuid4()),
            user_agent=metadata.get("x-user-agent", ""),
            ip_address=metadata.get("x-client-ip", ""),
            created_at=_now(),
            expires_at=_now(),
            current=True,
        )
        return pb.ListSessionsResponse(sessions=[session])

    @_rpc
    async def RevokeSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.RevokeSessionResponse()

    @_rpc
    async def RequestPasswordReset(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.RequestPasswordResetResponse()

    @_rpc
    async def ResetPassword(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.ResetPasswordResponse()

    @_rpc
    async def ChangePassword(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.ChangePasswordResponse()

    @_rpc
    async def GetCurrentUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.GetCurrentUserResponse(user=await self._caller(context, metadata))

    @_rpc
    async def UpdateCurrentUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        if request.HasField("full_name"):
            user.full_name = request.full_name
        if request.HasField("email"):
            user.email = request.email
        return pb.UpdateCurrentUserResponse(user=user)

    @_rpc
    async def GetPreferences(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        default = resources_pb2.Preferences(theme="system", timezone="UTC", currency="USD", locale="en-US")
        return pb.GetPreferencesResponse(preferences=self.preferences.get(user.id, default))

    @_rpc
    async def UpdatePreferences(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        current = self.preferences.setdefault(
            user.id, resources_pb2.Preferences(theme="system", timezone="UTC", currency="USD", locale="en-US")
        )
        for name in request.update_mask:
            if name == "watchlist":
                del current.watchlist[:]
                current.watchlist.extend(request.preferences.watchlist)
            else:
                setattr(current, name, getattr(request.preferences, name))
        return pb.UpdatePreferencesResponse(preferences=current)

    @_rpc
    async def ListUsers(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        users = sorted(
            (u for u in self.users.values() if request.query.lower() in (u.email + u.full_name).lower()),
            key=lambda u: u.id,
        )
        start = int(request.page.page_token or 0)
        end = start + request.page.page_size
        next_token = str(end) if end < len(users) else ""
        return pb.ListUsersResponse(
            users=users[start:end], page=paging_pb2.PageResponse(next_page_token=next_token)
        )

    @_rpc
    async def SetUserRole(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        user = self.users.get(request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        user.role = request.role
        return pb.SetUserRoleResponse(user=user)

    @_rpc
    async def DeactivateUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        user = self.users.get(request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        user.is_active = False
        return pb.DeactivateUserResponse(user=user)

    @_rpc
    async def CreateApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        secret = f"eqr_{uuid.uuid4().hex}"
        key = resources_pb2.ApiKey(
            id=str(uuid.uuid4()),
            name=request.name,
            prefix=secret[:10],
            scopes=request.scopes,
            created_at=_now(),
        )
        if request.HasField("expires_at"):
            key.expires_at.CopyFrom(request.expires_at)
        self.api_keys[secret] = (user.id, key)
        return pb.CreateApiKeyResponse(api_key=key, secret=secret)

    @_rpc
    async def ListApiKeys(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        return pb.ListApiKeysResponse(
            api_keys=[key for owner, key in self.api_keys.values() if owner == user.id]
        )

    @_rpc
    async def RevokeApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.RevokeApiKeyResponse()

    @_rpc
    async def ExchangeApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if request.secret not in self.api_keys:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "API key is not valid")
        user = self.users[self.api_keys[request.secret][0]]
        token = self.keys.access_token(user.id, role=ROLE_NAMES[user.role], scope="portfolio:read")
        return pb.ExchangeApiKeyResponse(access_token=token, expires_in=900)

    @_rpc
    async def GetJwks(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.GetJwksResponse(jwks_json=self.keys.jwks_json())


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def _abort(context: grpc.aio.ServicerContext[Any, Any], error: ServiceError) -> None:
    status = error.to_status()
    await context.abort(status.code, status.details, status.trailing_metadata)


QUOTED_AT = datetime(2025, 3, 14, 15, 42, 7, tzinfo=UTC)
MAX_FAKE_BARS = 20_000
_BAR_SECONDS = {
    md.INTERVAL_1M: 60,
    md.INTERVAL_5M: 300,
    md.INTERVAL_15M: 900,
    md.INTERVAL_1H: 3600,
    md.INTERVAL_1D: 86400,
    md.INTERVAL_1WK: 7 * 86400,
    md.INTERVAL_1MO: 30 * 86400,
}
# symbol, name, exchange, asset class, sector, industry, price, shares outstanding
_UNIVERSE: tuple[tuple[str, str, str, md.AssetClass.ValueType, str, str, float, int], ...] = (
    ("AAPL", "Apple Inc.", "NASDAQ", md.ASSET_CLASS_EQUITY, "Information Technology",
     "Technology Hardware, Storage & Peripherals", 229.87, 15_204_137_000),
    ("MSFT", "Microsoft Corporation", "NASDAQ", md.ASSET_CLASS_EQUITY, "Information Technology",
     "Software", 415.3, 7_433_982_000),
    ("NVDA", "NVIDIA Corporation", "NASDAQ", md.ASSET_CLASS_EQUITY, "Information Technology",
     "Semiconductors", 121.67, 24_490_000_000),
    ("BRK.B", "Berkshire Hathaway Inc. Class B", "NYSE", md.ASSET_CLASS_EQUITY, "Financials",
     "Multi-Sector Holdings", 478.1, 1_311_000_000),
    ("^GSPC", "S&P 500", "INDEX", md.ASSET_CLASS_INDEX, "", "", 5638.94, 0),
    ("XLK", "Technology Select Sector SPDR Fund", "NYSE", md.ASSET_CLASS_ETF, "Information Technology",
     "", 226.4, 0),
)  # fmt: skip


@dataclass
class FakeMarketDataService(Recorder, market_data_service_pb2_grpc.MarketDataServiceServicer):
    """Canned MarketDataService: a small universe, generated bars, failures on demand."""

    instruments: dict[str, md.Instrument] = field(default_factory=dict)
    quotes: dict[str, md.Quote] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for symbol, name, exchange, asset_class, sector, industry, price, shares in _UNIVERSE:
            self.add_instrument(
                symbol,
                name=name,
                exchange=exchange,
                asset_class=asset_class,
                sector=sector,
                industry=industry,
                price=price,
                shares=shares,
            )

    def add_instrument(
        self,
        symbol: str,
        *,
        name: str = "Test Corp.",
        exchange: str = "NYSE",
        asset_class: md.AssetClass.ValueType = md.ASSET_CLASS_EQUITY,
        sector: str = "Industrials",
        industry: str = "Machinery",
        price: float = 100.0,
        shares: int = 1_000_000,
    ) -> str:
        self.instruments[symbol] = md.Instrument(
            symbol=symbol,
            name=name,
            exchange=exchange,
            currency="USD",
            asset_class=asset_class,
            sector=sector,
            industry=industry,
            country="US" if asset_class != md.ASSET_CLASS_INDEX else "",
            shares_outstanding=shares,
            market_cap=shares * price,
            source="simulated",
        )
        previous = round(price / 1.01, 2)
        book = asset_class != md.ASSET_CLASS_INDEX
        self.quotes[symbol] = md.Quote(
            symbol=symbol,
            price=price,
            open=previous,
            high=round(price * 1.005, 2),
            low=round(previous * 0.995, 2),
            previous_close=previous,
            change=round(price - previous, 2),
            change_percent=round((price - previous) / previous * 100, 4),
            volume=38_211_400,
            bid=round(price - 0.01, 2) if book else 0.0,
            ask=round(price + 0.01, 2) if book else 0.0,
            timestamp=_stamp(QUOTED_AT),
            source="simulated",
        )
        return symbol

    async def _known(self, symbol: str, context: grpc.aio.ServicerContext[Any, Any]) -> md.Instrument:
        if symbol not in self.instruments:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown symbol {symbol!r}")
        return self.instruments[symbol]

    def _mover(self, symbol: str) -> md.MarketMover:
        return md.MarketMover(instrument=self.instruments[symbol], quote=self.quotes[symbol])

    def _breadth(self) -> md.Breadth:
        return md.Breadth(advancers=312, decliners=171, unchanged=17, new_highs=9, new_lows=3)

    @_rpc
    async def GetInstrument(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.GetInstrumentResponse(instrument=await self._known(request.symbol, context))

    @_rpc
    async def SearchInstruments(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        needle = request.query.lower()
        found = [i for i in self.instruments.values() if needle in (i.symbol + " " + i.name).lower()]
        return md_pb.SearchInstrumentsResponse(instruments=found[: request.limit])

    @_rpc
    async def ListPeers(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        own = await self._known(request.symbol, context)
        peers = [
            i
            for i in self.instruments.values()
            if i.sector == own.sector and i.symbol != own.symbol and i.asset_class == md.ASSET_CLASS_EQUITY
        ]
        return md_pb.ListPeersResponse(peers=peers[: request.limit])

    @_rpc
    async def BatchGetQuotes(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.BatchGetQuotesResponse(
            quotes=[self.quotes[s] for s in request.symbols if s in self.quotes],
            unknown_symbols=[s for s in request.symbols if s not in self.quotes],
        )

    @_rpc
    async def GetHistory(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._known(request.symbol, context)
        if request.interval not in _BAR_SECONDS:
            await _abort(
                context,
                ServiceError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "interval is required",
                    [FieldViolation("interval", "interval is required")],
                ),
            )
        step = _BAR_SECONDS[request.interval]
        end = request.end.seconds if request.HasField("end") else int(datetime.now(UTC).timestamp())
        default_span = 365 * 86400 if step >= 86400 else 86400
        start = request.start.seconds if request.HasField("start") else end - default_span
        starts = range(math.ceil(start / step) * step, end + 1, step)[:MAX_FAKE_BARS]
        price = self.quotes[request.symbol].price
        bars = []
        for index, start in enumerate(starts):
            close = round(price * (1 + 0.001 * math.sin(index)), 4)
            bars.append(
                md.Bar(
                    start=Timestamp(seconds=start),
                    open=close * 0.999,
                    high=close * 1.01,
                    low=close * 0.99,
                    close=close,
                    volume=1_000_000 + index,
                )
            )
        return md_pb.GetHistoryResponse(
            symbol=request.symbol,
            interval=request.interval,
            adjusted=request.adjusted,
            bars=bars,
            source="simulated",
        )

    @_rpc
    async def GetFundamentals(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._known(request.symbol, context)
        return md_pb.GetFundamentalsResponse(
            financials=[
                md.Financials(
                    symbol=request.symbol,
                    period=request.period or "annual",
                    fiscal_date=date_pb2.Date(year=2024 - index, month=9, day=28),
                    currency="USD",
                    revenue=391e9 - index * 1e10,
                    net_income=93.7e9,
                    eps_diluted=6.08,
                    interest_expense=math.nan,
                    source="simulated",
                )
                for index in range(request.limit)
            ]
        )

    @_rpc
    async def ListNews(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._known(request.symbol, context)
        return md_pb.ListNewsResponse(
            news=[
                md.NewsItem(
                    id=f"n-{request.symbol}-{index}",
                    symbols=[request.symbol],
                    headline=f"{request.symbol} headline {index}",
                    summary="What happened.",
                    publisher="Market Wire",
                    url="" if index % 2 else f"https://news.example.com/{index}",
                    published_at=_stamp(QUOTED_AT - timedelta(hours=index)),
                    sentiment=0.4,
                    source="simulated",
                )
                for index in range(request.limit)
            ]
        )

    @_rpc
    async def GetMarketOverview(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.GetMarketOverviewResponse(
            indices=[self._mover("^GSPC")],
            sectors=[self._mover("XLK")],
            gainers=[self._mover("AAPL")],
            losers=[self._mover("MSFT")],
            most_active=[self._mover("NVDA")],
            breadth=self._breadth(),
            as_of=_stamp(QUOTED_AT),
            market_status="open",
        )

    @_rpc
    async def ListIndices(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.ListIndicesResponse(indices=[self._mover("^GSPC")])

    @_rpc
    async def ListSectors(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.ListSectorsResponse(sectors=[self._mover("XLK")])

    @_rpc
    async def ListMovers(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        equities = ["AAPL", "MSFT", "NVDA", "BRK.B"][: request.limit]
        return md_pb.ListMoversResponse(
            gainers=[self._mover(s) for s in equities],
            losers=[self._mover(s) for s in reversed(equities)],
            most_active=[self._mover(s) for s in equities],
        )

    @_rpc
    async def GetMarketSentiment(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return md_pb.GetMarketSentimentResponse(
            news_sentiment=0.12, news_count=184, breadth=self._breadth(), as_of=_stamp(QUOTED_AT)
        )

    @_rpc
    async def ImportBars(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        """CSV rows: counted when the close is a number, rejected (line and column) otherwise."""
        response = md_pb.ImportBarsResponse()
        first_day = last_day = ""
        for line, row in enumerate(request.content.decode(errors="replace").splitlines()[1:], start=2):
            cells = row.split(",")
            try:
                float(cells[4])
            except (IndexError, ValueError):
                response.rejected += 1
                response.issues.add(line=line, field="close", message="not a number", severity="rejected")
                continue
            response.accepted += 1
            first_day = first_day or cells[0]
            last_day = cells[0]
        if first_day:
            for target, day in ((response.first_date, first_day), (response.last_date, last_day)):
                moment = datetime.strptime(day, "%Y-%m-%d")
                target.CopyFrom(date_pb2.Date(year=moment.year, month=moment.month, day=moment.day))
        return response

    @_rpc
    async def GetQualityReport(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        issue = md_pb.ImportIssue(
            line=42, field="close", message="close outside [low, high]", severity="rejected"
        )
        return md_pb.GetQualityReportResponse(
            counts=[
                md_pb.QualityCount(check="close_outside_range", severity="rejected", count=3),
                md_pb.QualityCount(check="outlier_jump", severity="flagged", count=5),
            ],
            recent=[issue],
        )


def _dec(value: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=value)


def _day(year: int, month: int, day: int) -> date_pb2.Date:
    return date_pb2.Date(year=year, month=month, day=day)


def _paged(items: list[Any], page: paging_pb2.PageRequest) -> tuple[list[Any], paging_pb2.PageResponse]:
    """Offset paging; a token that is no offset is the service's INVALID_ARGUMENT on page_token."""
    start = int(page.page_token or 0)
    end = start + (page.page_size or 50)
    return items[start:end], paging_pb2.PageResponse(next_page_token=str(end) if end < len(items) else "")


def _has(message: Any, name: str) -> bool:
    return name in message.DESCRIPTOR.fields_by_name and bool(message.HasField(name))


def _invalid(field_name: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, message, [FieldViolation(field_name, message)])


BUILTIN_TEMPLATE = pf.Template(
    id="builtin:sixty-forty",
    name="sixty-forty",
    description="60% stocks, 40% bonds.",
    builtin=True,
    weights=[
        pf.TargetWeight(symbol="SPY", weight=_dec("0.60")),
        pf.TargetWeight(symbol="AGG", weight=_dec("0.40")),
    ],
)


@dataclass
class FakePortfolioService(Recorder, portfolio_service_pb2_grpc.PortfolioServiceServicer):
    """Canned PortfolioService: portfolios, ledgers, shares, templates and alerts held in memory;
    valuation, performance, risk and rebalancing canned; failures on demand.

    Callers are the ``sub`` of the token in the metadata; a portfolio neither theirs nor shared
    with them is NOT_FOUND, one shared as viewer refuses writes with PERMISSION_DENIED."""

    portfolios: dict[str, pf.Portfolio] = field(default_factory=dict)
    ledgers: dict[str, list[pf.Transaction]] = field(default_factory=dict)
    shares: dict[str, dict[str, pf.Share]] = field(default_factory=dict)
    templates: dict[str, pf.Template] = field(default_factory=lambda: {BUILTIN_TEMPLATE.id: BUILTIN_TEMPLATE})
    alerts: dict[str, list[pf.Alert]] = field(default_factory=dict)

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any], metadata: dict[str, str]) -> str:
        token = metadata.get("authorization", "").removeprefix("Bearer ")
        if not token:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
        subject: str = jwt.decode(token, options={"verify_signature": False})["sub"]
        return subject

    async def _open(
        self, portfolio_id: str, context: Any, metadata: dict[str, str], *, write: bool = False
    ) -> pf.Portfolio:
        caller = await self._caller(context, metadata)
        found = self.portfolios.get(portfolio_id)
        share = self.shares.get(portfolio_id, {}).get(caller)
        if found is None or (found.owner_id != caller and share is None):
            await context.abort(grpc.StatusCode.NOT_FOUND, "portfolio not found")
        if write and share is not None and share.role == pf.ACCESS_ROLE_VIEWER:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "you may only read this portfolio")
        view = pf.Portfolio()
        view.CopyFrom(found)
        view.access = share.role if share is not None else pf.ACCESS_ROLE_OWNER
        return view

    def _new_portfolio(self, owner: str, settings: Any) -> pf.Portfolio:
        portfolio = pf.Portfolio(
            id=str(uuid.uuid4()),
            owner_id=owner,
            name=settings.name,
            description=settings.description,
            base_currency=settings.base_currency or "USD",
            benchmark=settings.benchmark,
            cost_method=settings.cost_method or pf.COST_METHOD_FIFO,
            cash_mode=settings.cash_mode or pf.CASH_MODE_TRACKING,
            allow_short=settings.allow_short,
            access=pf.ACCESS_ROLE_OWNER,
            created_at=_now(),
            updated_at=_now(),
        )
        self.portfolios[portfolio.id] = portfolio
        self.ledgers[portfolio.id] = []
        return portfolio

    def _record(self, portfolio_id: str, entry: pf.TransactionInput, created_by: str) -> pf.Transaction:
        ledger = self.ledgers[portfolio_id]
        transaction = pf.Transaction(
            id=str(uuid.uuid4()),
            portfolio_id=portfolio_id,
            sequence=len(ledger) + 1,
            created_by=created_by,
            created_at=_now(),
        )
        self._fill(transaction, entry)
        ledger.append(transaction)
        return transaction

    @staticmethod
    def _fill(transaction: pf.Transaction, entry: pf.TransactionInput) -> None:
        transaction.kind = entry.kind
        transaction.trade_date.CopyFrom(entry.trade_date)
        transaction.symbol = entry.symbol
        transaction.notes = entry.notes
        for name in ("quantity", "price", "amount", "ratio", "commission"):
            value = getattr(entry, name).value if entry.HasField(name) else "0"
            getattr(transaction, name).CopyFrom(_dec(value))

    def _trade(
        self, portfolio_id: str, caller: str, kind: Any, symbol: str, quantity: str, request: Any
    ) -> Any:
        return self._record(
            portfolio_id,
            pf.TransactionInput(
                kind=kind,
                trade_date=request.trade_date if request.HasField("trade_date") else _day(2025, 3, 14),
                symbol=symbol,
                quantity=_dec(quantity),
                price=request.price if request.HasField("price") else _dec("229.87"),
                commission=request.commission if _has(request, "commission") else None,
                notes=getattr(request, "notes", ""),
            ),
            caller,
        )

    def _transaction(self, request: Any) -> pf.Transaction | None:
        ledger = self.ledgers.get(request.portfolio_id, [])
        return next((t for t in ledger if t.id == request.transaction_id), None)

    @_rpc
    async def CreatePortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if not request.portfolio.name:
            await _abort(context, _invalid("portfolio.name", "required"))
        portfolio = self._new_portfolio(await self._caller(context, metadata), request.portfolio)
        return pf_pb.CreatePortfolioResponse(portfolio=portfolio)

    @_rpc
    async def GetPortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pf_pb.GetPortfolioResponse(portfolio=await self._open(request.portfolio_id, context, metadata))

    @_rpc
    async def ListPortfolios(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        caller = await self._caller(context, metadata)
        visible = [
            await self._open(p.id, context, metadata)
            for p in self.portfolios.values()
            if p.owner_id == caller or caller in self.shares.get(p.id, {})
        ]
        if request.page.page_token and not request.page.page_token.isdigit():
            await _abort(context, _invalid("page_token", "is not a token from a previous page"))
        items, page = _paged(visible, request.page)
        return pf_pb.ListPortfoliosResponse(portfolios=items, page=page)

    @_rpc
    async def UpdatePortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        stored = self.portfolios[request.portfolio_id]
        for name in request.update_mask:
            setattr(stored, name, getattr(request.portfolio, name))
        stored.updated_at.CopyFrom(_now())
        return pf_pb.UpdatePortfolioResponse(portfolio=await self._open(stored.id, context, metadata))

    @_rpc
    async def DeletePortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        del self.portfolios[request.portfolio_id]
        return pf_pb.DeletePortfolioResponse()

    @_rpc
    async def RecordTransaction(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        transaction = self._record(
            request.portfolio_id, request.transaction, await self._caller(context, metadata)
        )
        return pf_pb.RecordTransactionResponse(transaction=transaction)

    @_rpc
    async def ListTransactions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata)
        wanted = [
            t
            for t in self.ledgers[request.portfolio_id]
            if (request.include_deleted or not t.HasField("deleted_at"))
            and (not request.symbol or t.symbol == request.symbol)
        ]
        items, page = _paged(wanted, request.page)
        return pf_pb.ListTransactionsResponse(transactions=items, page=page)

    @_rpc
    async def UpdateTransaction(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        transaction = self._transaction(request)
        if transaction is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "transaction not found")
        self._fill(transaction, request.transaction)
        return pf_pb.UpdateTransactionResponse(transaction=transaction)

    @_rpc
    async def DeleteTransaction(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        transaction = self._transaction(request)
        if transaction is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "transaction not found")
        transaction.deleted_at.CopyFrom(_now())
        return pf_pb.DeleteTransactionResponse()

    @_rpc
    async def RestoreTransaction(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        transaction = self._transaction(request)
        if transaction is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "transaction not found")
        transaction.ClearField("deleted_at")
        return pf_pb.RestoreTransactionResponse(transaction=transaction)

    @_rpc
    async def GetValuation(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        lots = [
            pf.Lot(
                opened_on=_day(2025, 1, 15),
                quantity=_dec("10"),
                cost_basis=_dec("1853.00"),
                cost_per_share=_dec("185.30"),
                market_value=_dec("2298.70"),
                unrealized_pnl=_dec("445.70"),
            )
        ]
        stock = pf.Holding(
            symbol="AAPL",
            name="Apple Inc.",
            sector="Information Technology",
            industry="Technology Hardware, Storage & Peripherals",
            quantity=_dec("10"),
            price=_dec("229.87"),
            previous_close=_dec("227.52"),
            market_value=_dec("2298.70"),
            cost_basis=_dec("1853.00"),
            average_cost=_dec("185.30"),
            unrealized_pnl=_dec("445.70"),
            unrealized_pnl_percent=0.2405,
            realized_pnl=_dec("0"),
            income=_dec("2.50"),
            day_change=_dec("23.50"),
            day_change_percent=0.0103,
            weight=0.6968,
            priced=True,
            lots=lots if request.include_lots else [],
            greeks=pf.PositionGreeks(dollar_delta=2298.7),
        )
        cash = pf.Holding(
            symbol=portfolio.base_currency,
            is_cash=True,
            name="Cash",
            quantity=_dec("1000.00"),
            market_value=_dec("1000.00"),
            cost_basis=_dec("1000.00"),
            unrealized_pnl=_dec("0"),
            day_change=_dec("0"),
            weight=0.3032,
            priced=True,
        )
        technology = pf.AllocationSlice(
            name="Information Technology", market_value=_dec("2298.70"), weight=0.6968
        )
        valuation = pf.Valuation(
            portfolio_id=portfolio.id,
            currency=portfolio.base_currency,
            as_of=request.as_of if request.HasField("as_of") else None,
            valued_at=_stamp(QUOTED_AT),
            market_value=_dec("3298.70"),
            cash=_dec("1000.00"),
            cost_basis=_dec("1853.00"),
            unrealized_pnl=_dec("445.70"),
            realized_pnl=_dec("0"),
            income=_dec("2.50"),
            fees=_dec("0"),
            day_change=_dec("23.50"),
            day_change_percent=0.0072,
            net_deposits=_dec("2853.00"),
            greeks=pf.PositionGreeks(dollar_delta=2298.7),
            holdings=[stock, cash],
            by_sector=[technology],
            by_industry=[
                pf.AllocationSlice(name=stock.industry, market_value=_dec("2298.70"), weight=0.6968)
            ],
        )
        return pf_pb.GetValuationResponse(valuation=valuation)

    @_rpc
    async def AddHolding(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        caller = await self._caller(context, metadata)
        buy = self._trade(
            request.portfolio_id,
            caller,
            pf.TRANSACTION_KIND_BUY,
            request.symbol,
            request.quantity.value,
            request,
        )
        return pf_pb.AddHoldingResponse(transactions=[buy])

    @_rpc
    async def UpdateHolding(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        caller = await self._caller(context, metadata)
        sell = self._trade(
            request.portfolio_id, caller, pf.TRANSACTION_KIND_SELL, request.symbol, "5", request
        )
        return pf_pb.UpdateHoldingResponse(transactions=[sell])

    @_rpc
    async def RemoveHolding(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        caller = await self._caller(context, metadata)
        sell = self._trade(
            request.portfolio_id, caller, pf.TRANSACTION_KIND_SELL, request.symbol, "10", request
        )
        return pf_pb.RemoveHoldingResponse(transactions=[sell])

    @_rpc
    async def GetPerformance(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        performance = pf.Performance(
            portfolio_id=portfolio.id,
            benchmark=portfolio.benchmark,
            periods=[
                pf.PeriodReturn(
                    period="1Y",
                    start_date=_day(2024, 3, 14),
                    end_date=_day(2025, 3, 14),
                    time_weighted=0.1214,
                    money_weighted=0.1187,
                    benchmark=0.1093,
                    excess=0.0121,
                ),
                pf.PeriodReturn(
                    period="5Y", start_date=_day(2020, 3, 14), end_date=_day(2025, 3, 14), annualized=True
                ),
            ],
            series=[
                pf.ValuePoint(date=_day(2025, 3, 13), value=3275.2, cumulative_return=0.0),
                pf.ValuePoint(
                    date=_day(2025, 3, 14),
                    value=3298.7,
                    net_flow=0.0,
                    cumulative_return=0.0072,
                    benchmark_cumulative_return=0.0051,
                ),
            ],
            calendar=[
                pf.CalendarReturn(year=2024, time_weighted=0.182, benchmark=0.233, partial=True),
                pf.CalendarReturn(year=2025, month=3, time_weighted=-0.012),
            ],
            contributions=[pf.Contribution(symbol="AAPL", contribution=0.094, pnl=445.7)],
            tracking_error=0.041,
        )
        return pf_pb.GetPerformanceResponse(performance=performance)

    @_rpc
    async def GetRisk(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        risk = pf.RiskFigures(
            portfolio_id=portfolio.id,
            benchmark=portfolio.benchmark,
            start_date=request.start_date if request.HasField("start_date") else _day(2024, 3, 14),
            end_date=request.end_date if request.HasField("end_date") else _day(2025, 3, 14),
            observations=251,
            volatility=0.183,
            sharpe=0.62,
            sortino=0.91,
            max_drawdown=pf.Drawdown(depth=0.142, peak=_day(2024, 7, 10), trough=_day(2024, 8, 5)),
            risk_free_rate=float(request.risk_free_rate.value or 0),
        )
        return pf_pb.GetRiskResponse(risk=risk)

    @_rpc
    async def GetRealizedGains(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        """Three canned lots: two of a closed-out AAPL (the second long-term) and an option's."""
        portfolio = await self._open(request.portfolio_id, context, metadata)
        if request.page.page_token and not request.page.page_token.isdigit():
            await _abort(context, _invalid("page_token", "is not a token from a previous page"))
        if request.symbol == "ZZZZ":
            await _abort(context, _invalid("symbol", "is not a known symbol"))
        lots = [
            pf.ClosedLot(
                symbol="AAPL",
                quantity=_dec("10"),
                opened_on=_day(2024, 6, 3),
                closed_on=_day(2025, 2, 3),
                cost_basis=_dec("1853.00"),
                proceeds=_dec("2298.70"),
                commissions=_dec("2.00"),
                realized_pnl=_dec("445.70"),
                holding_days=245,
                long_term=False,
                multiplier=1,
                transaction_id="9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a",
            ),
            pf.ClosedLot(
                symbol="AAPL",
                quantity=_dec("-5"),
                opened_on=_day(2023, 1, 10),
                closed_on=_day(2025, 2, 3),
                cost_basis=_dec("1000"),
                proceeds=_dec("900.5000000000"),
                commissions=_dec("0"),
                realized_pnl=_dec("-99.5000000000"),
                holding_days=755,
                long_term=True,
                multiplier=1,
                transaction_id="9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a",
            ),
            pf.ClosedLot(
                symbol="AAPL250321C00200000",
                quantity=_dec("1"),
                opened_on=_day(2025, 1, 6),
                closed_on=_day(2025, 3, 3),
                cost_basis=_dec("350.65"),
                proceeds=_dec("499.35"),
                commissions=_dec("1.30"),
                realized_pnl=_dec("148.70"),
                holding_days=56,
                long_term=False,
                multiplier=100,
                transaction_id="1d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1b",
            ),
        ]
        items, page = _paged(lots, request.page)

        def summary(symbol: str = "", held: bool = False, **figures: str) -> pf.RealizedSummary:
            return pf.RealizedSummary(
                symbol=symbol,
                held=held,
                lots=int(figures.pop("lots")),
                **{name: _dec(value) for name, value in figures.items()},
            )

        return pf_pb.GetRealizedGainsResponse(
            portfolio_id=portfolio.id,
            currency=portfolio.base_currency,
            cost_method=portfolio.cost_method,
            lots=items,
            by_symbol=[
                summary(
                    "AAPL",
                    lots="2",
                    cost_basis="2853.00",
                    proceeds="3199.2000000000",
                    commissions="2.00",
                    realized_pnl="346.2000000000",
                    short_term_pnl="445.70",
                    long_term_pnl="-99.5000000000",
                ),
                summary(
                    "AAPL250321C00200000",
                    held=True,
                    lots="1",
                    cost_basis="350.65",
                    proceeds="499.35",
                    commissions="1.30",
                    realized_pnl="148.70",
                    short_term_pnl="148.70",
                    long_term_pnl="0",
                ),
            ],
            totals=summary(
                lots="3",
                cost_basis="3203.65",
                proceeds="3698.5500000000",
                commissions="3.30",
                realized_pnl="494.9000000000",
                short_term_pnl="594.40",
                long_term_pnl="-99.5000000000",
            ),
            page=page,
        )

    @_rpc
    async def SharePortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        share = pf.Share(
            portfolio_id=request.portfolio_id,
            user_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, request.email)),
            email=request.email,
            role=request.role,
            created_at=_now(),
        )
        self.shares.setdefault(request.portfolio_id, {})[share.user_id] = share
        return pf_pb.SharePortfolioResponse(share=share)

    @_rpc
    async def ListShares(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata)
        return pf_pb.ListSharesResponse(shares=list(self.shares.get(request.portfolio_id, {}).values()))

    @_rpc
    async def RevokeShare(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        if self.shares.get(request.portfolio_id, {}).pop(request.user_id, None) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "share not found")
        return pf_pb.RevokeShareResponse()

    @_rpc
    async def ListTemplates(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pf_pb.ListTemplatesResponse(templates=list(self.templates.values()))

    @_rpc
    async def SaveTemplate(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        template = pf.Template(
            id=str(uuid.uuid4()), name=request.name, description=request.description, weights=request.weights
        )
        self.templates[template.id] = template
        return pf_pb.SaveTemplateResponse(template=template)

    @_rpc
    async def DeleteTemplate(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        if request.template_id.startswith("builtin:"):
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "built-in templates cannot be deleted")
        if self.templates.pop(request.template_id, None) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "template not found")
        return pf_pb.DeleteTemplateResponse()

    @_rpc
    async def CreatePortfolioFromTemplate(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        caller = await self._caller(context, metadata)
        template = self.templates.get(request.template_id)
        if template is None:
            await _abort(context, _invalid("template_id", "no such template"))
        portfolio = self._new_portfolio(caller, request.portfolio)
        trade_date = request.trade_date if request.HasField("trade_date") else _day(2025, 3, 14)
        deposit = pf.TransactionInput(
            kind=pf.TRANSACTION_KIND_DEPOSIT, trade_date=trade_date, amount=request.initial_cash
        )
        written = [self._record(portfolio.id, deposit, caller)]
        for weight in template.weights:
            buy = pf.TransactionInput(
                kind=pf.TRANSACTION_KIND_BUY,
                trade_date=trade_date,
                symbol=weight.symbol,
                quantity=_dec("1"),
                price=_dec("100"),
            )
            written.append(self._record(portfolio.id, buy, caller))
        return pf_pb.CreatePortfolioFromTemplateResponse(portfolio=portfolio, transactions=written)

    @_rpc
    async def ImportTransactions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        """CSV rows under a header: a row whose fourth cell is not a number is a row error."""
        await self._open(request.portfolio_id, context, metadata, write=True)
        rows = [row for row in request.content.splitlines()[1:] if row]
        errors = []
        for line, row in enumerate(request.content.splitlines()[1:], start=2):
            cells = row.split(",")
            if row and (len(cells) < 4 or not cells[3].replace(".", "", 1).isdigit()):
                errors.append(pf.RowError(line=line, field="quantity", message="must be a decimal number"))
        imported = 0 if errors or request.dry_run else len(rows)
        return pf_pb.ImportTransactionsResponse(
            rows=len(rows), errors=errors, dry_run=request.dry_run, imported=imported
        )

    @_rpc
    async def ExportTransactions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        lines = ["date,type,symbol,quantity,price,amount,ratio,commission,notes"]
        for t in self.ledgers[portfolio.id]:
            day = f"{t.trade_date.year:04}-{t.trade_date.month:02}-{t.trade_date.day:02}"
            lines.append(f"{day},{t.kind},{t.symbol},{t.quantity.value},{t.price.value},,,,")
        return pf_pb.ExportTransactionsResponse(
            content="\n".join(lines) + "\n", filename=f"{portfolio.name}.csv"
        )

    @_rpc
    async def ExportPortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        document = {
            "format": "eqr.portfolio",
            "version": 1,
            "portfolio": {"name": portfolio.name},
            "transactions": [],
        }
        return pf_pb.ExportPortfolioResponse(content=json.dumps(document), filename=f"{portfolio.name}.json")

    @_rpc
    async def ImportPortfolio(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        caller = await self._caller(context, metadata)
        document = json.loads(request.content)
        if document.get("format") != "eqr.portfolio":
            await _abort(context, _invalid("format", 'must be "eqr.portfolio"'))
        settings = pf_pb.PortfolioInput(name=document["portfolio"]["name"])
        portfolio = self._new_portfolio(caller, settings)
        return pf_pb.ImportPortfolioResponse(portfolio=portfolio, transactions=len(document["transactions"]))

    @_rpc
    async def CreateAlert(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        alert = pf.Alert(
            id=str(uuid.uuid4()),
            portfolio_id=request.portfolio_id,
            kind=request.kind,
            symbol=request.symbol,
            threshold=request.threshold,
            active=True,
            armed=True,
            note=request.note,
            created_at=_now(),
        )
        self.alerts.setdefault(request.portfolio_id, []).append(alert)
        return pf_pb.CreateAlertResponse(alert=alert)

    @_rpc
    async def ListAlerts(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata)
        return pf_pb.ListAlertsResponse(alerts=self.alerts.get(request.portfolio_id, []))

    @_rpc
    async def DeleteAlert(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        alerts = self.alerts.get(request.portfolio_id, [])
        if not any(alert.id == request.alert_id for alert in alerts):
            await context.abort(grpc.StatusCode.NOT_FOUND, "alert not found")
        self.alerts[request.portfolio_id] = [alert for alert in alerts if alert.id != request.alert_id]
        return pf_pb.DeleteAlertResponse()

    @_rpc
    async def ListAlertTriggers(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata)
        triggers = [
            pf.AlertTrigger(
                id=str(uuid.uuid4()),
                alert_id=alert.id,
                portfolio_id=alert.portfolio_id,
                kind=alert.kind,
                symbol=alert.symbol,
                threshold=alert.threshold,
                observed=_dec("251.12"),
                message=f"{alert.symbol} crossed {alert.threshold.value}",
                triggered_at=_stamp(QUOTED_AT),
            )
            for alert in self.alerts.get(request.portfolio_id, [])
        ]
        items, page = _paged(triggers, request.page)
        return pf_pb.ListAlertTriggersResponse(triggers=items, page=page)

    @_rpc
    async def ProposeRebalance(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata)
        targets = self.templates[request.template_id].weights if request.template_id else request.targets
        trades = [
            pf.ProposedTrade(
                symbol=t.symbol,
                side="buy",
                quantity=_dec("3"),
                price=_dec("100.00"),
                value=_dec("300.00"),
                commission=request.options.commission_per_trade
                if request.options.HasField("commission_per_trade")
                else _dec("0"),
            )
            for t in targets
        ]
        drift = [
            pf.Drift(
                symbol=t.symbol,
                current_weight=0.0,
                target_weight=float(t.weight.value),
                drift=-float(t.weight.value),
                weight_after=float(t.weight.value),
            )
            for t in targets
        ]
        proposal = pf.RebalanceProposal(
            trades=trades, drift=drift, cash_after=_dec("12.40"), commissions=_dec("0")
        )
        return pf_pb.ProposeRebalanceResponse(proposal=proposal)

    @_rpc
    async def ApplyRebalance(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._open(request.portfolio_id, context, metadata, write=True)
        caller = await self._caller(context, metadata)
        kinds = {"buy": pf.TRANSACTION_KIND_BUY, "sell": pf.TRANSACTION_KIND_SELL}
        written = [
            self._record(
                request.portfolio_id,
                pf.TransactionInput(
                    kind=kinds[trade.side],
                    trade_date=request.trade_date if request.HasField("trade_date") else _day(2025, 3, 14),
                    symbol=trade.symbol,
                    quantity=trade.quantity,
                    price=trade.price,
                    commission=trade.commission if trade.HasField("commission") else None,
                ),
                caller,
            )
            for trade in request.trades
        ]
        return pf_pb.ApplyRebalanceResponse(transactions=written)

    @_rpc
    async def ListChanges(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        portfolio = await self._open(request.portfolio_id, context, metadata)
        changes = [
            pf.Change(
                id=str(1000 + index),
                portfolio_id=portfolio.id,
                actor_id=portfolio.owner_id,
                action=action,
                subject_id=portfolio.id,
                details=details,
                occurred_at=_stamp(QUOTED_AT - timedelta(minutes=index)),
            )
            for index, (action, details) in enumerate(
                [
                    ("portfolio.updated", '{"name":{"from":"A","to":"B"}}'),
                    ("portfolio.created", "{}"),
                    ("odd", "[1]"),
                ]
            )
        ]
        items, page = _paged(changes, request.page)
        return pf_pb.ListChangesResponse(changes=items, page=page)


# A row priced with this vol, or solved at a price below this, is a RowError; a strike of
# NAN_STRIKE prices to NaN without one (the gateway must still write null, never NaN).
UNPRICEABLE_VOL = 9.99
UNSOLVABLE_BELOW = 0.01
NAN_STRIKE = 666.0
_CHAIN_EXPIRIES = (_day(2025, 4, 17), _day(2025, 3, 21))
_NAN = float("nan")


def _canned(base: float, rows: int) -> list[float]:
    """A column whose values name their Greek (base) and row (thousandths)."""
    return [base + index / 1000 for index in range(rows)]


@dataclass
class FakeOptionsService(Recorder, options_service_pb2_grpc.OptionsServiceServicer):
    """Canned OptionsService: figures derived from the inputs so a test can see where each one
    went (price = strike + row / 1000, delta = 1 + row / 1000, ...), row errors and NaN on
    sentinels, a small chain and surface, canned strategy analyses, and saved strategies per
    caller (another caller's id is NOT_FOUND)."""

    saved: dict[str, tuple[str, op_pb.SavedStrategy]] = field(default_factory=dict)

    @staticmethod
    def _caller(metadata: dict[str, str]) -> str:
        token = metadata.get("authorization", "").removeprefix("Bearer ")
        subject: str = jwt.decode(token, options={"verify_signature": False})["sub"]
        return subject

    @_rpc
    async def PriceOptions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        rows = len(request.batch.kind)
        strikes = list(request.batch.strike)
        vols = list(request.vol) * (rows if len(request.vol) == 1 else 1)
        price = [
            _NAN if strike == NAN_STRIKE else strike + index / 1000 for index, strike in enumerate(strikes)
        ]
        errors = [
            op.RowError(row=index, field="vol", reason="the model cannot price this row")
            for index, vol in enumerate(vols)
            if vol == UNPRICEABLE_VOL
        ]
        for error in errors:
            price[error.row] = _NAN
        response = op_pb.PriceOptionsResponse(price=price, errors=errors)
        if request.greeks in (op_pb.GREEKS_WANTED_FIRST_ORDER, op_pb.GREEKS_WANTED_ALL):
            for base, name in enumerate(op.Greeks.DESCRIPTOR.fields_by_name, start=1):
                getattr(response.greeks, name).extend(_canned(base, rows))
        if request.greeks == op_pb.GREEKS_WANTED_ALL and request.batch.style != op.EXERCISE_STYLE_AMERICAN:
            for base, name in enumerate(op.HigherGreeks.DESCRIPTOR.fields_by_name, start=11):
                getattr(response.higher_greeks, name).extend(_canned(base, rows))
        if request.batch.style == op.EXERCISE_STYLE_AMERICAN:
            response.method = "fixed point (ALO); Greeks by finite differences"
        return response

    @_rpc
    async def GetExerciseBoundary(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        """Each row's boundary: ``points`` times to its expiry, the strike at expiry, NaN before."""
        points = request.points
        return op_pb.GetExerciseBoundaryResponse(
            boundaries=[
                op_pb.ExerciseBoundary(
                    years=[years * i / (points - 1) for i in range(points)],
                    spot=[_NAN] * (points - 1) + [strike],
                )
                for years, strike in zip(request.batch.years, request.batch.strike, strict=True)
            ]
        )

    @_rpc
    async def SolveImpliedVols(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        vol = [price / 100 if price >= UNSOLVABLE_BELOW else _NAN for price in request.price]
        errors = [
            op.RowError(row=index, field="price", reason="below the intrinsic value")
            for index, price in enumerate(request.price)
            if price < UNSOLVABLE_BELOW
        ]
        return op_pb.SolveImpliedVolsResponse(vol=vol, errors=errors)

    @staticmethod
    def _underlying(symbol: str) -> op.Underlying:
        return op.Underlying(
            symbol=symbol, spot=100.0, vol=0.25, rate=0.04, dividend_yield=0.01, source="simulated"
        )

    @_rpc
    async def GetChain(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if request.symbol == "NOPE":
            await _abort(context, ServiceError(grpc.StatusCode.NOT_FOUND, "unknown symbol 'NOPE'"))
        wanted = list(request.expiries) or list(_CHAIN_EXPIRIES)
        contracts = [
            op.ChainContract(
                expiry=expiry,
                years=0.1 * (index + 1),
                strike=strike,
                kind=kind,
                bid=strike / 10,
                ask=strike / 10 + 0.05,
                last=strike / 10 + 0.02,
                volume=int(strike),
                open_interest=int(strike) * 10,
                iv=_NAN if strike == 110 and kind == op.OPTION_KIND_PUT else 0.2,
                iv_error="no time value" if strike == 110 and kind == op.OPTION_KIND_PUT else "",
                delta=0.5 if kind == op.OPTION_KIND_CALL else -0.5,
                gamma=0.01,
                vega=0.2,
                theta_per_day=-0.03,
                rho=0.1,
                contract_symbol=f"{request.symbol} {expiry.month:02d}{expiry.day:02d}{kind}{strike:g}",
            )
            for index, expiry in enumerate(wanted)
            for strike in (110.0, 90.0, 100.0)
            for kind in (op.OPTION_KIND_PUT, op.OPTION_KIND_CALL)
        ]
        return op_pb.GetChainResponse(
            underlying=self._underlying(request.symbol),
            as_of=_stamp(QUOTED_AT),
            expiries=sorted(wanted, key=lambda d: (d.year, d.month, d.day)),
            contracts=contracts,
        )

    @_rpc
    async def GetSurface(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if request.symbol == "NOPE":
            await _abort(context, ServiceError(grpc.StatusCode.NOT_FOUND, "unknown symbol 'NOPE'"))
        smiles = [
            op.SmileFit(
                expiry=expiry,
                years=years,
                params=op.SviParams(a=0.01, b=0.1, rho=-0.3, m=0.0, sigma=0.2),
                atm_vol=0.2 + years / 10,
                rms_error=0.001,
                butterfly_free=True,
                log_moneyness=[-0.1, 0.0, 0.1],
                strike=[90.0, 100.0, 110.0],
                market_vol=[0.25, 0.21, _NAN],
                fitted_vol=[0.24, 0.2, 0.19],
            )
            for expiry, years in ((_CHAIN_EXPIRIES[1], 0.1), (_CHAIN_EXPIRIES[0], 0.2))
        ]
        return op_pb.GetSurfaceResponse(
            underlying=self._underlying(request.symbol),
            as_of=_stamp(QUOTED_AT),
            smiles=smiles,
            calendar_free=True,
        )

    @_rpc
    async def BuildStrategy(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if len(request.strikes) != 4:
            await _abort(context, _invalid("strikes", "an iron condor takes 4 strikes"))
        kinds = (op.LEG_KIND_PUT, op.LEG_KIND_PUT, op.LEG_KIND_CALL, op.LEG_KIND_CALL)
        legs = [
            op.StrategyLeg(
                kind=kind,
                quantity=sign * request.contracts,
                premium=1.0,
                strike=strike,
                expiry=request.expiries[0],
                vol=0.25,
                multiplier=100,
            )
            for kind, sign, strike in zip(kinds, (1, -1, -1, 1), request.strikes, strict=True)
        ]
        return op_pb.BuildStrategyResponse(
            strategy=op.Strategy(name="iron condor", legs=legs),
            market=op.StrategyMarket(spot=100.0, rate=0.04, dividend_yield=0.01),
        )

    @_rpc
    async def AnalyzeStrategy(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        legs = request.strategy.legs
        naked_call = any(leg.kind == op.LEG_KIND_CALL and leg.quantity < 0 for leg in legs) and not any(
            leg.kind == op.LEG_KIND_CALL and leg.quantity > 0 for leg in legs
        )
        spot_shocks = list(request.spot_shocks) or [-0.1, 0.0, 0.1]
        vol_shocks = list(request.vol_shocks) or [-0.05, 0.05]
        grid = [10.0 * row + column for row in range(len(spot_shocks)) for column in range(len(vol_shocks))]
        grid[-1] = _NAN
        analysis = op.StrategyAnalysis(
            cost=-120.0,
            horizon_years=0.1,
            breakevens=[95.0, 105.0],
            profit_unlimited=False,
            loss_unlimited=naked_call,
            probability_of_profit=0.62,
            net_greeks=op.StrategyGreeks(delta=0.01, gamma=-0.02, vega=-3.0, theta_per_day=1.5, rho=_NAN),
            diagram_spots=[80.0, 100.0, 120.0],
            diagram_at_expiry=[-380.0, 120.0, _NAN],
            diagram_now=[-300.0, 90.0, -300.0],
            spot_shocks=spot_shocks,
            vol_shocks=vol_shocks,
            scenario_pnl=grid,
            horizon_pnl_years=request.elapsed_years,
        )
        analysis.max_profit = 120.0
        if not naked_call:
            analysis.max_loss = -380.0
        return op_pb.AnalyzeStrategyResponse(analysis=analysis)

    def _owned(self, strategy_id: str, caller: str) -> op_pb.SavedStrategy | None:
        owner, saved = self.saved.get(strategy_id, ("", None))
        return saved if owner == caller else None

    @_rpc
    async def SaveStrategy(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        caller = self._caller(metadata)
        if request.id and self._owned(request.id, caller) is None:
            await _abort(context, ServiceError(grpc.StatusCode.NOT_FOUND, "strategy not found"))
        saved = op_pb.SavedStrategy(
            id=request.id or str(uuid.uuid4()),
            symbol=request.symbol,
            strategy=request.strategy,
            notes=request.notes,
            created_at=_stamp(QUOTED_AT),
            updated_at=_now(),
        )
        self.saved[saved.id] = (caller, saved)
        return op_pb.SaveStrategyResponse(saved=saved)

    @_rpc
    async def GetSavedStrategy(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        saved = self._owned(request.id, self._caller(metadata))
        if saved is None:
            await _abort(context, ServiceError(grpc.StatusCode.NOT_FOUND, "strategy not found"))
        return op_pb.GetSavedStrategyResponse(saved=saved)

    @_rpc
    async def ListSavedStrategies(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        caller = self._caller(metadata)
        mine = [
            saved
            for owner, saved in self.saved.values()
            if owner == caller and (not request.symbol or saved.symbol == request.symbol)
        ]
        items, page = _paged(mine, request.page)
        return op_pb.ListSavedStrategiesResponse(strategies=items, page=page)

    @_rpc
    async def DeleteSavedStrategy(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if self._owned(request.id, self._caller(metadata)) is None:
            await _abort(context, ServiceError(grpc.StatusCode.NOT_FOUND, "strategy not found"))
        del self.saved[request.id]
        return op_pb.DeleteSavedStrategyResponse()


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys()


@pytest.fixture(scope="session")
async def fake_auth_server(signing_keys: SigningKeys) -> AsyncIterator[tuple[FakeAuthService, str]]:
    service = FakeAuthService(signing_keys)
    server = grpc.aio.server()
    auth_service_pb2_grpc.add_AuthServiceServicer_to_server(service, server)
    health_service = health.aio.HealthServicer()
    await health_service.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield service, f"127.0.0.1:{port}"
    await server.stop(grace=None)


# The import route takes files up to 20 MiB; the real service raises its limit the same way.
_MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@pytest.fixture(scope="session")
async def fake_market_data_server() -> AsyncIterator[tuple[FakeMarketDataService, str]]:
    service = FakeMarketDataService()
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)])
    market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server(service, server)
    health_service = health.aio.HealthServicer()
    await health_service.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield service, f"127.0.0.1:{port}"
    await server.stop(grace=None)


@pytest.fixture(scope="session")
async def fake_portfolio_server() -> AsyncIterator[tuple[FakePortfolioService, str]]:
    service = FakePortfolioService()
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)])
    portfolio_service_pb2_grpc.add_PortfolioServiceServicer_to_server(service, server)
    health_service = health.aio.HealthServicer()
    await health_service.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield service, f"127.0.0.1:{port}"
    await server.stop(grace=None)


@pytest.fixture(scope="session")
async def fake_options_server() -> AsyncIterator[tuple[FakeOptionsService, str]]:
    service = FakeOptionsService()
    server = grpc.aio.server()
    options_service_pb2_grpc.add_OptionsServiceServicer_to_server(service, server)
    health_service = health.aio.HealthServicer()
    await health_service.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield service, f"127.0.0.1:{port}"
    await server.stop(grace=None)


@pytest.fixture
def fake_options(fake_options_server: tuple[FakeOptionsService, str]) -> Iterator[FakeOptionsService]:
    service, _ = fake_options_server
    service.reset()
    yield service
    service.reset()


@pytest.fixture
def fake_portfolio(
    fake_portfolio_server: tuple[FakePortfolioService, str],
) -> Iterator[FakePortfolioService]:
    service, _ = fake_portfolio_server
    service.reset()
    yield service
    service.reset()


@pytest.fixture
def fake_market(
    fake_market_data_server: tuple[FakeMarketDataService, str],
) -> Iterator[FakeMarketDataService]:
    service, _ = fake_market_data_server
    service.reset()
    yield service
    service.reset()


@pytest.fixture
def fake_auth(fake_auth_server: tuple[FakeAuthService, str]) -> Iterator[FakeAuthService]:
    service, _ = fake_auth_server
    service.reset()
    yield service
    service.reset()


@pytest.fixture(scope="session")
async def auth_stream(nats_url: str) -> None:
    """The AUTH stream, as the auth service declares it, so the revocation feed can attach."""
    client, js = await bus.connect(nats_url, name="gateway-tests")
    await bus.ensure_streams(js, [bus.StreamSpec(name="AUTH", subjects=["eqr.auth.>"])])
    await client.close()


@pytest.fixture(scope="session")
def base_settings(
    fake_auth_server: tuple[FakeAuthService, str],
    fake_market_data_server: tuple[FakeMarketDataService, str],
    fake_portfolio_server: tuple[FakePortfolioService, str],
    fake_options_server: tuple[FakeOptionsService, str],
    redis_url: str,
    nats_url: str,
    auth_stream: None,
) -> GatewaySettings:
    return GatewaySettings(
        auth_addr=fake_auth_server[1],
        market_data_addr=fake_market_data_server[1],
        portfolio_addr=fake_portfolio_server[1],
        options_addr=fake_options_server[1],
        redis_url=redis_url,
        nats_url=nats_url,
    )


@asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield app, client


@pytest.fixture(scope="session")
async def gateway(base_settings: GatewaySettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_gateway(base_settings) as running:
        yield running


@pytest.fixture
def client(gateway: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return gateway[1]


@pytest.fixture
def make_gateway(base_settings: GatewaySettings) -> Callable[..., Any]:
    """``async with make_gateway(max_body_bytes=10) as (app, client):`` for non-default settings."""

    def factory(**overrides: Any) -> Any:
        return running_gateway(base_settings.model_copy(update=overrides))

    return factory


@dataclass
class SignedIn:
    user: resources_pb2.User
    session_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def sign_in(fake_auth: FakeAuthService, signing_keys: SigningKeys) -> Callable[..., SignedIn]:
    """A fresh user in the fake auth service and a valid access token of theirs."""

    def factory(role: str = "viewer") -> SignedIn:
        user = fake_auth.add_user(f"{uuid.uuid4().hex[:12]}@example.com", role=role)
        session_id = str(uuid.uuid4())
        token = signing_keys.access_token(user.id, role=role, session_id=session_id)
        return SignedIn(user, session_id, token)

    return factory


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is problem+json with every member of the gateway's problem shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


@pytest.fixture
def problem() -> Callable[[httpx.Response, int], dict[str, Any]]:
    return assert_problem
