"""The in-process hub harness behind the ``hub_factory`` fixture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from omnihub_contracts import CloudEvent

from ..config import HubConfig
from ..plugin_api import Consumer, CustomerDirectory, RetryPolicy
from ..runtime import Hub

ADMIN_TOKEN = "omnihub-test-admin-token"
FAST_RETRY = RetryPolicy((0.01, 0.01))


async def eventually(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any], *, timeout: float = 5.0
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; return that."""
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.01)


@dataclass
class EventCollector:
    """A consumer that records what it is handed, for tests to await."""

    name: str
    events: list[CloudEvent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, event: CloudEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(
        self,
        count: int = 1,
        *,
        where: Callable[[CloudEvent], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[CloudEvent]:
        """The first ``count`` events (matching ``where``) once they arrived."""

        def matching() -> list[CloudEvent]:
            return [e for e in self.events if where is None or where(e)]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(matching()) >= count)
        return matching()[:count]


@dataclass
class HubHarness:
    hub: Hub
    client: TestClient[Any, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    async def publish(self, *events: CloudEvent | Mapping[str, Any]) -> list[str]:
        return await self.hub.publish(list(events))

    async def collect(
        self,
        name: str,
        *patterns: str,
        purposes: tuple[str, ...] = (),
        retry: RetryPolicy = FAST_RETRY,
    ) -> EventCollector:
        collector = EventCollector(name)
        await self.hub.add_consumer(
            Consumer(name, patterns or ("#",), collector.handle, purposes=purposes, retry=retry),
            plugin="(test)",
        )
        return collector


def make_config(
    tmp_path: Path,
    *,
    plugins: Mapping[str, Mapping[str, Any]] | None = None,
    broker_url: str = "memory://",
    **sections: Any,
) -> HubConfig:
    """A HubConfig for tests: everything under ``tmp_path``, an admin token, given plugins."""
    data: dict[str, Any] = {
        "hub": {"data_dir": str(tmp_path / "data")},
        "broker": {"url": broker_url, "drain_timeout": 2.0},
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "api": {"tokens": [{"name": "test", "token": ADMIN_TOKEN, "scopes": ["admin"]}]},
        "plugins": {name: dict(table) for name, table in (plugins or {}).items()},
    }
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return HubConfig.model_validate(data)


HubFactory = Callable[..., Awaitable[HubHarness]]


@pytest_asyncio.fixture
async def hub_factory(tmp_path: Path) -> AsyncIterator[HubFactory]:
    """Start in-process hubs; all are stopped at the end of the test.

    ``await hub_factory(plugins={"name": module}, config={"name": {...}}, discover=False)``;
    ``alongside=harness``: the new hub shares that one's broker (the in-process one too)
    and store, as a second ``omnihub run`` process would.
    """
    from ..http import build_app

    started: list[HubHarness] = []

    async def factory(
        *,
        plugins: Mapping[str, object] | None = None,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        discover: bool = False,
        broker_url: str = "memory://",
        customers: CustomerDirectory | None = None,
        alongside: HubHarness | None = None,
        **sections: Any,
    ) -> HubHarness:
        tables: dict[str, Mapping[str, Any]] = {name: {} for name in plugins or {}}
        tables |= dict(config or {})
        shared = None
        if alongside is not None:  # another "process" of the same deployment
            first = alongside.hub
            broker_url = first.config.broker.url
            sections.setdefault("store", {"url": first.config.store.url})
            shared = first.broker if broker_url.startswith("memory") else None
        hub_config = make_config(
            tmp_path / f"hub{len(started)}", plugins=tables, broker_url=broker_url, **sections
        )
        hub = Hub(
            hub_config,
            extra_plugins=plugins,
            discover=discover,
            customers=customers,
            broker=shared,
        )
        if alongside is None:  # a shared RabbitMQ may hold a crashed run's leftovers
            await _delete_queues(hub)
        await hub.start()
        client: TestClient[Any, Any] = TestClient(TestServer(build_app(hub)))
        await client.start_server()
        harness = HubHarness(hub, client)
        started.append(harness)
        return harness

    yield factory
    for harness in reversed(started):
        await harness.client.close()
        await harness.hub.stop()
    for harness in started:  # once all stopped: hubs side by side consume the same queues
        await _delete_queues(harness.hub)


async def _delete_queues(hub: Hub) -> None:
    """On a real broker, remove the queues this hub declares so tests never share messages."""
    from ..broker import open_broker

    if hub.config.broker.url.startswith("memory"):
        return
    broker = open_broker(hub.config.broker.url)
    await broker.connect()
    try:
        for spec in hub.queue_specs():
            await broker.delete_queue(spec)
    finally:
        await broker.close(0)


@pytest.fixture
def omnihub_admin_token() -> str:
    return ADMIN_TOKEN
