"""The shared resilient GET-JSON path every provider adapter uses."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from eqr_market_data.adapters.providers.client import ProviderClient, Reply, Resilience, redact
from eqr_market_data.app.ports import RateLimited, SourceError
from eqr_platform.resilience import CircuitBreaker, RateLimiter

NOW = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(make_clock):
    return make_clock(NOW)


@pytest.fixture
def build(replay, recorded, clock):
    def make(answers, check=lambda _reply: None):
        served = replay(lambda _request: "any", {"any": answers})
        client = ProviderClient(
            source="test",
            http=served.client(),
            base_url="https://provider.example/api/",
            resilience=Resilience(
                limiter=RateLimiter(100, 1, clock=clock, sleep=clock.sleep),
                breaker=CircuitBreaker(3, 30, clock=clock),
            ),
            check=check,
            secrets=["s3cr3t-key"],
            clock=clock,
            sleep=clock.sleep,
        )
        return client, served

    return make


def _json(recorded, body: bytes, **kwargs):
    return recorded(body=body, name="inline.json", **kwargs)


async def test_retry_after_as_an_http_date(build, recorded, clock) -> None:
    later = format_datetime(datetime(2024, 6, 12, 12, 1, 30, tzinfo=UTC), usegmt=True)
    client, _ = build(recorded(status=429, body=b"", headers={"Retry-After": later}))
    with pytest.raises(RateLimited) as limited:
        await client.get("/x", {}, lambda payload: payload, what="x")
    assert limited.value.retry_after == pytest.approx(90)


async def test_an_unreadable_retry_after_falls_back_to_the_default_pause(build, recorded) -> None:
    client, _ = build(recorded(status=429, body=b"", headers={"Retry-After": "soon-ish"}))
    with pytest.raises(RateLimited) as limited:
        await client.get("/x", {}, lambda payload: payload, what="x")
    assert limited.value.retry_after == 60


async def test_the_base_url_and_path_are_joined_once(build, recorded) -> None:
    client, served = build(_json(recorded, b'{"ok": true}'))
    assert await client.get("/items", {"a": "1"}, lambda payload: payload["ok"], what="items") is True
    assert str(served.requests[0].url) == "https://provider.example/api/items?a=1"


@pytest.mark.parametrize(
    "parse",
    [
        lambda payload: payload["missing"],
        lambda payload: payload["list"][5],
        lambda payload: payload["list"] + 1,
        lambda payload: int(payload["text"]),
        lambda payload: payload["list"].nothing,
        lambda payload: 1 / payload["zero"],
    ],
)
async def test_no_parsing_slip_escapes_as_anything_but_a_source_error(build, recorded, parse) -> None:
    client, _ = build(_json(recorded, b'{"list": [1], "text": "abc", "zero": 0}'))
    with pytest.raises(SourceError, match="malformed thing"):
        await client.get("/x", {}, parse, what="thing")


async def test_non_2xx_answers_the_check_lets_through_are_source_errors(build, recorded) -> None:
    seen: list[Reply] = []
    client, served = build(_json(recorded, b'{"detail": "gone"}', status=410), check=seen.append)
    with pytest.raises(SourceError, match="HTTP 410"):
        await client.get("/x", {}, lambda payload: payload, what="x")
    assert seen[0].status == 410
    assert seen[0].payload == {"detail": "gone"}
    assert len(served.requests) == 1


async def test_transport_errors_are_redacted(build) -> None:
    client, _ = build(httpx.ConnectError("cannot reach https://provider.example/api/x?token=s3cr3t-key"))
    with pytest.raises(SourceError) as failed:
        await client.get("/x", {}, lambda payload: payload, what="x")
    assert "s3cr3t-key" not in str(failed.value)
    assert "token=***" in str(failed.value)


def test_redact_replaces_every_secret() -> None:
    assert redact("a=KEY1&b=KEY2&c=KEY1", ["KEY1", "KEY2", ""]) == "a=***&b=***&c=***"
