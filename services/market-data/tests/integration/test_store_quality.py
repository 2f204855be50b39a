"""Data-quality findings: recorded, counted per check and severity, listed newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.quality import QualityIssue, Severity

SEEN = datetime(2025, 3, 14, 21, 0, tzinfo=UTC)

ISSUES = [
    QualityIssue("AAPL", "non_positive_price", Severity.REJECTED, "close is -1.0", "close", 12, SEEN),
    QualityIssue("AAPL", "outlier_jump", Severity.FLAGGED, "close moved 45%", "close"),
    QualityIssue("MSFT", "non_positive_price", Severity.REJECTED, "open is 0.0", "open", 3),
    QualityIssue("MSFT", "non_positive_price", Severity.FLAGGED, "volume is 0", "volume"),
    QualityIssue("AAPL", "non_positive_price", Severity.REJECTED, "low is 0.0", "low", 40),
]


async def test_issues_round_trip_newest_first(store: SqlMarketStore) -> None:
    await store.record_quality_issues(ISSUES)

    assert await store.recent_quality_issues() == list(reversed(ISSUES))
    assert await store.recent_quality_issues(limit=2) == [ISSUES[4], ISSUES[3]]
    assert await store.recent_quality_issues("AAPL", limit=2) == [ISSUES[4], ISSUES[1]]


async def test_counts_per_check_and_severity(store: SqlMarketStore) -> None:
    await store.record_quality_issues(ISSUES)
    await store.record_quality_issues([])

    assert await store.quality_counts() == [
        ("non_positive_price", Severity.FLAGGED, 1),
        ("non_positive_price", Severity.REJECTED, 3),
        ("outlier_jump", Severity.FLAGGED, 1),
    ]
    assert await store.quality_counts("AAPL") == [
        ("non_positive_price", Severity.REJECTED, 2),
        ("outlier_jump", Severity.FLAGGED, 1),
    ]
    assert await store.quality_counts("NOPE") == []


async def test_stored_findings_are_counted_as_metrics(store: SqlMarketStore) -> None:
    def rejected_prices() -> float:
        labels = {"check": "non_positive_price", "severity": "rejected"}
        return REGISTRY.get_sample_value("market_data_quality_issues_total", labels) or 0.0

    before = rejected_prices()
    await store.record_quality_issues(ISSUES)
    await store.save_daily_bars([], ISSUES[:1])
    assert rejected_prices() - before == 4
