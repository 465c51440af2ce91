"""A fake Chatwoot (Application API) that records requests, and webhook payloads built from
the documented samples in fixtures/ (see SOURCES.md)."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.testing import fake_http_servers

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "chatwoot-user-access-token"
WEBHOOK_TOKEN = "omnihub-webhook-token-0123456789"
ACCOUNT, INBOX = 1, 7
AGENT = {"id": 3, "name": "Carla Souza", "email": "carla@acme.example", "type": "user"}
Json = dict[str, Any]


def fixture(name: str) -> Json:
    sample: Json = json.loads((FIXTURES / name).read_text())
    return sample


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # after /api/v1/accounts/<id>
    query: dict[str, str]
    body: Any
    token: str


Responder = Callable[[Call, int], Awaitable[web.Response | None]]


@dataclass
class FakeChatwoot:
    respond: Responder | None = None
    calls: list[Call] = field(default_factory=list)
    contacts: dict[int, Json] = field(default_factory=dict)
    conversations: dict[int, Json] = field(default_factory=dict)
    messages: list[Json] = field(default_factory=list)
    server: TestServer | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def config(self, **extra: Any) -> Json:
        return {
            "base_url": self.url,
            "api_access_token": TOKEN,
            "account_id": ACCOUNT,
            "inbox_id": INBOX,
            "webhook_token": WEBHOOK_TOKEN,
            "backoff_initial": 0.01,
            "backoff_max": 0.02,
            "retry_schedule": [0.05, 0.1],
            **extra,
        }

    async def handle(self, request: web.Request) -> web.Response:
        prefix = f"/api/v1/accounts/{ACCOUNT}"
        body = await request.json() if request.can_read_body else None
        call = Call(
            request.method,
            request.path.removeprefix(prefix),
            dict(request.query),
            body,
            request.headers.get("api_access_token", ""),
        )
        async with self._changed:
            before = sum(1 for c in self.calls if (c.method, c.path) == (call.method, call.path))
            self.calls.append(call)
            self._changed.notify_all()
        answer = await self.respond(call, before) if self.respond else None
        return answer if answer is not None else self.answer(call)

    def answer(self, call: Call) -> web.Response:
        words = call.path.strip("/").split("/")
        match (call.method, words):
            case ("GET", ["contacts", "search"]):
                q = call.query.get("q")
                found = [c for c in self.contacts.values() if c["identifier"] == q]
                return web.json_response({"payload": found})
            case ("POST", ["contacts"]):
                cid = next(self._ids)
                inbox = {"source_id": f"src-{cid}", "inbox": {"id": call.body["inbox_id"]}}
                contact = {"id": cid, **call.body, "contact_inboxes": [inbox]}
                self.contacts[cid] = contact
                return web.json_response({"payload": {"contact": contact, "contact_inbox": inbox}})
            case ("GET", ["contacts", cid, "conversations"]):
                mine = [c for c in self.conversations.values() if c["contact_id"] == int(cid)]
                return web.json_response({"payload": mine})
            case ("POST", ["conversations"]):
                display_id = next(self._ids)
                conversation = {"id": display_id, "messages": [], **call.body}
                self.conversations[display_id] = conversation
                return web.json_response(conversation)
            case ("POST", ["conversations", cid, "messages"]):
                message = {"id": next(self._ids), "conversation_id": int(cid), **call.body}
                self.messages.append(message)
                return web.json_response(message)
            case ("POST", ["conversations", cid, "toggle_status"]):
                self.conversations[int(cid)]["status"] = call.body["status"]
                payload = {"success": True, "current_status": call.body["status"]}
                return web.json_response({"meta": {}, "payload": payload})
        return web.json_response({"error": "not found"}, status=404)

    async def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(check)

    async def wait_for_messages(self, count: int) -> list[Json]:
        await self.wait_for(lambda: len(self.messages) >= count)
        return self.messages[:count]

    # Webhook payloads: Chatwoot's documented samples with this conversation's values.

    def _conversation_payload(self, sample: Json, chatwoot_id: int) -> Json:
        ours = self.conversations[chatwoot_id]
        sample.update(id=chatwoot_id, inbox_id=INBOX, status=ours.get("status", "open"))
        sample["additional_attributes"] = copy.deepcopy(ours["additional_attributes"])
        sample["meta"]["assignee"] = None
        return sample

    def agent_reply(self, chatwoot_id: int, text: str, message_id: int, **changes: Any) -> Json:
        payload = fixture("message_created.json")
        payload.update(id=message_id, content=text, message_type="outgoing", sender=AGENT)
        payload["inbox"]["id"] = INBOX
        self._conversation_payload(payload["conversation"], chatwoot_id)
        return {**payload, **changes}

    def status_changed(self, chatwoot_id: int, status: str, assignee: Json | None) -> Json:
        self.conversations[chatwoot_id]["status"] = status
        payload = self._conversation_payload(
            fixture("conversation_status_changed.json"), chatwoot_id
        )
        payload["meta"]["assignee"] = assignee
        payload["changed_attributes"] = [
            {"status": {"previous_value": "open", "current_value": status}}
        ]
        return payload

    def assignee_changed(self, chatwoot_id: int, assignee: Json) -> Json:
        payload = self.status_changed(chatwoot_id, "open", assignee)
        payload["event"] = "conversation_updated"
        payload["changed_attributes"] = [
            {"assignee_id": {"previous_value": None, "current_value": assignee["id"]}}
        ]
        return payload


FakeChatwootFactory = Callable[..., Awaitable[FakeChatwoot]]


@pytest_asyncio.fixture
async def fake_chatwoot() -> AsyncIterator[FakeChatwootFactory]:
    async with fake_http_servers() as serve:

        async def start(respond: Responder | None = None) -> FakeChatwoot:
            fake = FakeChatwoot(respond)
            fake.server = await serve(fake.handle)
            return fake

        yield start
