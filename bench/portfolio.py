"""Portfolio valuation and ten-year performance through the gateway on the launcher's fleet.

Valuation: a 500-holding portfolio, sequential ``GET /portfolios/{id}/holdings``. The simulator
knows about 165 tradeable symbols, so the portfolio holds every one of them plus positions in
symbols market-data does not know (unlisted holdings, as a tracker keeps them), which the service
values at cost: the same path (ledger replay, one batch quote request for all 500 symbols,
instrument facts, valuing and rendering every holding), less a price for those. A second
portfolio holds only priced symbols, three lots each, asked with its lots listed.

Performance: a portfolio whose ledger starts on the first day of the simulator's ten-year
history (positions bought on different days, quarterly deposits and dividends, a withdrawal,
partial sells), imported as one CSV; sequential ``GET /portfolios/{id}/performance`` and
``/risk``. The peer is what an analyst would write in a notebook instead: pandas and numpy over
the same daily closes and the same ledger, giving the since-inception TWR, volatility and max
drawdown, timed from closes already in memory and again including fetching them through the
gateway. Its figures are checked against the service's, so both compute the same thing.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise
from typing import Any

import httpx
import numpy as np
import pandas as pd

from bench.load import percentile
from bench.rawhttp import RawClient
from bench.target import Target
from bench.universe import tradeable_symbols
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD

HOLDINGS = 500
LOTS_PER_PRICED_HOLDING = 3
VALUATION_REQUESTS = 200
PERFORMANCE_REQUESTS = 30
WARMUP_REQUESTS = 3
PEER_REPEATS = 20
PEER_FETCHES = 5
GATEWAY_HISTORY_TTL_SECONDS = 0.5
"""The gateway keeps a history reply reaching today this long; the peer's fetches wait it out."""

POSITIONS = 25
BENCHMARK = "^GSPC"
SEED = 20161128
QUARTER = 63
"""Trading days between deposits and between dividends."""
FIRST_BUYS_EVERY = 40
"""Trading days between two positions' first buys: they open over the first four years."""
BUY_BUDGET = Decimal(8000)
INITIAL_DEPOSIT = Decimal(100_000)
QUARTERLY_DEPOSIT = Decimal(5000)
WITHDRAWAL = Decimal(30_000)
DIVIDEND_YIELD_PER_QUARTER = Decimal("0.004")
"""A flat stand-in for payouts: the ledger's dividends need not match the simulator's."""
COMMISSION = Decimal(1)
SELLERS = 6
SPLIT_DROP = 0.7
"""A raw close below 70% of the one before is a split (the simulator's are 2, 3, 4 or 10 for 1,
and a 2-for-1 on a rising day still leaves the close near half): such names are left out, so the
notebook peer can take quantities as a plain cumulative sum of trades."""
TRADING_DAYS_PER_YEAR = 252
CENT = Decimal("0.01")
CSV_HEADER = "date,type,symbol,quantity,price,amount,commission,notes"


@dataclass(frozen=True)
class Entry:
    """One ledger row as the bench writes it, and as the notebook peer reads it."""

    day: date
    kind: str
    symbol: str = ""
    quantity: int = 0
    price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)

    def csv(self) -> str:
        quantity = str(self.quantity) if self.quantity else ""
        price = str(self.price) if self.price else ""
        amount = str(self.amount) if self.amount else ""
        commission = str(self.commission) if self.commission else ""
        return f"{self.day},{self.kind},{self.symbol},{quantity},{price},{amount},{commission},"

    @property
    def cash_effect(self) -> Decimal:
        match self.kind:
            case "buy":
                return -(self.quantity * self.price + self.commission)
            case "sell":
                return self.quantity * self.price - self.commission
            case "withdrawal":
                return -self.amount
            case _:
                return self.amount


@dataclass(frozen=True)
class Figures:
    twr: float
    volatility: float
    max_drawdown: float
    """The depth of the deepest fall, as a positive fraction."""


