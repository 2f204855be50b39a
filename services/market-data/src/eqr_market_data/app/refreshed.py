"""Stored data with no natural end (news, fundamentals, instrument facts) refreshed from the
sources at most once per period.

The period is a mark with a TTL in the shared cache, claimed atomically, so across replicas
one caller refreshes and the others serve what is stored; within a process the callers
waiting for the same key share that one refresh. A failed refresh is retried after
``retry`` (sooner than the period), and what is stored is served meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from eqr_market_data.app.ports import RefreshMarks, SingleFlight
from eqr_market_data.domain.errors import MarketDataError

log = logging.getLogger(__name__)

DEFAULT_RETRY = timedelta(minutes=1)


class Refreshed:
    def __init__(
        self,
        marks: RefreshMarks,
        flights: SingleFlight[str, MarketDataError | None],
        *,
        retry: timedelta = DEFAULT_RETRY,
    ) -> None:
        self._marks = marks
        self._flights = flights
        self._retry = retry

    async def ensure(
        self, key: str, every: timedelta, fetch: Callable[[], Awaitable[None]]
    ) -> MarketDataError | None:
        """Runs ``fetch`` when ``key`` was not refreshed within ``every``; returns the error of
        a failed fetch (the sources' ``SourceUnavailable`` or ``UnknownSymbol``), if any."""

        async def refresh() -> MarketDataError | None:
            if not await self._marks.claim(key, every.total_seconds()):
                return None
            try:
                await fetch()
            except MarketDataError as error:
                log.warning("refresh failed", extra={"key": key, "error": str(error)})
                await self._marks.hold(key, min(every, self._retry).total_seconds())
                return error
            return None

        return await self._flights.do(key, refresh)
