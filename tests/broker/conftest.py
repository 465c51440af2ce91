"""One broker fixture, parametrised over every transport: the same test bodies run on each."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from hub.broker import Broker, open_broker
from tests.conftest import AMQP_URL

from .rabbit import USED_TAGS, delete_declared, delete_names, leftovers, named_url

TRANSPORTS = ["memory", pytest.param("amqp", marks=pytest.mark.rabbitmq)]


@pytest.fixture(params=TRANSPORTS)
async def broker(request: pytest.FixtureRequest, names: Names) -> AsyncIterator[Broker]:
    if request.param == "memory":
        url = "memory://"
    else:
        # Named after the test, so a fault test can close exactly its own connections.
        url = named_url(AMQP_URL, f"omnihub-test-{names.tag} {request.node.name}")
    instance = open_broker(url)
    await instance.connect()
    try:
        yield instance
    finally:
        await instance.close(drain_timeout=2.0)
        if request.param == "amqp":
            # What the test declared on the shared RabbitMQ, found by its tag.
            await delete_declared(AMQP_URL, instance, names.tag)


@pytest.fixture
def names() -> Names:
    return Names()


class Names:
    """Unique exchange and queue names per test, so tests never see each other's traffic."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:8]

    def exchange(self, base: str = "events") -> str:
        return f"test.{self.tag}.{base}"

    def queue(self, base: str = "consumer") -> str:
        return f"omnihub.test-{self.tag}.{base}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Sweep what RabbitMQ tests left behind (brokers a test opened itself, crashes)."""
    exchanges, queues = leftovers(USED_TAGS)
    if exchanges or queues:
        asyncio.run(delete_names(AMQP_URL, exchanges, queues))
