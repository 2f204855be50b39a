"""The outbox against real PostgreSQL and JetStream: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.protobuf import wrappers_pb2
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from eqr_platform.bus import ConsumerSpec, StreamSpec, connect, consume, ensure_streams
from eqr_platform.db import OutboxRelay, UnitOfWork, create_engine, outbox_table


@pytest.fixture
async def schema() -> str:
    return f"outbox_{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def outbox(engine: AsyncEngine, schema: str) -> Table:
    metadata = MetaData(schema=schema)
    table = outbox_table(metadata)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    return table


@pytest.fixture
async def bus(nats_url: str, schema: str) -> AsyncIterator[tuple[Client, JetStreamContext, str]]:
    client, js = await connect(nats_url, name="outbox-test")
    stream = schema.upper()
    await ensure_streams(js, [StreamSpec(stream, [f"{schema}.>"])])
    yield client, js, stream
    await js.delete_stream(stream)
    await client.close()


def _event(value: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=value)


async def _stream_values(js: JetStreamContext, stream: str) -> list[str]:
    info = await js.stream_info(stream)
    values = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        values.append(wrappers_pb2.StringValue.FromString(message.data or b"").value)
    return values


async def _pending(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).where(table.c.published_at.is_(None)))
    return int(count or 0)


async def test_committed_events_are_relayed_in_order(
    engine: AsyncEngine, outbox: Table, bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with UnitOfWork(sessions, outbox) as uow:
        for value in ("a", "b", "c"):
            uow.publish(f"{schema}.thing.happened", _event(value))
        await uow.commit()

    assert await OutboxRelay(engine, outbox, js).relay_batch() == 3
    assert await _stream_values(js, stream) == ["a", "b", "c"]
    assert await _pending(engine, outbox) == 0


async def test_rolled_back_work_publishes_nothing(
    engine: AsyncEngine, outbox: Table, bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def failing_use_case() -> None:
        async with UnitOfWork(sessions, outbox) as uow:
            uow.publish(f"{schema}.thing.happened", _event("never"))
            raise RuntimeError("use case failed")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert await OutboxRelay(engine, outbox, js).relay_batch() == 0
    assert (await js.stream_info(stream)).state.messages == 0


class _CrashAfterPublishing:
    """JetStream that really publishes, then dies before the relay can mark the rows."""

    def __init__(self, js: JetStreamContext, survive: int) -> None:
        self._js = js
        self._survive = survive

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        ack = await self._js.publish(*args, **kwargs)
        self._survive -= 1
        if self._survive < 0:
            raise ConnectionError("process killed")
        return ack


async def test_crash_between_publish_and_mark_duplicates_nothing(
    engine: AsyncEngine, outbox: Table, bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with UnitOfWork(sessions, outbox) as uow:
        for value in ("a", "b", "c", "d"):
            uow.publish(f"{schema}.thing.happened", _event(value))
        await uow.commit()

    crashing = OutboxRelay(engine, outbox, _CrashAfterPublishing(js, survive=2))  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await crashing.relay_batch()
    assert await _pending(engine, outbox) == 4  # nothing was marked: the transaction died

    assert await OutboxRelay(engine, outbox, js).relay_batch() == 4
    assert await _stream_values(js, stream) == ["a", "b", "c", "d"]


async def test_relay_runs_until_stopped(
    engine: AsyncEngine, outbox: Table, bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    stop = asyncio.Event()
    # Polling only once a minute: the commit's notification is what wakes the relay.
    relay = asyncio.create_task(OutboxRelay(engine, outbox, js, idle_seconds=60).run(stop))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    await asyncio.sleep(0.5)  # listening
    async with UnitOfWork(sessions, outbox) as uow:
        uow.publish(f"{schema}.thing.happened", _event("live"))
        await uow.commit()
    for _ in range(100):
        if (await js.stream_info(stream)).state.messages:
            break
        await asyncio.sleep(0.02)
    assert await _stream_values(js, stream) == ["live"]
    stop.set()
    await asyncio.wait_for(relay, 5)


async def test_consumer_redelivers_until_the_handler_succeeds(
    bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    await js.publish(
        f"{schema}.thing.happened", _event("x").SerializeToString(), headers={"Nats-Msg-Id": "1"}
    )
    attempts: list[str] = []
    stop = asyncio.Event()

    async def flaky(message: Msg) -> None:
        attempts.append(wrappers_pb2.StringValue.FromString(message.data).value)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        stop.set()

    spec = ConsumerSpec(stream=stream, durable="test--flaky", filter_subject=f"{schema}.>")
    await asyncio.wait_for(consume(js, spec, flaky, stop=stop), 15)
    assert attempts == ["x", "x"]


async def test_instance_consumers_each_see_every_message(
    bus: tuple[Client, JetStreamContext, str], schema: str
) -> None:
    _, js, stream = bus
    for n in range(20):
        await js.publish(
            f"{schema}.quote.{n}", _event(str(n)).SerializeToString(), headers={"Nats-Msg-Id": str(n)}
        )
    shared = ConsumerSpec(stream=stream, durable="test--shared", filter_subject=f"{schema}.>")
    seen: dict[str, list[str]] = {}

    async def run(name: str, spec: ConsumerSpec, expected: int) -> None:
        stop = asyncio.Event()
        got = seen.setdefault(name, [])

        async def handle(message: Msg) -> None:
            got.append(wrappers_pb2.StringValue.FromString(message.data).value)
            if len(got) == expected:
                stop.set()

        await asyncio.wait_for(
            consume(js, spec, handle, stop=stop, on_subscribed=lambda: subscribed.append(name)), 15
        )

    subscribed: list[str] = []
    await asyncio.gather(run("a", shared.for_instance("a"), 20), run("b", shared.for_instance("b"), 20))
    assert seen["a"] == seen["b"] == [str(n) for n in range(20)]
    assert sorted(subscribed) == ["a", "b"]
    info = await js.consumer_info(stream, "test--shared--a")
    assert info.config.inactive_threshold == 600.0
