"""Two hub processes' desks on one store (each its own connection) and one Chatwoot: a
conversation is opened in Chatwoot once, whoever handles its handoffs, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import omnihub_chatwoot
import pytest
import structlog
from aiohttp import web
from chatwoot_support import Call, FakeChatwoot, FakeChatwootFactory
from omnihub_chatwoot.api import ApiRefused, ChatwootApi
from omnihub_chatwoot.config import ChatwootConfig
from omnihub_chatwoot.desk import WAIT_MAX, Desk, HandoffInProgress
from omnihub_chatwoot.mapping import HandoffTable
from omnihub_contracts import core_registry

from hub import CloudEvent, ErasureRequest, PluginContext
from hub.testing import eventually, plugin_database

LOG = structlog.get_logger("test")
REGISTRY = core_registry()
Sleep = Callable[[float], Awaitable[None]]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def handoff(
    event_id: str, conversation: str = "conv-1", customer: str = "cus-1", action: str = "pass"
) -> CloudEvent:
    data = {
        "conversation_id": conversation,
        "action": action,
        "from_controller": "bot",
        "to_controller": "human",
        "reason": "customer_request",
        "context": {"profile": {"display_name": "Ana"}},
    }
    return REGISTRY.parse(
        {
            "id": event_id,
            "source": "/tests/switchboard",
            "type": "conversation.handoff",
            "customerid": customer,
            "conversationid": conversation,
            "data": data,
        }
    )


def notes(fake: FakeChatwoot) -> list[int]:
    """The Chatwoot conversation of each private note posted, in order."""
    return [m["conversation_id"] for m in fake.messages if m["private"]]


def calls(fake: FakeChatwoot, path: str) -> int:
    return sum(1 for call in fake.calls if call.path == path)


@asynccontextmanager
async def processes(
    store_url: str, fake: FakeChatwoot, clock: Clock, sleep: Sleep
) -> AsyncIterator[list[Desk]]:
    """Two processes' desks: each its own store connection and Chatwoot client."""
    config = ChatwootConfig.model_validate(fake.config())
    async with AsyncExitStack() as stack:
        desks = []
        for _ in range(2):
            database = await stack.enter_async_context(
                plugin_database(omnihub_chatwoot, "chatwoot", store_url)
            )
            api = ChatwootApi(config, log=LOG)
            await api.start()
            stack.push_async_callback(api.close)
            desks.append(Desk(config, api, HandoffTable(database, clock), LOG, sleep=sleep))
        yield desks


async def test_handoffs_of_one_conversation_at_once_open_one_chatwoot_conversation(
    store_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    opened = asyncio.Event()  # the test lets the first process's Chatwoot calls through
    waited: list[float] = []

    async def hold(call: Call, before: int) -> None:
        if call.path == "/contacts/search":
            await opened.wait()

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await asyncio.sleep(seconds)

    fake = await fake_chatwoot(hold)
    async with processes(store_url, fake, Clock(), sleep) as (a, b):
        first = asyncio.create_task(a.handle(handoff("handoff-1", action="offer")))
        await fake.wait_for(lambda: calls(fake, "/contacts/search") == 1)
        second = asyncio.create_task(b.handle(handoff("handoff-2")))
        # b waits for a's claim; were there none, b would be searching Chatwoot too.
        await eventually(lambda: waited or calls(fake, "/contacts/search") == 2)
        opened.set()
        await asyncio.gather(first, second)

        [chatwoot_id] = fake.conversations
        assert notes(fake) == [chatwoot_id, chatwoot_id]  # each handoff's note, once
        assert len(fake.contacts) == 1
        for desk in (a, b):  # both processes read one mapping; b's pass came last
            mapped = await desk.table.get("conv-1")
            assert mapped is not None
            assert (mapped.chatwoot_conversation_id, mapped.state) == (chatwoot_id, "active")
            assert mapped.last_handoff_event == "handoff-2"


async def test_a_claim_left_by_a_process_that_died_passes_on_after_its_lease(
    store_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    clock = Clock()

    async def sleep(seconds: float) -> None:  # time passes only as the desk waits
        clock.advance(seconds)
        await asyncio.sleep(0)

    fake = await fake_chatwoot()
    async with processes(store_url, fake, clock, sleep) as (a, b):
        # a claimed the conversation and opened it in Chatwoot, then died unrecorded.
        lease = 2 * a.config.handler_timeout
        assert (await a.table.claim("conv-1", "cus-1", "a-token", lease)).mine
        chatwoot_id = await a.opener.conversation("conv-1", "cus-1", handoff("h").data)
        assert lease > WAIT_MAX

        with pytest.raises(HandoffInProgress):  # the consumer retries it later
            await b.handle(handoff("handoff-2"))
        assert (notes(fake), await b.table.get("conv-1")) == ([], None)

        clock.advance(lease)
        await b.handle(handoff("handoff-2"))
        assert list(fake.conversations) == [chatwoot_id]  # found in Chatwoot, not opened again
        assert notes(fake) == [chatwoot_id]
        mapped = await a.table.get("conv-1")
        assert mapped is not None
        assert mapped.chatwoot_conversation_id == chatwoot_id
        # The dead process's claim is no longer its own.
        assert not await a.table.settle("conv-1", "a-token", 999, "active")


async def test_a_failed_opening_lets_go_of_its_claim(
    store_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    async def refuse_first_conversation(call: Call, before: int) -> Any:
        if (call.method, call.path, before) == ("POST", "/conversations", 0):
            return web.json_response({"message": "inbox not found"}, status=404)
        return None

    async def no_wait(seconds: float) -> None:
        raise AssertionError("no claim should be left to wait for")

    fake = await fake_chatwoot(refuse_first_conversation)
    async with processes(store_url, fake, Clock(), no_wait) as (a, b):
        with pytest.raises(ApiRefused, match="404"):
            await a.handle(handoff("handoff-1"))
        await b.handle(handoff("handoff-1"))  # the redelivery, at the other process
        [chatwoot_id] = fake.conversations
        assert notes(fake) == [chatwoot_id]


async def test_erasure_removes_the_customers_handoffs(
    store_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    fake = await fake_chatwoot()
    async with processes(store_url, fake, Clock(), asyncio.sleep) as (a, b):
        await a.handle(handoff("h1", "conv-1", "cus-1"))
        await b.handle(handoff("h2", "conv-2", "cus-1-merged"))
        await a.handle(handoff("h3", "conv-3", "cus-2"))
        # Erasure needs only the store: no publisher, no customer directory.
        unused: Any = None
        context = PluginContext(
            "chatwoot", a.config, Path("unused"), unused, LOG, unused, database=a.table.db
        )
        request = ErasureRequest("e1", "cus-1", merged_ids=("cus-1-merged",))
        receipt = await omnihub_chatwoot.hub_erase_customer(request, context)
        assert (receipt.status, receipt.items) == ("pending", 2)
        assert "delete the Chatwoot contact" in receipt.detail
        assert [await b.table.get(c) is None for c in ("conv-1", "conv-2", "conv-3")] == [
            True,
            True,
            False,
        ]
