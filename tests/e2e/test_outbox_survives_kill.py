"""Nothing is lost and nothing arrives twice when the auth service is killed.

Events are committed with the state change (outbox) and relayed to JetStream later, so
a service killed with SIGKILL right after answering, or down while an operator's CLI
writes, still delivers each event exactly once after it comes back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import httpx
import nats
from google.protobuf.message import Message
from nats.js.api import ConsumerConfig, DeliverPolicy

from eqr.auth.v1 import events_pb2, resources_pb2
from eqr_launcher.fleet import Fleet
from eqr_testing.api import register_and_login


async def _events(nats_url: str, subject: str, message_type: type[Message]) -> list[Message]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        sub = await js.subscribe(
            subject, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        )
        received: list[Message] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                return received
            received.append(message_type.FromString(msg.data))
    finally:
        await client.close()


def _wait_for(
    nats_url: str, subject: str, message_type: type[Message], user_id: str, count: int
) -> list[Message]:
    matching: list[Message] = []
    for _ in range(30):
        events = asyncio.run(_events(nats_url, subject, message_type))
        matching = [e for e in events if e.user_id == user_id]
        if len(matching) >= count:
            break
    return matching


def test_sigkill_right_after_commit_loses_and_duplicates_nothing(
    api: httpx.Client, fleet: Fleet, nats_url: str
) -> None:
    user_ids = []
    for i in range(5):
        account = register_and_login(api, f"killed{i}")
        user_ids.append(account.user_id)
        fleet.kill("auth", signal.SIGKILL)
        fleet.wait_healthy("auth")
    for user_id in user_ids:
        registered = _wait_for(nats_url, "eqr.auth.user.registered", events_pb2.UserRegistered, user_id, 1)
        assert len(registered) == 1, user_id


def test_events_written_while_the_service_is_down_are_relayed_once_it_is_back(
    api: httpx.Client, fleet: Fleet, nats_url: str, database_url: str
) -> None:
    account = register_and_login(api, "promoted")
    fleet.stop("auth")
    try:
        subprocess.run(
            [sys.executable, "-m", "eqr_auth", "grant-admin", account.email],
            env={**os.environ, "DATABASE_URL": database_url, "MIGRATE_ON_START": "false"},
            check=True,
            capture_output=True,
            timeout=60,
        )
    finally:
        fleet.start("auth")
    changed = _wait_for(
        nats_url, "eqr.auth.user.role_changed", events_pb2.UserRoleChanged, account.user_id, 1
    )
    assert len(changed) == 1
    assert changed[0].new_role == resources_pb2.ROLE_ADMIN
