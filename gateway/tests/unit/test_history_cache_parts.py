"""Which history replies are live (kept as briefly as a quote) and what keys them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eqr_gateway.history_cache import history_cache_key, reaches_today
from eqr_gateway.history_window import Window

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("end", "live"),
    [
        (None, True),  # a range, or from without to: up to now
        (NOW, True),
        (datetime(2026, 3, 3, 0, 0, tzinfo=UTC), True),  # yesterday: the service may still add the live bar
        (datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC), False),  # the day before: closed days only
        (datetime(2026, 3, 3, 5, 0, tzinfo=timezone(timedelta(hours=8))), False),  # 2 March, 21:00 UTC
        (datetime(2024, 12, 31, tzinfo=UTC), False),
    ],
)
def test_a_window_is_live_when_it_ends_yesterday_or_later(end: datetime | None, live: bool) -> None:
    assert reaches_today(Window(start=None, end=end, start_field="query.from"), NOW) is live


def test_the_key_is_the_window_as_asked() -> None:
    start = datetime(2021, 3, 1, tzinfo=UTC)
    end = datetime(2021, 6, 30, 23, 59, 59, tzinfo=UTC)
    keys = {
        history_cache_key("1d", False, "10y", None, None),
        history_cache_key("1d", True, "10y", None, None),
        history_cache_key("1wk", False, "10y", None, None),
        history_cache_key("1d", False, "5y", None, None),
        history_cache_key("1d", False, None, start, end),
        history_cache_key("1d", False, None, start, None),
        history_cache_key("1d", False, None, None, end),
        history_cache_key("1d", False, None, None, None),
    }
    assert len(keys) == 8
    assert history_cache_key("1d", False, None, start, end) == history_cache_key(
        "1d", False, None, start, end
    )
