"""The real embedded servers: start, write, stop, start again on the same data dir, read back."""

import asyncio
from pathlib import Path

import nats
import psutil
import psycopg
import pytest
import redis

from eqr_launcher.infrastructure import Infrastructure

pytestmark = pytest.mark.infra  # starts the real embedded servers


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def publish(nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        stream = client.jetstream()
        await stream.add_stream(name="LAUNCHER_TEST", subjects=["eqr.launcher-test.>"])
        ack = await stream.publish("eqr.launcher-test.thing.created", b"kept", headers={"Nats-Msg-Id": "1"})
        assert ack.seq == 1
    finally:
        await client.close()


async def consume(nats_url: str) -> list[bytes]:
    client = await nats.connect(nats_url)
    try:
        subscription = await client.jetstream().pull_subscribe(
            "eqr.launcher-test.>", durable="launcher-test--check", stream="LAUNCHER_TEST"
        )
        messages = await subscription.fetch(1, timeout=5)
        for message in messages:
            await message.ack()
        return [message.data for message in messages]
    finally:
        await client.close()


@pytest.mark.usefixtures("no_leftover_children")
def test_embedded_servers_keep_their_data_across_restarts(data_dir: Path) -> None:
    with Infrastructure(data_dir, environ={}) as infra:
        assert infra.embedded == ("nats", "redis", "postgres")
        assert infra.database_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
        assert infra.database_url.endswith("/eqr")
        with psycopg.connect(libpq(infra.database_url), autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (value text)")
            connection.execute("INSERT INTO kept VALUES ('row')")
        redis.Redis.from_url(infra.redis_url).set("kept", "value")
        asyncio.run(publish(infra.nats_url))
        first_urls = infra.urls

    assert not (data_dir / ".launcher.lock").exists()
    assert not (data_dir / "postgres" / "postmaster.pid").exists()

    with Infrastructure(data_dir, environ={}) as infra:
        assert infra.urls != first_urls  # fresh free ports, same data
        with psycopg.connect(libpq(infra.database_url)) as connection:
            assert connection.execute("SELECT value FROM kept").fetchall() == [("row",)]
        assert redis.Redis.from_url(infra.redis_url).get("kept") == b"value"
        assert asyncio.run(consume(infra.nats_url)) == [b"kept"]


def test_a_stale_postmaster_pid_is_removed(data_dir: Path) -> None:
    with Infrastructure(data_dir, environ={"NATS_URL": "nats://unused", "REDIS_URL": "redis://unused"}):
        pass
    pid_file = data_dir / "postgres" / "postmaster.pid"
    dead_pid = max(psutil.pids()) + 100_000
    pid_file.write_text(f"{dead_pid}\n{data_dir}\n")
    with Infrastructure(
        data_dir, environ={"NATS_URL": "nats://unused", "REDIS_URL": "redis://unused"}
    ) as infra:
        assert infra.embedded == ("postgres",)
        with psycopg.connect(libpq(infra.database_url)) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)


def test_one_launcher_per_data_dir(data_dir: Path) -> None:
    only_redis = {"DATABASE_URL": "postgresql://unused", "NATS_URL": "nats://unused"}
    with Infrastructure(data_dir, environ=only_redis), pytest.raises(RuntimeError, match="in use"):
        Infrastructure(data_dir, environ=only_redis).start()
