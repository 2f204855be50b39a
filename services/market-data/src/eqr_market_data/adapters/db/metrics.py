"""Data-quality findings as Prometheus counters, counted once they are stored."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from eqr_market_data.domain.quality import QualityIssue

QUALITY_ISSUES = Counter(
    "market_data_quality_issues_total",
    "Rows the data-quality checks rejected or flagged, by check and severity",
    ["check", "severity"],
)


def count_issues(issues: Sequence[QualityIssue]) -> None:
    for issue in issues:
        QUALITY_ISSUES.labels(issue.check, issue.severity.value).inc()
