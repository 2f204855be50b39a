"""The portfolio unit of work: every repository on one session, events into the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eqr_platform.db import UnitOfWork
from eqr_portfolio.adapters.db.alerts import SqlAlertRepository
from eqr_portfolio.adapters.db.ledger import SqlChangeRepository, SqlTransactionRepository
from eqr_portfolio.adapters.db.portfolios import SqlPortfolioRepository, SqlShareRepository
from eqr_portfolio.adapters.db.tables import outbox
from eqr_portfolio.adapters.db.templates import SqlTemplateRepository
from eqr_portfolio.adapters.nats.events import to_message
from eqr_portfolio.domain.events import DomainEvent


class SqlUnitOfWork(UnitOfWork):
    portfolios: SqlPortfolioRepository
    shares: SqlShareRepository
    transactions: SqlTransactionRepository
    changes: SqlChangeRepository
    templates: SqlTemplateRepository
    alerts: SqlAlertRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, outbox)

    def _open(self) -> None:
        self.portfolios = SqlPortfolioRepository(self.session)
        self.shares = SqlShareRepository(self.session)
        self.transactions = SqlTransactionRepository(self.session)
        self.changes = SqlChangeRepository(self.session)
        self.templates = SqlTemplateRepository(self.session)
        self.alerts = SqlAlertRepository(self.session)

    def record(self, event: DomainEvent) -> None:
        subject, message = to_message(event)
        self.publish(subject, message)
