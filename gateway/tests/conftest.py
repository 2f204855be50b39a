"""Gateway test harness: in-process fake AuthService and MarketDataService (real grpc.aio
servers), signing keys, and the app driven in-process by httpx against real Redis and NATS
from the eqr_testing plugin."""

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
from eqr.common.v1 import date_pb2, paging_pb2
from eqr.market_data.v1 import market_data_service_pb2 as md_pb
from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr.market_data.v1 import resources_pb2 as md
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
    redis_url: str,
    nats_url: str,
    auth_stream: None,
) -> GatewaySettings:
    return GatewaySettings(
        auth_addr=fake_auth_server[1],
        market_data_addr=fake_market_data_server[1],
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
