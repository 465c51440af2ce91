"""Test kit for the Meta channel plugins: signed requests, a fake Graph API, a fake directory.

async with FakeGraph() as graph:                 # records every call it receives
    graph.reply(429, {"error": {"code": 4}})     # then the default answer
    harness = await hub_factory(plugins={"whatsapp": plugin},
                                config={"whatsapp": table(graph.url)})
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from omnihub_contracts import CloudEvent, Identifier

from hub.testing import HubHarness

from .events import event_id
from .signature import SIGNATURE_HEADER, sign

TEST_SECRET = "test-app-secret"
TEST_VERIFY_TOKEN = "test-verify-token"


def config_table(graph_url: str = "http://127.0.0.1:9", **extra: Any) -> dict[str, Any]:
    """A plugin table for tests: test secrets and fast, short retries."""
    return {
        "app_secret": TEST_SECRET,
        "verify_token": TEST_VERIFY_TOKEN,
        "access_token": "test-access-token",
        "graph_api_url": graph_url,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "request_timeout": 5.0,
        **extra,
    }


def signed(
    payload: bytes | dict[str, Any], secret: str = TEST_SECRET
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Meta would send for ``payload``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"}


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


_probes = itertools.count()


async def webhook_events(
    harness: HubHarness, channel: str, payload: dict[str, Any], count: int
) -> list[CloudEvent]:
    """Post ``payload`` signed to the channel's webhook, which must give ``count`` events
    (the channel's own, in order: not the hub's announcements about them)."""
    seen = await harness.collect(f"probe-{next(_probes)}", "#")
    body, headers = signed(payload)
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    if response.status != 200:
        raise AssertionError(f"HTTP {response.status}: {await response.text()}")
    assert await response.json() == {"accepted": count}
    return await seen.wait_for(count, where=lambda e: e.source.startswith(f"/plugins/{channel}/"))


def canonical(channel: str, expected: tuple[str, str, dict[str, Any]]) -> tuple[str, str, Any]:
    """``(type, id key, data)`` as the events of the channel carry them."""
    type_, key, data = expected
    return (type_, event_id(channel, key), data)


def observed(event: CloudEvent) -> tuple[str, str, Any]:
    return (event.type, event.id, event.data.model_dump(mode="json", exclude_none=True))


Expected = tuple[str, str, dict[str, Any]]  # (type, id key, data as JSON)


async def check_sample(
    harness: HubHarness,
    channel: str,
    payload: dict[str, Any],
    expected: list[Expected],
    account: str,
) -> list[CloudEvent]:
    """Post a sample and assert its exact events: type, deterministic id, data, envelope."""
    events = await webhook_events(harness, channel, payload, len(expected))
    assert [observed(e) for e in events] == [canonical(channel, e) for e in expected]
    for event in events:
        assert event.channel == channel
        # The plugin states no customer; the hub's identity stage resolves the sender.
        if event.type == "message.received":
            assert event.customerid is not None
        assert event.source == f"/plugins/{channel}/{account}"
        if event.type == "message.received":
            assert event.time == event.data.sent_at
    return events


@dataclass
class GraphCall:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeGraph:
    """A local Graph API: answers queued replies first, then ``default``; records each call."""

    def __init__(self, default: tuple[int, dict[str, Any]] | None = None):
        self.default = default or (
            200,
            {"messages": [{"id": "wamid.fake-1"}], "message_id": "m_fake-1"},
        )
        self.replies: deque[tuple[int, dict[str, Any]]] = deque()
        self.calls: list[GraphCall] = []
        app = web.Application()
        app.router.add_post("/{version}/{account}/messages", self._messages)
        self.server = TestServer(app)

    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.replies.append((status, body))

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def _messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(GraphCall(request.path, dict(request.headers), body))
        status, answer = self.replies.popleft() if self.replies else self.default
        return web.json_response(answer, status=status)

    async def __aenter__(self) -> FakeGraph:
        await self.server.start_server()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.server.close()


@dataclass
class FakeDirectory:
    """A CustomerDirectory with fixed answers (``hub_factory(customers=FakeDirectory(...))``)."""

    customers: dict[str, list[Identifier]] = field(default_factory=dict)
    inbound: dict[tuple[str, str], datetime] = field(default_factory=dict)

    async def find(self, identifier: Identifier) -> str | None:
        for customer, identifiers in self.customers.items():
            if identifier in identifiers:
                return customer
        return None

    async def identifiers(self, customer_id: str) -> list[Identifier]:
        return list(self.customers.get(customer_id, []))

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        return self.inbound.get((customer_id, channel))

    async def traits(self, customer_id: str) -> dict[str, Any]:
        return {}
