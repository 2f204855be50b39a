from pathlib import Path

from eqr_launcher.infrastructure import Infrastructure

EXTERNAL = {
    "DATABASE_URL": "postgresql+psycopg://app@db.example:5432/eqr",
    "NATS_URL": "nats://nats.example:4222",
    "REDIS_URL": "redis://redis.example:6379/0",
}


def test_servers_named_by_url_are_used_instead_of_embedded_ones(tmp_path: Path) -> None:
    with Infrastructure(tmp_path, environ=EXTERNAL) as infra:
        assert infra.embedded == ()
        assert infra.urls.env() == EXTERNAL
    assert not (tmp_path / ".launcher.lock").exists()
