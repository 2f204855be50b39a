"""The ``market_data`` schema. Only this service reads or writes it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Identity,
    Index,
    Integer,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from eqr_market_data.domain.model import Financials
from eqr_platform.db import outbox_table, schema_metadata

SCHEMA = "market_data"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

FINANCIALS_KEY = ("symbol", "period", "fiscal_date")
FINANCIAL_FIGURES = tuple(
    f.name for f in fields(Financials) if f.name not in {*FINANCIALS_KEY, "currency", "source"}
)
"""Every figure of a reporting period, one nullable column each (NULL where the source gave none)."""

metadata = schema_metadata(SCHEMA)


def _price(name: str) -> Column[float]:
    return Column(name, Double, nullable=False)


def _text(name: str) -> Column[str]:
    return Column(name, Text, nullable=False)


instruments = Table(
    "instruments",
    metadata,
    Column("symbol", Text, primary_key=True),
    _text("name"),
    _text("exchange"),
    _text("currency"),
    _text("asset_class"),
    _text("sector"),
    _text("industry"),
    _text("country"),
    Column("shares_outstanding", BigInteger, nullable=False),
    _text("source"),
)

latest_quotes = Table(
    "latest_quotes",
    metadata,
    Column("symbol", Text, primary_key=True),
    _price("price"),
    _price("open"),
    _price("high"),
    _price("low"),
    _price("previous_close"),
    Column("volume", BigInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    _text("source"),
    Column("bid", Double),
    Column("ask", Double),
    Column("stale", Boolean, nullable=False),
)

# The primary keys (symbol, day) and (symbol, start) are the indexes history queries scan.
daily_bars = Table(
    "daily_bars",
    metadata,
    Column("symbol", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    _price("open"),
    _price("high"),
    _price("low"),
    _price("close"),
    Column("volume", BigInteger, nullable=False),
    _text("source"),
)

intraday_bars = Table(
    "intraday_bars",
    metadata,
    Column("symbol", Text, primary_key=True),
    Column("start", DateTime(timezone=True), primary_key=True),
    _price("open"),
    _price("high"),
    _price("low"),
    _price("close"),
    Column("volume", BigInteger, nullable=False),
    _text("source"),
)

corporate_actions = Table(
    "corporate_actions",
    metadata,
    Column("symbol", Text, primary_key=True),
    Column("ex_date", Date, primary_key=True),
    Column("kind", Text, primary_key=True),
    _price("split_ratio"),
    _price("dividend"),
    _text("source"),
)

financials = Table(
    "financials",
    metadata,
    Column("symbol", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("fiscal_date", Date, primary_key=True),
    _text("currency"),
    _text("source"),
    *(Column(name, Double) for name in FINANCIAL_FIGURES),
)

news = Table(
    "news",
    metadata,
    Column("id", Text, primary_key=True),
    Column("symbols", ARRAY(Text), nullable=False),
    _text("headline"),
    _text("summary"),
    _text("publisher"),
    _text("url"),
    Column("published_at", DateTime(timezone=True), nullable=False, index=True),
    Column("sentiment", Double, nullable=False),
    _text("source"),
    Index("ix_news_symbols", "symbols", postgresql_using="gin"),
)

quality_issues = Table(
    "quality_issues",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("symbol", Text, nullable=False, index=True),
    _text("check"),
    _text("severity"),
    _text("message"),
    _text("field"),
    Column("line", Integer, nullable=False),
    Column("observed_at", DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
