"""The realised-gains use case and RPC over a ledger held in memory: access, filters, paging
(which follows on by place in the ledger, even after it changed) and the wire messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from uuid import UUID, uuid4

import pytest

from eqr.common.v1 import date_pb2, paging_pb2
from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr.portfolio.v1 import resources_pb2 as res
from eqr_platform.grpc.context import CallContext, call_context
from eqr_platform.paging import encode_page_token
from eqr_platform.tokens import AccessClaims
from eqr_portfolio.api.servicer import PortfolioServicer
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.realised import RealisedGainsPage, realised_gains
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.book import replay
from eqr_portfolio.domain.errors import NotFound, ValidationFailed
from eqr_portfolio.domain.transactions import (
    CostMethod,
    LedgerPolicy,
    Portfolio,
    Transaction,
    TransactionKind,
)

D = Decimal
K = TransactionKind
OWNER, VIEWER, STRANGER = UUID(int=1), UUID(int=2), UUID(int=3)
DAY = date(2024, 1, 2)


class FakeWork:
    """A unit of work over one portfolio and its ledger; reads only."""

    def __init__(self, portfolio: Portfolio, ledger: list[Transaction]) -> None:
        self.portfolios = self
        self.transactions = self
        self._portfolio, self._ledger = portfolio, ledger

    async def __aenter__(self) -> FakeWork:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None

    async def role_of(self, portfolio_id: UUID, user_id: UUID) -> AccessRole | None:
        if portfolio_id != self._portfolio.id:
            return None
        return {OWNER: AccessRole.OWNER, VIEWER: AccessRole.VIEWER}.get(user_id)

    async def get(self, portfolio_id: UUID, *, for_update: bool = False) -> Portfolio | None:
        return self._portfolio

    async def ledger(self, portfolio_id: UUID) -> list[Transaction]:
        return list(self._ledger)


class Clock:
    def now(self) -> datetime:
        return datetime(2025, 3, 14, 12, tzinfo=UTC)


def portfolio(cost_method: CostMethod = CostMethod.FIFO, version: int = 0) -> Portfolio:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    policy = LedgerPolicy(cost_method=cost_method)
    return Portfolio(UUID(int=99), OWNER, "Test", "", "EUR", None, policy, at, at, version)


def trade(n: int, kind: TransactionKind, day: date, symbol: str, quantity: str, price: str) -> Transaction:
    return Transaction(uuid4(), kind, day, n, symbol, D(quantity), D(price), commission=D("1"))


# Five buys of AAA, then one sale of all of them (five FIFO lots closed by one trade), and a round
# trip in BBB: six lots in all.
LEDGER = [
    *(trade(n, K.BUY, DAY + timedelta(days=n), "AAA", "1", str(10 + n)) for n in range(1, 6)),
    trade(6, K.SELL, date(2025, 2, 3), "AAA", "5", "20"),
    trade(7, K.BUY, date(2025, 2, 3), "BBB", "2", "50"),
    trade(8, K.SELL, date(2025, 3, 3), "BBB", "2", "40"),
]


def dependencies(owned: Portfolio, ledger: list[Transaction], page_size: int = 50) -> Dependencies:
    return Dependencies(
        unit_of_work=lambda: FakeWork(owned, ledger),
        clock=Clock(),
        market_data=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(default_page_size=page_size),
    )


async def all_pages(deps: Dependencies, who: UUID, page_size: int) -> list[RealisedGainsPage]:
    token = ""
    pages: list[RealisedGainsPage] = []
    while not pages or token:
        pages.append(
            await realised_gains(deps, Caller(who), UUID(int=99), page_size=page_size, page_token=token)
        )
        token = pages[-1].next_page_token
    return pages


async def test_pages_follow_each_other_and_every_page_carries_the_whole_reports_totals() -> None:
    deps = dependencies(portfolio(), LEDGER)
    pages = await all_pages(deps, VIEWER, page_size=2)

    assert [len(p.lots) for p in pages] == [2, 2, 2]
    lots = [r.lot for p in pages for r in p.lots]
    assert [(lot.symbol, lot.opened_on) for lot in lots] == [
        *(("AAA", DAY + timedelta(days=n)) for n in range(1, 6)),
        ("BBB", date(2025, 2, 3)),
    ]
    book = replay(LEDGER, LedgerPolicy())
    assert lots == list(book.closed_lots)
    for page in pages:
        assert page.report.totals.realised_pnl == book.realised_pnl
        assert [(s.symbol, s.held) for s in page.report.by_symbol] == [("AAA", False), ("BBB", False)]
    assert pages[-1].next_page_token == ""


async def test_a_page_follows_on_from_its_place_in_the_ledger_after_the_ledger_changed() -> None:
    first = await realised_gains(dependencies(portfolio(), LEDGER), Caller(OWNER), UUID(int=99), page_size=3)
    # A round trip closed before the page's last lot is recorded since; the next page neither
    # repeats nor skips a lot after the place the token names (an offset would repeat one).
    changed = [
        *LEDGER,
        trade(10, K.BUY, DAY, "CCC", "1", "5"),
        trade(11, K.SELL, date(2024, 6, 1), "CCC", "1", "6"),
    ]
    deps = dependencies(portfolio(version=1), changed)
    second = await realised_gains(
        deps, Caller(OWNER), UUID(int=99), page_size=3, page_token=first.next_page_token
    )
    assert [r.lot.opened_on for r in first.lots] == [DAY + timedelta(days=n) for n in (1, 2, 3)]
    assert [r.lot.opened_on for r in second.lots] == [DAY + timedelta(days=n) for n in (4, 5)] + [
        date(2025, 2, 3)
    ]


async def test_filters_by_closing_date_and_symbol() -> None:
    deps = dependencies(portfolio(CostMethod.AVERAGE), LEDGER)
    march = await realised_gains(deps, Caller(OWNER), UUID(int=99), first_day=date(2025, 3, 1))
    assert [r.lot.symbol for r in march.lots] == ["BBB"]
    # BBB: bought 2 x 50 + 1, sold 2 x 40 - 1: 79 - 101 = -22.
    assert march.report.totals.realised_pnl == D(-22)

    aaa = await realised_gains(deps, Caller(OWNER), UUID(int=99), symbol=" aaa ", last_day=date(2025, 2, 3))
    # Average cost: one sale of the pool of five: cost 11 + ... + 15 + 5 = 70, proceeds 100 - 1 = 99.
    assert [(r.lot.quantity, r.lot.cost, r.lot.proceeds, r.lot.commission) for r in aaa.lots] == [
        (D(5), D(70), D(99), D(6))
    ]
    assert [s.symbol for s in aaa.report.by_symbol] == ["AAA"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"page_token": "not a token"}, "page_token"),
        ({"page_token": encode_page_token("2025-02-30", 1, 0)}, "page_token"),
        ({"page_token": encode_page_token("2025-02-03", "6", 0)}, "page_token"),
        ({"page_token": encode_page_token(1, 2)}, "page_token"),
        ({"page_size": -1}, "page_size"),
        ({"first_day": date(2025, 3, 2), "last_day": date(2025, 3, 1)}, "start_date"),
        ({"symbol": "AA;PL"}, "symbol"),
        ({"symbol": "A" * 40}, "symbol"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(filters: dict[str, object], field: str) -> None:
    deps = dependencies(portfolio(), LEDGER)
    with pytest.raises(ValidationFailed) as refused:
        await realised_gains(deps, Caller(OWNER), UUID(int=99), **filters)  # type: ignore[arg-type]
    assert [v.field for v in refused.value.violations] == [field]


async def test_a_portfolio_the_caller_cannot_read_does_not_exist_for_them() -> None:
    deps = dependencies(portfolio(), LEDGER)
    with pytest.raises(NotFound):
        await realised_gains(deps, Caller(STRANGER), UUID(int=99))
    with pytest.raises(NotFound):
        await realised_gains(deps, Caller(OWNER), UUID(int=98))


def signed_in(user: UUID) -> CallContext:
    claims = AccessClaims(str(user), "analyst", None, (), datetime(2030, 1, 1, tzinfo=UTC), "t")
    return CallContext(claims=claims, access_token="token", client_ip="", user_agent="")


async def test_the_rpc_answers_with_exact_decimals_terms_and_the_option_multiplier() -> None:
    option = "AAA261218C00050000"
    ledger = [
        *LEDGER,
        Transaction(uuid4(), K.BUY, date(2023, 1, 3), 20, option, D(2), D("3.5"), commission=D("1.3")),
        Transaction(uuid4(), K.SELL, date(2025, 1, 6), 21, option, D(1), D(5), commission=D("0.65")),
    ]
    servicer = PortfolioServicer(dependencies(portfolio(), ledger))
    request = pb.GetRealizedGainsRequest(
        portfolio_id=str(UUID(int=99)),
        start_date=date_pb2.Date(year=2025, month=1, day=1),
        end_date=date_pb2.Date(year=2025, month=2, day=3),
        page=paging_pb2.PageRequest(page_size=1),
    )
    token = call_context.set(signed_in(VIEWER))
    try:
        response = await servicer.GetRealizedGains(request, None)
    finally:
        call_context.reset(token)

    assert (response.portfolio_id, response.currency, response.cost_method) == (
        str(UUID(int=99)),
        "EUR",
        res.COST_METHOD_FIFO,
    )
    [lot] = response.lots
    # Half of 2 x 3.5 x 100 + 1.3 = 701.3 is 350.65; 1 x 5 x 100 - 0.65 = 499.35; 734 days. A
    # share of a cost is the book's exact figure, at the ledger's 1e-10 scale.
    assert (lot.symbol, lot.quantity.value, lot.cost_basis.value, lot.proceeds.value) == (
        option,
        "1",
        "350.6500000000",
        "499.35",
    )
    assert (lot.commissions.value, lot.realized_pnl.value, lot.holding_days, lot.long_term) == (
        "1.3000000000",
        "148.7000000000",
        734,
        True,
    )
    assert (lot.opened_on.year, lot.closed_on.month, lot.multiplier) == (2023, 1, 100)
    assert lot.transaction_id == str(ledger[-1].id)
    assert response.page.next_page_token
    # Over every page: the option (still held: one contract is left) and the five AAA lots.
    assert [(s.symbol, s.held, s.lots) for s in response.by_symbol] == [("AAA", False, 5), (option, True, 1)]
    totals = response.totals
    assert (totals.symbol, totals.held, totals.lots) == ("", False, 6)
    # AAA: 5 x 20 - 1 = 99 against 11 + 12 + 13 + 14 + 15 + 5 = 70: 29, held from early January
    # 2024 to February 2025, long-term like the option.
    assert (totals.short_term_pnl.value, totals.long_term_pnl.value, totals.realized_pnl.value) == (
        "0",
        "177.7000000000",
        "177.7000000000",
    )
