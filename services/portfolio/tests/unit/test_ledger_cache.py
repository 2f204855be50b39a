"""The ledger cache on its own: a kept ledger is served only at the version it was read at, its
books are replayed once per policy, and the least recently used ledgers go first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from eqr_portfolio.app.ledger_cache import LedgerCache, LedgerSnapshot
from eqr_portfolio.domain.transactions import CostMethod, LedgerPolicy, Transaction, TransactionKind

D = Decimal
DAY = date(2025, 3, 3)


def _ledger(size: int) -> tuple[Transaction, ...]:
    deposit = Transaction(uuid4(), TransactionKind.DEPOSIT, DAY, 0, amount=D(1000))
    buys = (
        Transaction(uuid4(), TransactionKind.BUY, DAY, n, "AAA", quantity=D(1), price=D(n))
        for n in range(1, size)
    )
    return (deposit, *buys)


def test_a_kept_ledger_is_served_only_at_its_version() -> None:
    cache, portfolio = LedgerCache(), uuid4()
    kept = LedgerSnapshot(3, _ledger(2))
    cache.put(portfolio, kept)
    assert cache.get(portfolio, 3) is kept
    assert cache.get(portfolio, 4) is None
    assert cache.get(portfolio, 3) is None  # dropped once seen stale
    assert cache.get(uuid4(), 3) is None


def test_books_are_replayed_once_per_policy() -> None:
    kept = LedgerSnapshot(1, _ledger(4))
    fifo, average = LedgerPolicy(), LedgerPolicy(cost_method=CostMethod.AVERAGE)
    assert kept.book(fifo) is kept.book(fifo)
    assert len(kept.book(fifo).positions["AAA"].lots) == 3
    assert len(kept.book(average).positions["AAA"].lots) == 1


def test_the_least_recently_used_ledgers_go_first_beyond_the_limit() -> None:
    cache = LedgerCache(max_transactions=10)
    a, b, c = uuid4(), uuid4(), uuid4()
    cache.put(a, LedgerSnapshot(1, _ledger(4)))
    cache.put(b, LedgerSnapshot(1, _ledger(4)))
    assert cache.get(a, 1) is not None  # b is now the least recently used
    cache.put(c, LedgerSnapshot(1, _ledger(4)))
    assert cache.get(b, 1) is None
    assert cache.get(a, 1) is not None
    assert cache.get(c, 1) is not None
    cache.put(uuid4(), LedgerSnapshot(1, _ledger(11)))  # larger than the whole cache: not kept
    assert cache.get(a, 1) is not None
    assert cache.get(c, 1) is not None
