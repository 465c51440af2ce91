"""Real-server markers for any suite that loads this plugin: ``rabbitmq`` and ``postgres``.

Locally a test whose server does not answer is skipped; under ``CI=true`` it fails, so a
green CI can never hide skipped integration tests.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

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


@pytest.fixture(params=BROKERS, ids=["memory", "amqp"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over the in-process broker and RabbitMQ: one body, both modes."""
    return str(request.param)
