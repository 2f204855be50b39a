"""Writing and reading the ledger: record, correct, delete and restore transactions.

Every write locks the portfolio row, replays the whole ledger with the change, and only
then stores it: an entry the ledger cannot take (selling more than is held, a strict
portfolio's cash) is refused with the reason, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID, uuid4

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_portfolio.app.caller import SYSTEM, Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ports import UnitOfWork
from eqr_portfolio.domain.access import require_read, require_write
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.drafts import TransactionDraft, validate_draft
from eqr_portfolio.domain.errors import LedgerRejected, NotFound, ValidationFailed
from eqr_portfolio.domain.events import LedgerChanged
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction

_PROVISIONAL_SEQUENCE = 2**62
"""New entries replay after every stored one on their date, as the database will order them."""


@dataclass(frozen=True)
class TransactionPage:
    transactions: list[Transaction]
    next_page_token: str


class RejectedEntry(LedgerRejected):
    """The ledger refused one of the drafts being appended: ``index`` is its place among them."""

    def __init__(self, rejection: LedgerRejected, index: int) -> None:
        super().__init__(rejection.field, rejection.reason, transaction_id=rejection.transaction_id)
        self.index = index


def replay_checked(
    ledger: Sequence[Transaction], policy: LedgerPolicy, *, field: Callable[[LedgerRejected], str]
) -> Book:
    """The replayed book, or ``LedgerRejected`` re-raised naming ``field(rejection)``."""
    try:
        return replay(ledger, policy)
    except LedgerRejected as exc:
        raise LedgerRejected(field(exc), exc.reason, transaction_id=exc.transaction_id) from None


def transaction_record(t: Transaction | TransactionDraft) -> dict[str, object]:
    """JSON-ready fields for the audit trail."""
    return {
        "kind": t.kind.value,
        "trade_date": t.trade_date.isoformat(),
        "symbol": t.symbol,
        "quantity": str(t.quantity),
        "price": str(t.price),
        "amount": str(t.amount),
        "ratio": str(t.ratio),
        "commission": str(t.commission),
        "notes": t.notes,
    }


def _entry(draft: TransactionDraft, caller: Caller, sequence: int, deps: Dependencies) -> Transaction:
    return Transaction(
        id=uuid4(),
        kind=draft.kind,
        trade_date=draft.trade_date,
        sequence=sequence,
        symbol=draft.symbol,
        quantity=draft.quantity,
        price=draft.price,
        amount=draft.amount,
        ratio=draft.ratio,
        commission=draft.commission,
        notes=draft.notes,
        created_by=caller.user_id,
        created_at=deps.clock.now(),
    )


async def append_entries(
    deps: Dependencies,
    uow: UnitOfWork,
    caller: Caller,
    portfolio: Portfolio,
    drafts: Sequence[TransactionDraft],
    action: str,
    field_prefix: str = "transaction.",
) -> tuple[list[Transaction], Book]:
    """Inside an open unit of work holding the portfolio's lock: validated drafts appended.

    A draft the ledger refuses raises ``RejectedEntry`` saying which one; an entry already stored
    that a back-dated draft makes impossible raises ``LedgerRejected``."""
    ledger = await uow.transactions.ledger(portfolio.id)
    if len(ledger) + len(drafts) > deps.limits.max_transactions:
        raise ValidationFailed.single(
            "transactions", f"a portfolio holds at most {deps.limits.max_transactions} transactions"
        )
    entries = [_entry(d, caller, _PROVISIONAL_SEQUENCE + i, deps) for i, d in enumerate(drafts)]
    try:
        book = replay_checked(
            [*ledger, *entries], portfolio.policy, field=lambda exc: field_prefix + exc.field
        )
    except LedgerRejected as exc:
        index = next((i for i, e in enumerate(entries) if e.id == exc.transaction_id), None)
        if index is None:
            raise
        raise RejectedEntry(exc, index) from None
    stored = await uow.transactions.add_many(portfolio.id, entries)
    now = deps.clock.now()
    for entry in stored:
        await uow.changes.record(
            Change(portfolio.id, caller.user_id, action, str(entry.id), transaction_record(entry), now)
        )
    uow.record(LedgerChanged(portfolio.id, caller.user_id, action, tuple(e.id for e in stored), now))
    return stored, book


def fits(
    deps: Dependencies,
    ledger: Sequence[Transaction],
    drafts: Sequence[TransactionDraft],
    policy: LedgerPolicy,
) -> bool:
    """Whether the ledger would take ``drafts`` after its stored entries."""
    entries = [_entry(d, SYSTEM, _PROVISIONAL_SEQUENCE + i, deps) for i, d in enumerate(drafts)]
    try:
        replay([*ledger, *entries], policy)
    except LedgerRejected:
        return False
    return True


def validated(
    deps: Dependencies, drafts: Sequence[TransactionDraft], field_prefix: str
) -> list[TransactionDraft]:
    today = deps.clock.now().date()
    return [validate_draft(d, today=today, field_prefix=field_prefix) for d in drafts]


async def record_transactions(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    drafts: Sequence[TransactionDraft],
    *,
    action: str = "transaction.recorded",
    field_prefix: str = "transaction.",
) -> list[Transaction]:
    drafts = validated(deps, drafts, field_prefix)
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        stored, _ = await append_entries(deps, uow, caller, portfolio, drafts, action, field_prefix)
        await uow.commit()
    return stored


async def update_transaction(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, transaction_id: UUID, draft: TransactionDraft
) -> Transaction:
    """A correction keeps the entry's id and place in the ledger; the audit trail keeps the old values."""
    (draft,) = validated(deps, [draft], "transaction.")
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        current = await _live(uow, portfolio_id, transaction_id)
        corrected = replace(
            current,
            kind=draft.kind,
            trade_date=draft.trade_date,
            symbol=draft.symbol,
            quantity=draft.quantity,
            price=draft.price,
            amount=draft.amount,
            ratio=draft.ratio,
            commission=draft.commission,
            notes=draft.notes,
        )
        ledger = await uow.transactions.ledger(portfolio_id)
        replay_checked(
            [corrected if t.id == transaction_id else t for t in ledger],
            portfolio.policy,
            field=lambda exc: "transaction." + exc.field,
        )
        await uow.transactions.replace(corrected)
        await _log(deps, uow, caller, portfolio_id, "transaction.updated", corrected, before=current)
        await uow.commit()
    return corrected


