"""Real-server markers for any suite that loads this plugin: ``rabbitmq`` and ``postgres``.

Locally a test whose server does not answer is skipped; under ``CI=true`` it fails, so a
green CI can never hide skipped integration tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

SERVICES = {"rabbitmq": AMQP_URL, "postgres": POSTGRES_URL}
_reachable: dict[str, bool] = {}


def is_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rabbitmq: needs RabbitMQ at AMQP_URL (mandatory in CI)")
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL at POSTGRES_URL (mandatory in CI)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, url in SERVICES.items():
        if item.get_closest_marker(marker) is None:
            continue
        if marker not in _reachable:
            _reachable[marker] = is_reachable(url)
        if not _reachable[marker]:
            message = f"{marker} is not reachable at {urlsplit(url).hostname}:{urlsplit(url).port}"
            if IN_CI:
                pytest.fail(f"{message}: {marker} tests are mandatory when CI=true")
            pytest.skip(message)


BROKERS = ["memory://", pytest.param(AMQP_URL, marks=pytest.mark.rabbitmq, id="amqp")]


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60, check=True)


@pytest.fixture(scope="session")
def amqp_session_url() -> Iterator[str]:
    """``AMQP_URL`` in a virtual host of this test run, when ``rabbitmqctl`` can make one.

    Hubs declare fixed queue names (``omnihub.pipeline`` …): two test runs on one broker
    (CI and a developer, two worktrees) would otherwise take each other's messages.
    """
    if shutil.which("rabbitmqctl") is None or not is_reachable(AMQP_URL):
        yield AMQP_URL
        return
    vhost = f"omnihub-test-{os.getpid()}"
    parts = urlsplit(AMQP_URL)
    try:
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*")
    except (OSError, subprocess.SubprocessError):
        yield AMQP_URL  # no rights to add one: share the default vhost
        return
    try:
        yield urlunsplit(parts._replace(path="/" + vhost))
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A database of this test run, dropped at the end (tests get a schema each in it)."""
    import asyncio

    import asyncpg

    name = f"omnihub_test_{os.getpid()}"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/" + name))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres, id="postgres")]
_schemas = iter(range(1, 1_000_000))


@pytest.fixture(params=STORES, ids=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Parametrises a test over SQLite and PostgreSQL: one body, both backends.

    PostgreSQL tests get a fresh schema (asyncpg passes ``search_path`` from the URL's
    query to the server) in the run's database.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'hub.db'}"
    import asyncio

    import asyncpg

    base = str(request.getfixturevalue("postgres_session_url"))
    schema = f"t{next(_schemas)}"

    async def create() -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{base}?search_path={schema}"


@pytest.fixture(params=BROKERS, ids=["memory", "amqp"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over the in-process broker and RabbitMQ: one body, both modes."""
    if request.param == AMQP_URL:
        return str(request.getfixturevalue("amqp_session_url"))
    return str(request.param)
