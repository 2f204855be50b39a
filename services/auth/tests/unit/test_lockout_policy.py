from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from eqr_auth.domain.lockout import LockoutPolicy

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LockoutPolicy()


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_failures_than_the_limit_do_not_lock() -> None:
    assert POLICY.retry_after(account_failures=minutes_ago(1, 2, 3, 4), ip_failures=[], now=NOW) is None


def test_the_fifth_failure_locks_until_the_oldest_ages_out() -> None:
    retry = POLICY.retry_after(account_failures=minutes_ago(10, 4, 3, 2, 1), ip_failures=[], now=NOW)
    assert retry == 5 * 60


def test_failures_outside_the_window_do_not_count() -> None:
    assert POLICY.retry_after(account_failures=minutes_ago(16, 15, 3, 2, 1), ip_failures=[], now=NOW) is None


def test_more_failures_than_the_limit_wait_for_enough_of_them_to_expire() -> None:
    retry = POLICY.retry_after(account_failures=minutes_ago(14, 12, 6, 5, 4, 3), ip_failures=[], now=NOW)
    assert retry == 3 * 60


def test_the_address_limit_is_separate_and_larger() -> None:
    nineteen = minutes_ago(*(m / 2 for m in range(2, 21)))
    assert POLICY.retry_after(account_failures=[], ip_failures=nineteen, now=NOW) is None
    twenty = [*nineteen, NOW - timedelta(seconds=30)]
    assert POLICY.retry_after(account_failures=[], ip_failures=twenty, now=NOW) == 5 * 60


@given(st.lists(st.floats(min_value=0, max_value=30), max_size=40))
def test_retry_after_is_positive_and_within_the_window(minutes: list[float]) -> None:
    retry = POLICY.retry_after(account_failures=minutes_ago(*minutes), ip_failures=[], now=NOW)
    recent = [m for m in minutes if m < 15]
    assert (retry is not None) == (len(recent) >= POLICY.account_limit)
    if retry is not None:
        assert 1 <= retry <= 15 * 60