async def delete_transaction(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, transaction_id: UUID
) -> None:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        current = await _live(uow, portfolio_id, transaction_id)
        ledger = await uow.transactions.ledger(portfolio_id)
        replay_checked(
            [t for t in ledger if t.id != transaction_id], portfolio.policy, field=lambda _: "transaction_id"
        )
        await uow.transactions.set_deleted(transaction_id, deps.clock.now())
        await _log(deps, uow, caller, portfolio_id, "transaction.deleted", current)
        await uow.commit()


async def restore_transaction(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, transaction_id: UUID
) -> Transaction:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        deleted = await uow.transactions.get(portfolio_id, transaction_id)
        if deleted is None:
            raise NotFound("transaction")
        if deleted.deleted_at is None:
            return deleted
        restored = replace(deleted, deleted_at=None)
        replay_checked(
            [*await uow.transactions.ledger(portfolio_id), restored],
            portfolio.policy,
            field=lambda _: "transaction_id",
        )
        await uow.transactions.set_deleted(transaction_id, None)
        await _log(deps, uow, caller, portfolio_id, "transaction.restored", restored)
        await uow.commit()
    return restored


async def list_transactions(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    *,
    include_deleted: bool = False,
    symbol: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> TransactionPage:
    """Newest first."""
    limit = page_limit(page_size, default=deps.limits.default_page_size, maximum=deps.limits.max_page_size)
    after = None
    if page_token:
        day, sequence = decode_page_token(page_token, 2)
        try:
            after = (date.fromisoformat(str(day)), int(sequence))
        except ValueError:
            raise ValidationFailed.single("page_token", "is not a token from a previous page") from None
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_read)
        rows = await uow.transactions.page(
            portfolio_id,
            include_deleted=include_deleted,
            symbol=symbol.strip().upper() or None,
            after=after,
            limit=limit + 1,
        )
    page, more = rows[:limit], len(rows) > limit
    token = encode_page_token(page[-1].trade_date.isoformat(), page[-1].sequence) if more else ""
    return TransactionPage(page, token)


async def _live(uow: UnitOfWork, portfolio_id: UUID, transaction_id: UUID) -> Transaction:
    transaction = await uow.transactions.get(portfolio_id, transaction_id)
    if transaction is None or transaction.deleted_at is not None:
        raise NotFound("transaction")
    return transaction


async def _log(
    deps: Dependencies,
    uow: UnitOfWork,
    caller: Caller,
    portfolio_id: UUID,
    action: str,
    transaction: Transaction,
    *,
    before: Transaction | None = None,
) -> None:
    now = deps.clock.now()
    details: dict[str, object] = transaction_record(transaction)
    if before is not None:
        details = {"from": transaction_record(before), "to": details}
    await uow.changes.record(Change(portfolio_id, caller.user_id, action, str(transaction.id), details, now))
    uow.record(LedgerChanged(portfolio_id, caller.user_id, action, (transaction.id,), now))
