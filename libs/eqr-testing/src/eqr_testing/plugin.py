"""pytest plugin: real PostgreSQL/NATS/Redis and the whole fleet as session fixtures.

Tests that use the infrastructure fixtures are marked `infra`, tests that use the fleet `e2e`, so
`pytest -m "not infra and not e2e"` runs only the fast tests.
"""

import tempfile
from collections.abc import Iterator
from dataclasses import replace

import pytest

from eqr_launcher.fleet import Fleet
from eqr_launcher.infrastructure import Infrastructure, InfraUrls
from eqr_testing.databases import session_database
from eqr_testing.mail import Mailbox

INFRA_FIXTURES = frozenset({"infra", "database_url", "nats_url", "redis_url"})
FLEET_FIXTURES = frozenset({"fleet", "gateway_url", "mailbox"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "infra: needs real PostgreSQL, NATS and Redis")
    config.addinivalue_line("markers", "e2e: drives the whole fleet through the gateway")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & INFRA_FIXTURES:
            item.add_marker(pytest.mark.infra)
        if used & FLEET_FIXTURES:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def infra() -> Iterator[InfraUrls]:
    """Embedded servers in a fresh directory, or the ones *_URL name (then with a database of our own).

    The directory is not under pytest's tmp root: pytest resets that to mode 0700 whenever a session
    starts, which would lock out the unprivileged user PostgreSQL runs as when tests run as root.
    """
    with (
        tempfile.TemporaryDirectory(prefix="eqr-infra-") as data_dir,
        Infrastructure(data_dir) as running,
    ):
        if "postgres" in running.embedded:
            yield running.urls
        else:
            with session_database(running.database_url) as database_url:
                yield replace(running.urls, database_url=database_url)


@pytest.fixture(scope="session")
def database_url(infra: InfraUrls) -> str:
    return infra.database_url


@pytest.fixture(scope="session")
def nats_url(infra: InfraUrls) -> str:
    return infra.nats_url


@pytest.fixture(scope="session")
def redis_url(infra: InfraUrls) -> str:
    return infra.redis_url


@pytest.fixture(scope="session")
def fleet(infra: InfraUrls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Every installed service and two gateways on free ports, on the session's infrastructure
    (two, because side-by-side gateways must each deliver every live update)."""
    with Fleet(infra, data_dir=tmp_path_factory.mktemp("eqr-fleet"), gateways=2) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_url(fleet: Fleet) -> str:
    return fleet.gateway_url


@pytest.fixture(scope="session")
def gateway_urls(fleet: Fleet) -> list[str]:
    return list(fleet.gateway_urls)


@pytest.fixture(scope="session")
def mailbox(fleet: Fleet) -> Mailbox:
    """The mails the fleet's auth service has sent: `mailbox.newest("user@example.com")`."""
    return Mailbox(fleet.mail_dir)
