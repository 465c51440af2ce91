"""A fake CustomerDirectory, a fake HubSpot API that records requests, signed posts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from omnihub_hubspot.signature import signature_v3

from hub import Identifier
from hub.testing import fake_http_servers

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"  # HubSpot's documentation secret
TOKEN = "pat-test-token"
WEBHOOK_PATH = "/webhooks/hubspot"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_events(name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(fixture(name))
    return events


class FakeDirectory:
    """The hub's CustomerDirectory, from a dict: customer id -> its identifiers."""

    def __init__(self, profiles: dict[str, list[tuple[str, str]]] | None = None):
        self.profiles = {
            cid: [Identifier(kind=k, value=v) for k, v in ids]
            for cid, ids in (profiles or {}).items()
        }

    async def find(self, identifier: Identifier) -> str | None:
        return next((c for c, ids in self.profiles.items() if identifier in ids), None)

    async def identifiers(self, customer_id: str) -> list[Identifier]:
        return list(self.profiles.get(customer_id, []))

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        return None

    async def traits(self, customer_id: str) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str
    body: Any
    authorization: str


# Answers a call; gets it and how many calls to that method and path came before.
ApiResponder = Callable[[ApiCall, int], Awaitable[web.Response | None]]


@dataclass
class FakeHubSpot:
    respond: ApiResponder | None = None
    calls: list[ApiCall] = field(default_factory=list)
    server: TestServer | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def handle(self, request: web.Request) -> web.Response:
        call = ApiCall(
            request.method,
            request.path,
            await request.json(),
            request.headers.get("Authorization", ""),
        )
        async with self._changed:
            before = sum(1 for c in self.calls if (c.method, c.path) == (call.method, call.path))
            self.calls.append(call)
            self._changed.notify_all()
        answer = await self.respond(call, before) if self.respond else None
        return answer if answer is not None else self.success(call)

    @staticmethod
    def success(call: ApiCall) -> web.Response:
        if call.path.endswith("/batch/update"):
            results = [{"id": i["id"], "properties": i["properties"]} for i in call.body["inputs"]]
            return web.json_response({"status": "COMPLETE", "results": results})
        return web.json_response({"id": call.path.rsplit("/", 1)[-1], "properties": {}})

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ApiCall]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.calls) >= count)
        return self.calls[:count]

    def updates(self) -> list[tuple[str, dict[str, str]]]:
        """(contact id, properties) of every update sent, batched or alone."""
        sent: list[tuple[str, dict[str, str]]] = []
        for call in self.calls:
            if call.path.endswith("/batch/update"):
                sent += [(i["id"], i["properties"]) for i in call.body["inputs"]]
            elif call.method == "PATCH":
                sent.append((call.path.rsplit("/", 1)[-1], call.body["properties"]))
        return sent


FakeHubSpotFactory = Callable[..., Awaitable[FakeHubSpot]]


@pytest_asyncio.fixture
async def fake_hubspot() -> AsyncIterator[FakeHubSpotFactory]:
    async with fake_http_servers() as serve:

        async def start(respond: ApiResponder | None = None) -> FakeHubSpot:
            fake = FakeHubSpot(respond)
            fake.server = await serve(fake.handle)
            return fake

        yield start


def signed_headers(
    uri: str, body: bytes, *, timestamp: int | None = None, secret: str = CLIENT_SECRET
) -> dict[str, str]:
    stamp = str(int(time.time() * 1000) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-v3": signature_v3(secret, "POST", uri, body, stamp),
    }
