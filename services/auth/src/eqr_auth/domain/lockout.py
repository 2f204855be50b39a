"""Brute-force protection: failed logins counted in a sliding window.

Failures are counted per account (its email, whether or not it exists, so lockout does
not reveal accounts) and per client address. While either count within its window
reaches its limit, logins are refused, even with the right password.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    account_limit: int = 5
    account_window: timedelta = timedelta(minutes=15)
    ip_limit: int = 20
    ip_window: timedelta = timedelta(minutes=15)

    def retry_after(
        self, *, account_failures: Sequence[datetime], ip_failures: Sequence[datetime], now: datetime
    ) -> int | None:
        """Seconds until a login may be tried again, or None when it may be tried now."""
        waits = [
            wait
            for wait in (
                _wait(account_failures, self.account_limit, self.account_window, now),
                _wait(ip_failures, self.ip_limit, self.ip_window, now),
            )
            if wait is not None
        ]
        return max(waits) if waits else None


def _wait(failures: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    recent = sorted(at for at in failures if now - window < at <= now)
    if len(recent) < limit:
        return None
    # The lock lifts once enough failures age out that fewer than ``limit`` remain.
    unlock_at = recent[len(recent) - limit] + window
    return max(1, math.ceil((unlock_at - now).total_seconds()))
