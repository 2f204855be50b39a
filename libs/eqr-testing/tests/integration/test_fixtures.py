"""The session fixtures hand out real, reachable servers."""

import asyncio
from pathlib import Path

import nats
import psycopg
import redis

from eqr_testing.databases import libpq_url, session_database


def test_database_url_reaches_postgresql(database_url: str) -> None:
    assert database_url.startswith("postgresql+psycopg://")
    with psycopg.connect(libpq_url(database_url)) as connection:
        assert connection.execute("SELECT current_database()").fetchone() is not None


def test_redis_url_reaches_redis(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.ping()


def test_nats_url_reaches_nats_with_jetstream(nats_url: str) -> None:
    async def account_info() -> int:
        client = await nats.connect(nats_url)
        try:
            return (await client.jetstream().account_info()).streams
        finally:
            await client.close()

    assert asyncio.run(account_info()) >= 0


def test_a_session_database_is_created_and_dropped(database_url: str, tmp_path: Path) -> None:
    with session_database(database_url, prefix="eqr_plugin") as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("eqr_plugin_")
        with psycopg.connect(libpq_url(url)) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (name,)
    with psycopg.connect(libpq_url(database_url)) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found is None
