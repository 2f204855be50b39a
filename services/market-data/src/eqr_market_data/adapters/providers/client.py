"""One resilient GET-JSON path shared by every provider adapter.

A call goes through the provider's circuit breaker, then (per attempt) its rate limiter,
then HTTP. Timeouts, connection errors and 5xx are retried with backoff; a 429 pauses the
limiter (honouring Retry-After) and raises ``RateLimited``; every other answer is handed to
the provider's ``check`` hook and then to the caller's ``parse``. Malformed payloads become
``SourceError``. API keys never appear in raised messages or logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from eqr_market_data.adapters.providers.payload import MalformedPayload
from eqr_market_data.app.ports import NotFoundAtSource, NotSupported, RateLimited, SourceError
from eqr_platform.resilience import (
    SECONDS_PER_DAY,
    CircuitBreaker,
    CircuitOpen,
    Clock,
    RateLimiter,
    RateLimitExceeded,
    RetryPolicy,
    Sleep,
    retry_async,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

REDACTED = "***"
DEFAULT_PAUSE_SECONDS = 60.0
"""How long to hold off after a 429 that does not say (no or unreadable Retry-After)."""


@dataclass
class Resilience:
    """The mechanics one provider's calls go through; one instance per provider."""

    limiter: RateLimiter
    breaker: CircuitBreaker
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer that was neither a 5xx nor a 429; ``payload`` is None when it is not JSON."""

    status: int
    payload: Any


class _Transient(SourceError):
    """Worth another attempt: a timeout, a dropped connection, a 5xx."""


class _SecretFilter(logging.Filter):
    """Scrubs registered secrets from records of loggers that print request URLs (httpx)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact(message, self.secrets)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


_secret_filter = _SecretFilter()
logging.getLogger("httpx").addFilter(_secret_filter)


def redact(message: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, REDACTED)
    return message


def _counts_against_the_circuit(error: Exception) -> bool:
    """What counts against a provider's circuit: anything but a clear answer (unknown symbol,
    not offered, throttled) or a bad request of ours."""
    if isinstance(error, NotFoundAtSource | NotSupported | RateLimited):
        return False
    return isinstance(error, SourceError)


class ProviderClient:
    """One provider's HTTP access; ``check`` maps the provider's error answers to port errors."""

    def __init__(
        self,
        *,
        source: str,
        http: httpx.AsyncClient,
        base_url: str,
        resilience: Resilience,
        check: Callable[[Reply], None],
        secrets: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._source = source
        self._http = http
        self._base_url = base_url.rstrip("/")
        self.resilience = resilience
        self._check = check
        self._secrets = tuple(secret for secret in secrets if secret)
        _secret_filter.secrets.update(self._secrets)
        self._headers = dict(headers or {})
        self._clock = clock
        self._sleep = sleep

    def redact(self, message: str) -> str:
        return redact(message, self._secrets)

    async def get(self, path: str, params: Mapping[str, str], parse: Callable[[Any], T], *, what: str) -> T:
        """GETs ``path`` under the base URL and returns ``parse(decoded JSON)``."""

        async def attempt() -> T:
            return await self._attempt(path, params, parse, what)

        def log_retry(number: int, error: Exception, delay: float) -> None:
            log.warning(
                "provider call failed, retrying",
                extra={
                    "source": self._source,
                    "what": what,
                    "retry": number,
                    "delay_s": round(delay, 3),
                    "error": self.redact(str(error)),
                },
            )

        async def attempts() -> T:
            return await retry_async(
                attempt,
                policy=self.resilience.retry,
                retryable=lambda error: isinstance(error, _Transient),
                sleep=self._sleep,
                on_retry=log_retry,
            )

        try:
            return await self.resilience.breaker.call(attempts, is_failure=_counts_against_the_circuit)
        except CircuitOpen as open_circuit:
            raise SourceError(
                f"{self._source}: circuit open after repeated failures; next trial in "
                f"{open_circuit.retry_after:.0f}s"
            ) from None

    def rate_limited(self, seconds: float | None, reason: str) -> RateLimited:
        """Pauses the limiter for ``seconds`` (the default pause when unknown); the error to raise."""
        wait = DEFAULT_PAUSE_SECONDS if seconds is None else max(0.0, seconds)
        self.resilience.limiter.pause(wait)
        log.info("provider rate limit hit", extra={"source": self._source, "pause_s": wait})
        return RateLimited(f"{self._source}: {reason}", retry_after=wait)

    def daily_budget_spent(self, reason: str) -> RateLimited:
        """Marks today's budget spent (the provider says so); the error to raise."""
        self.resilience.limiter.exhaust_daily_budget()
        now = self._clock()
        retry_after = (now // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY - now
        log.info("provider daily budget spent", extra={"source": self._source})
        return RateLimited(f"{self._source}: {reason}", retry_after=retry_after)

    async def _attempt(self, path: str, params: Mapping[str, str], parse: Callable[[Any], T], what: str) -> T:
        try:
            await self.resilience.limiter.acquire()
        except RateLimitExceeded as refused:
            raise RateLimited(f"{self._source}: {refused.reason}", retry_after=refused.retry_after) from None
        try:
            response = await self._http.get(self._base_url + path, params=params, headers=self._headers)
        except httpx.TimeoutException:
            raise _Transient(f"{self._source}: {what} timed out") from None
        except httpx.TransportError as error:
            detail = self.redact(str(error)) or type(error).__name__
            raise _Transient(f"{self._source}: {what} failed: {detail}") from None
        status = response.status_code
        if status >= 500:
            raise _Transient(f"{self._source}: {what} answered HTTP {status}")
        if status == 429:
            raise self.rate_limited(
                self._retry_after(response.headers), f"{what} answered HTTP 429 (rate limited)"
            )
        reply = Reply(status, _decoded(response))
        self._check(reply)
        if not 200 <= status < 300:
            raise SourceError(f"{self._source}: {what} answered HTTP {status}")
        if reply.payload is None:
            raise SourceError(f"{self._source}: {what} answered with something other than JSON")
        try:
            return parse(reply.payload)
        except MalformedPayload as malformed:
            raise SourceError(f"{self._source}: malformed {what}: {self.redact(str(malformed))}") from None
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
            raise SourceError(f"{self._source}: malformed {what} ({type(error).__name__})") from None

    def _retry_after(self, headers: httpx.Headers) -> float | None:
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - self._clock())


def _decoded(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
