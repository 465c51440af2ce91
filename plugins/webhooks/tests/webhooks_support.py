"""A local HTTP receiver that records what it was sent, and test events."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub import CloudEvent
from hub.testing import fake_http_servers

KEY = b"omnihub-test-signing-key-32bytes"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"an-older-test-key-of-32-bytes!!!").decode()


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


# Answers a request; gets it and its 1-based number. None: 204 No Content.
Responder = Callable[[Received, int], Awaitable[web.StreamResponse | None]]


@dataclass
class Receiver:
    respond: Responder | None = None
    hang: bool = False  # hold every request until ``released`` is set (at teardown)
    requests: list[Received] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/hook"))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(dict(request.headers), await request.read())
        async with self._changed:
            self.requests.append(received)
            number = len(self.requests)
            self._changed.notify_all()
        if self.hang:
            await self.released.wait()
        answer = await self.respond(received, number) if self.respond else None
        return answer if answer is not None else web.Response(status=204)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.requests) >= count)
        return self.requests[:count]

    def ids(self) -> list[str]:
        return [r.event["id"] for r in self.requests]


ReceiverFactory = Callable[..., Awaitable[Receiver]]


@pytest_asyncio.fixture
async def receiver_factory() -> AsyncIterator[ReceiverFactory]:
    started: list[Receiver] = []
    async with fake_http_servers() as serve:

        async def start(respond: Responder | None = None, *, hang: bool = False) -> Receiver:
            receiver = Receiver(respond, hang)
            receiver.server = await serve(receiver.handle, method="POST", path="/hook")
            started.append(receiver)
            return receiver

        yield start
        for receiver in started:
            receiver.released.set()  # hanging handlers end before their server closes


def updated(customer: str, n: int, *, plan: str | None = None) -> CloudEvent:
    return CloudEvent(
        id=f"{customer}-upd-{n}",
        source="/tests",
        type="customer.updated",
        customerid=customer,
        data={
            "traits": {"plan": {"value": plan or f"plan-{n}", "source": "test"}},
            "changed": ["plan"],
        },
    )


def endpoint(name: str, url: str, **extra: Any) -> dict[str, Any]:
    """An endpoint table for tests: quick retries, and no consent purpose to satisfy."""
    table: dict[str, Any] = {
        "name": name,
        "url": url,
        "secret": SECRET,
        "events": ["customer.#"],
        "purposes": [],
        "timeout": 5.0,
        "attempts": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.02,
        "retry_schedule": [0.05, 0.05, 0.05],
    }
    return table | extra