@dataclass(frozen=True)
class Timings:
    first_ms: float
    """The first request after the portfolio was imported."""
    samples: list[float]

    def row(self, name: str) -> str:
        s = self.samples
        return (
            f"| {name} | {len(s)} | {self.first_ms:.0f} | {statistics.median(s):.1f} | "
            f"{percentile(s, 0.95):.1f} | {percentile(s, 0.99):.1f} | {max(s):.1f} |"
        )


@dataclass(frozen=True)
class Results:
    symbols: int
    valuation: Timings
    lots: Timings
    ledger_rows: int
    series_days: int
    performance: Timings
    risk: Timings
    ours: Figures
    peer: Figures
    peer_compute: list[float]
    peer_with_fetch: list[float]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def _csv(entries: list[Entry]) -> str:
    return "\r\n".join([CSV_HEADER, *(e.csv() for e in entries)]) + "\r\n"


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _portfolio(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, entries: list[Entry]
) -> str:
    created = await client.post(
        "/api/v1/portfolios", json={"name": name, "benchmark": BENCHMARK}, headers=headers
    )
    created.raise_for_status()
    portfolio_id: str = created.json()["id"]
    imported = await client.post(
        f"/api/v1/portfolios/{portfolio_id}/transactions/import",
        params={"format": "csv"},
        content=_csv(entries).encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    if imported.status_code != 200 or imported.json()["imported"] != len(entries):
        raise RuntimeError(f"import of {name} failed: {imported.status_code} {imported.text[:500]}")
    return portfolio_id


def _valuation_ledgers(priced: list[str], day: date) -> tuple[list[Entry], list[Entry]]:
    """500 holdings (every priced symbol, the rest unknown to market-data), and every priced
    symbol in three lots. Prices are costs only; the valuation takes the latest quotes."""
    rng = random.Random(SEED)
    unknown = [f"PVT{n:04d}" for n in range(HOLDINGS - len(priced))]

    def buy(symbol: str, on: date) -> Entry:
        price = Decimal(rng.randint(1000, 50000)) / 100
        return Entry(on, "buy", symbol, rng.randint(1, 500), price, commission=COMMISSION)

    wide = [Entry(day, "deposit", amount=Decimal(10**9)), *(buy(s, day) for s in priced + unknown)]
    lots = [Entry(day, "deposit", amount=Decimal(10**9))]
    lots += [buy(s, day + timedelta(days=30 * k)) for k in range(LOTS_PER_PRICED_HOLDING) for s in priced]
    return wide, lots


async def _history(client: httpx.AsyncClient, headers: dict[str, str], symbol: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/stocks/{symbol}/history", params={"interval": "1d", "range": "10y"}, headers=headers
    )
    response.raise_for_status()
    bars: list[dict[str, Any]] = response.json()["bars"]
    return bars


def _closes(bars: list[dict[str, Any]]) -> dict[date, float]:
    return {date.fromisoformat(bar["t"][:10]): float(bar["c"]) for bar in bars}


def _splits(closes: dict[date, float]) -> bool:
    levels = [closes[d] for d in sorted(closes)]
    return any(later < earlier * SPLIT_DROP for earlier, later in pairwise(levels))


class _LedgerWriter:
    """Writes a ten-year ledger day by day, keeping the cash and the shares held."""

    def __init__(self, closes: dict[str, dict[date, float]]) -> None:
        self.closes = closes
        self.entries: list[Entry] = []
        self.cash = Decimal(0)
        self.held: dict[str, int] = {}

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.cash += entry.cash_effect
        if entry.kind in ("buy", "sell"):
            self.held[entry.symbol] = self.held.get(entry.symbol, 0) + (
                entry.quantity if entry.kind == "buy" else -entry.quantity
            )

    def price(self, symbol: str, day: date) -> Decimal:
        return Decimal(str(self.closes[symbol][day]))

    def buy(self, symbol: str, day: date) -> None:
        price = self.price(symbol, day)
        quantity = int(BUY_BUDGET / price)
        cost = quantity * price + COMMISSION
        if cost > self.cash:  # an explicit deposit, never the tracking mode's implied one
            self.add(Entry(day, "deposit", amount=Decimal(math.ceil((cost - self.cash) / 1000) * 1000)))
        self.add(Entry(day, "buy", symbol, quantity, price, commission=COMMISSION))

    def sell_half(self, symbol: str, day: date) -> None:
        quantity = self.held[symbol] // 2
        if quantity:
            self.add(Entry(day, "sell", symbol, quantity, self.price(symbol, day), commission=COMMISSION))

    def dividends(self, day: date) -> None:
        for symbol, quantity in sorted(self.held.items()):
            amount = (quantity * self.price(symbol, day) * DIVIDEND_YIELD_PER_QUARTER).quantize(CENT)
            if amount > 0:
                self.add(Entry(day, "dividend", symbol, amount=amount))


def _ten_year_ledger(closes: dict[str, dict[date, float]], days: list[date]) -> list[Entry]:
    rng = random.Random(SEED)
    symbols = sorted(closes)
    first_buys = {FIRST_BUYS_EVERY * k + rng.randrange(FIRST_BUYS_EVERY): s for k, s in enumerate(symbols)}
    second_buys: dict[int, list[str]] = defaultdict(list)
    for symbol in symbols:
        second_buys[rng.randrange(len(days) // 2, len(days) - 5)].append(symbol)
    sells: dict[int, list[str]] = defaultdict(list)
    for symbol in rng.sample(symbols, SELLERS):
        sells[rng.randrange(len(days) * 2 // 3, len(days) - 1)].append(symbol)
    withdrawal_day = len(days) * 7 // 10
    writer = _LedgerWriter(closes)
    writer.add(Entry(days[0], "deposit", amount=INITIAL_DEPOSIT))
    for i, day in enumerate(days):
        if i and i % QUARTER == 0:
            writer.add(Entry(day, "deposit", amount=QUARTERLY_DEPOSIT))
            writer.dividends(day)
        if i in first_buys:
            writer.buy(first_buys[i], day)
        for symbol in second_buys.get(i, []):
            writer.buy(symbol, day)
        for symbol in sells.get(i, []):
            writer.sell_half(symbol, day)
        if i == withdrawal_day and (amount := min(WITHDRAWAL, writer.cash.quantize(Decimal(1), ROUND_DOWN))):
            writer.add(Entry(day, "withdrawal", amount=amount))
    return writer.entries


def _notebook(entries: list[Entry], bars: dict[str, list[dict[str, Any]]], last_day: date) -> Figures:
    """The figures as an analyst would compute them in pandas: quantities are the cumulative
    trades, the value is quantities x closes plus cash, and the daily TWR invests a day's
    deposits at its start and takes its withdrawals at its end (the service's convention)."""
    closes = pd.DataFrame(
        {s: pd.Series({b["t"][:10]: b["c"] for b in rows}, dtype=float) for s, rows in bars.items()}
    )
    closes.index = pd.to_datetime(closes.index)
    ledger = pd.DataFrame(
        {
            "day": pd.to_datetime([e.day.isoformat() for e in entries]),
            "symbol": [e.symbol for e in entries],
            "shares": [
                e.quantity if e.kind == "buy" else -e.quantity if e.kind == "sell" else 0 for e in entries
            ],
            "cash": [float(e.cash_effect) for e in entries],
            "flow": [float(e.cash_effect) if e.kind in ("deposit", "withdrawal") else 0.0 for e in entries],
        }
    )
    days = closes.index[(closes.index >= ledger["day"].min()) & (closes.index <= pd.Timestamp(last_day))]
    closes = closes.loc[days].sort_index().ffill()
    trades = ledger[ledger["shares"] != 0].pivot_table(
        index="day", columns="symbol", values="shares", aggfunc="sum", fill_value=0
    )
    shares = trades.reindex(days, fill_value=0).cumsum()
    by_day = ledger.groupby("day")[["cash", "flow"]].sum().reindex(days, fill_value=0.0)
    value = (shares * closes[shares.columns]).sum(axis=1) + by_day["cash"].cumsum()
    flow = by_day["flow"]
    daily = (value + (-flow).clip(lower=0)) / (value.shift(1, fill_value=0.0) + flow.clip(lower=0)) - 1
    growth = (1 + daily).cumprod()
    drawdown = growth / np.maximum(growth.cummax(), 1.0) - 1
    return Figures(
        twr=float(growth.iloc[-1] - 1),
        volatility=float(daily.std() * math.sqrt(TRADING_DAYS_PER_YEAR)),
        max_drawdown=float(-drawdown.min()),
    )


async def _sequential(raw: RawClient, path: str, headers: dict[str, str], requests: int) -> Timings:
    async def once() -> float:
        started = time.perf_counter()
        status = await raw.get(path, headers)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        return (time.perf_counter() - started) * 1000

    first = await once()
    for _ in range(WARMUP_REQUESTS):
        await once()
    return Timings(first, [await once() for _ in range(requests)])


def _timed(work: Callable[[], object], repeats: int) -> list[float]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _agreement(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    portfolio_id: str,
    ledger: list[Entry],
    bars: dict[str, list[dict[str, Any]]],
) -> tuple[Figures, Figures, int]:
    """Ours and the notebook's figures through the day before the last: today's close is live,
    so it moves between two requests, while every earlier close is the same for both."""
    path = f"/api/v1/portfolios/{portfolio_id}"
    series = (await client.get(f"{path}/performance", headers=headers)).json()["series"]
    settled = series[-2]
    risk = (await client.get(f"{path}/risk", params={"to": settled["date"]}, headers=headers)).json()
    ours = Figures(settled["cumulative_return"], risk["volatility"], -risk["max_drawdown"]["depth"])
    return ours, _notebook(ledger, bars, date.fromisoformat(settled["date"])), len(series)


async def _measure(gateway: str) -> Results:
    load_before = os.getloadavg()
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        headers = await _login(client)
        priced = await tradeable_symbols(client, headers)
        wide_ledger, lots_ledger = _valuation_ledgers(priced, date.today() - timedelta(days=365))
        wide = await _portfolio(client, headers, "Bench: 500 holdings", wide_ledger)
        lots = await _portfolio(client, headers, "Bench: priced lots", lots_ledger)

        histories = {s: await _history(client, headers, s) for s in priced}
        clean = {s: _closes(b) for s, b in histories.items() if not _splits(_closes(b))}
        days = sorted({d for c in clean.values() for d in c})
        full = sorted(s for s, c in clean.items() if days[0] in c)
        chosen = random.Random(SEED).sample(full, POSITIONS)
        ledger = _ten_year_ledger({s: clean[s] for s in chosen}, days)
        ten_years = await _portfolio(client, headers, "Bench: ten years", ledger)
    async with RawClient(gateway, connections=1) as raw:
        valuation = await _sequential(raw, f"/api/v1/portfolios/{wide}/holdings", headers, VALUATION_REQUESTS)
        lot_timings = await _sequential(
            raw, f"/api/v1/portfolios/{lots}/holdings?include_lots=true", headers, VALUATION_REQUESTS
        )
        performance = await _sequential(
            raw, f"/api/v1/portfolios/{ten_years}/performance", headers, PERFORMANCE_REQUESTS
        )
        risk = await _sequential(raw, f"/api/v1/portfolios/{ten_years}/risk", headers, PERFORMANCE_REQUESTS)
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        chosen_bars = {s: histories[s] for s in chosen}
        peer_compute = _timed(lambda: _notebook(ledger, chosen_bars, days[-1]), PEER_REPEATS)
        peer_with_fetch = []
        for _ in range(PEER_FETCHES):
            await asyncio.sleep(GATEWAY_HISTORY_TTL_SECONDS * 2)
            started = time.perf_counter()
            fetched = {s: await _history(client, headers, s) for s in chosen}
            _notebook(ledger, fetched, days[-1])
            peer_with_fetch.append((time.perf_counter() - started) * 1000)
        ours, peer, series_days = await _agreement(client, headers, ten_years, ledger, chosen_bars)
    return Results(
        symbols=len(priced),
        valuation=valuation,
        lots=lot_timings,
        ledger_rows=len(ledger),
        series_days=series_days,
        performance=performance,
        risk=risk,
        ours=ours,
        peer=peer,
        peer_compute=peer_compute,
        peer_with_fetch=peer_with_fetch,
        load_before=load_before,
        load_after=os.getloadavg(),
    )


def _largest_gap(ours: Figures, peer: Figures) -> float:
    return max(
        abs(ours.twr - peer.twr),
        abs(ours.volatility - peer.volatility),
        abs(ours.max_drawdown - peer.max_drawdown),
    )


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{a:.2f}" for a in averages)


def run(target: Target) -> str:
    r = asyncio.run(_measure(target.gateway_url))
    ours_p50 = statistics.median(r.performance.samples)
    compute_p50 = statistics.median(r.peer_compute)
    fetch_p50 = statistics.median(r.peer_with_fetch)
    unknown = HOLDINGS - r.symbols
    return "\n".join(
        [
            "",
            "### Portfolio valuation and performance through the gateway",
            "",
            'Sequential requests over one keep-alive connection (bench/rawhttp.py); "first" is the',
            f"first request after the portfolio was imported, then {WARMUP_REQUESTS} warm-up requests. The",
            "portfolio service keeps the raw closes of settled days, so the first ten-year request fetches",
            "ten years of closes and the later ones only the recent days, every symbol in one batch call.",
            "Targets (issue 4): valuation of a 500-holding portfolio p95 < 50 ms; ten-year performance",
            "< 300 ms.",
            "",
            "| route | requests | first ms | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|---|",
            r.valuation.row(f"GET /portfolios/{{id}}/holdings, {HOLDINGS} holdings"),
            r.lots.row(
                f"GET /portfolios/{{id}}/holdings?include_lots=true, {r.symbols} holdings x"
                f" {LOTS_PER_PRICED_HOLDING} lots"
            ),
            r.performance.row(f"GET /portfolios/{{id}}/performance, {r.series_days} days"),
            r.risk.row(f"GET /portfolios/{{id}}/risk, {r.series_days} days"),
            "",
            f"- The 500 holdings: the simulator has {r.symbols} tradeable symbols (equities and ETFs, listed"
            f" through `/stocks/search`), so the portfolio holds every one of them and {unknown} positions"
            " in symbols market-data does not know (`PVT0000`...), which are valued at cost"
            " (`priced: false`). Every holding takes the same path (ledger replay, one batch-quote call"
            " for all 500 symbols, instrument facts, valuation and rendering) except that those get no"
            f" price. The second row holds only priced symbols, {LOTS_PER_PRICED_HOLDING} FIFO lots each,"
            " listed in the reply.",
            f"- Ten years: a ledger of {r.ledger_rows} rows imported as one CSV, starting on the first day"
            f" of the simulator's history: {POSITIONS} positions (names that did not split in the ten"
            " years) opened on different days over the first four years and topped up later,"
            " quarterly deposits and dividends, a withdrawal and partial sells, benchmark"
            f" {BENCHMARK}. The service rebuilds the daily value series from the ledger (kept"
            " replayed until it changes) and every symbol's closes (one batch call to market-data"
            " for the recent days) on every request, then every period, the calendar,"
            " contributions and the benchmark comparison.",
            f"- Peer, the same since-inception TWR, volatility and max drawdown computed the way an"
            f" analyst would in a notebook (pandas {pd.__version__} and numpy over the same closes and"
            f" ledger): p50 {compute_p50:.1f} ms from closes already in memory, {fetch_p50:.0f} ms"
            f" including fetching the {POSITIONS} ten-year histories through the gateway one after"
            f" another. Our performance route, p50: {ours_p50 / compute_p50:.1f}x the in-memory"
            f" notebook and {ours_p50 / fetch_p50:.2f}x the notebook with its fetches. The ratio is"
            " the price of being a service: the exact Decimal ledger, the recent closes fetched"
            " over gRPC on each request, nine periods with money-weighted returns, the calendar,"
            " contributions, the benchmark comparison and a 2,500-point JSON series, against three"
            " vectorised figures.",
            f"- Both give the same figures: TWR {r.ours.twr:.6f}, volatility {r.ours.volatility:.6f},"
            f" max drawdown {r.ours.max_drawdown:.6f}; largest difference from the notebook's"
            f" {_largest_gap(r.ours, r.peer):.1e}.",
            f"- Load average (1/5/15 min) before: {_load(r.load_before)}, after: {_load(r.load_after)}.",
        ]
    )
