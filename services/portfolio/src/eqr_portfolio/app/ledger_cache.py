"""Ledgers read lately, kept per portfolio at the version they were read at.

Every ledger write bumps the portfolio's ``ledger_version`` in its own transaction, so a ledger
read after the portfolio row, in the same unit of work, is at least as new as the version that
row carries. Serving the kept ledger to a request that read the same version therefore never
serves one older than the database's; a write anywhere (this process or another) changes the
version and the next read loads the ledger again. The books replayed from a kept ledger are kept
with it, one per ledger policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from eqr_portfolio.app.ports import UnitOfWork
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction

LEDGER_CACHE_TRANSACTIONS = 200_000
"""Entries kept at most over all portfolios (some 1 KB each with the books replayed from them)."""


@dataclass(frozen=True, eq=False)
class LedgerSnapshot:
    """A portfolio's live entries in ledger order, as of ``version``."""

    version: int
    transactions: tuple[Transaction, ...]
    _books: dict[LedgerPolicy, Book] = field(default_factory=dict, repr=False)

    def book(self, policy: LedgerPolicy) -> Book:
        """The whole ledger replayed under ``policy`` (once per policy)."""
        book = self._books.get(policy)
        if book is None:
            book = self._books[policy] = replay(self.transactions, policy)
        return book


class LedgerCache:
    def __init__(self, *, max_transactions: int = LEDGER_CACHE_TRANSACTIONS) -> None:
        self._max = max_transactions
        self._kept: dict[UUID, LedgerSnapshot] = {}
        """Least recently used first."""
        self._count = 0

    def get(self, portfolio_id: UUID, version: int) -> LedgerSnapshot | None:
        kept = self._kept.pop(portfolio_id, None)
        if kept is None:
            return None
        if kept.version != version:
            self._count -= len(kept.transactions)
            return None
        self._kept[portfolio_id] = kept  # now the most recently used
        return kept

    def put(self, portfolio_id: UUID, snapshot: LedgerSnapshot) -> None:
        size = len(snapshot.transactions)
        if size > self._max:
            return
        previous = self._kept.pop(portfolio_id, None)
        if previous is not None:
            self._count -= len(previous.transactions)
        while self._kept and self._count + size > self._max:
            evicted = self._kept.pop(next(iter(self._kept)))
            self._count -= len(evicted.transactions)
        self._kept[portfolio_id] = snapshot
        self._count += size


async def read_ledger(cache: LedgerCache, uow: UnitOfWork, portfolio: Portfolio) -> LedgerSnapshot:
    """The live ledger of ``portfolio`` (read in ``uow`` just before): kept, or read and kept."""
    kept = cache.get(portfolio.id, portfolio.ledger_version)
    if kept is not None:
        return kept
    snapshot = LedgerSnapshot(portfolio.ledger_version, tuple(await uow.transactions.ledger(portfolio.id)))
    cache.put(portfolio.id, snapshot)
    return snapshot
