"""Hub → Chatwoot: a handoff to a human opens (or reopens) the Chatwoot conversation with
the context packet as a private note; the customer's later messages follow it in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from omnihub_contracts.conversation import ConversationHandoff
from omnihub_contracts.message import MessageReceived

from hub import CloudEvent

from .api import ChatwootApi
from .config import ChatwootConfig
from .mapping import HandoffTable
from .note import render
from .opening import Opener

WAIT_MAX = 30.0  # seconds a handoff waits for another process's claim before a retry


class HandoffInProgress(RuntimeError):
    """Another hub process holds the claim to open this conversation in Chatwoot: the
    consumer's retry brings the handoff back once it has recorded the conversation."""


def _message_text(data: MessageReceived) -> str:
    caption = data.media.caption if data.media else None
    reply = data.interactive_reply.title if data.interactive_reply else None
    said = data.text or caption or reply
    kind = str(data.kind)
    if kind == "text":
        return said or ""
    return f"[{kind}] {said}" if said else f"[{kind}]"


class Desk:
    def __init__(
        self,
        config: ChatwootConfig,
        api: ChatwootApi,
        table: HandoffTable,
        log: Any,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.config, self.api, self.table, self.log = config, api, table, log
        self.sleep = sleep
        self.opener = Opener(config, api)

    async def handle(self, event: CloudEvent) -> None:
        if event.type == "conversation.handoff":
            await self._handoff(event, event.data)
        elif event.type == "conversation.closed":
            await self._closed(event.data.conversation_id)
        elif event.type == "message.received" and event.conversationid:
            await self._customer_said(event.conversationid, event.data)

    async def _handoff(self, event: CloudEvent, data: ConversationHandoff) -> None:
        to, action = str(data.to_controller), str(data.action)
        if to != "human":  # control went back to the bot: stop forwarding
            if await self.table.set_state(data.conversation_id, "returned"):
                self.log.info("chatwoot_handoff_returned", reason=str(data.reason))
            return
        if action not in ("pass", "offer") or event.customerid is None:
            return  # an accept is the desk's own doing (or another desk's)
        state = "offered" if action == "offer" else "active"
        chatwoot_id, noted = await self._open(data, event.customerid, state)
        if noted != event.id:
            await self._post(chatwoot_id, render(data), private=True)
            await self.table.noted(data.conversation_id, event.id)
        self.log.info("chatwoot_handoff", action=action, chatwoot_conversation=chatwoot_id)

    async def _open(
        self, data: ConversationHandoff, customer: str, state: str
    ) -> tuple[int, str | None]:
        """The Chatwoot conversation, with the desk as ``state``, and the handoff whose note
        it has. The state is recorded before the note: an agent may act as soon as it shows.

        At most one hub process opens a conversation in Chatwoot: each first claims it (a
        row without a Chatwoot id, inserted by one process only: the primary key decides),
        and only the claim's holder calls Chatwoot to find or create it. Another process
        handling a handoff of the same conversation meanwhile polls the store until the
        holder recorded the id, then reuses it (reopens it, posts its own note). A holder
        that fails lets go of its claim; one that died leaves it until its lease ends (twice
        the handler's timeout, after which the holder's handler was surely cancelled, with
        room for clocks that differ between hosts), then the next handoff takes it over and
        finds in Chatwoot whatever the dead one had opened. A waiter that runs out of
        patience fails, and the consumer's retry schedule brings the event back later.
        """
        conversation_id, token = data.conversation_id, uuid.uuid4().hex
        lease = 2 * self.config.handler_timeout
        give_up, pause = self.table.clock() + min(WAIT_MAX, self.config.handler_timeout / 2), 0.05
        while True:
            claim = await self.table.claim(conversation_id, customer, token, lease)
            if claim.mine:
                return await self._opened(data, customer, state, token), None
            if claim.mapped is not None:
                chatwoot_id = claim.mapped.chatwoot_conversation_id
                await self.api.request(
                    "POST", f"/conversations/{chatwoot_id}/toggle_status", {"status": "open"}
                )
                await self.table.reopen(conversation_id, state)
                return chatwoot_id, claim.mapped.last_handoff_event
            if self.table.clock() >= give_up:
                raise HandoffInProgress("another hub process is opening it in Chatwoot")
            await self.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def _opened(
        self, data: ConversationHandoff, customer: str, state: str, token: str
    ) -> int:
        """Under the claim ``token``: find or open it in Chatwoot, and record it."""
        try:
            chatwoot_id = await self.opener.conversation(data.conversation_id, customer, data)
        except BaseException:  # a timeout's cancellation too: a retry need not wait
            await self.table.release(data.conversation_id, token)
            raise
        if not await self.table.settle(data.conversation_id, token, chatwoot_id, state):
            # The lease ran out and another process took the claim over: its record stands.
            raise HandoffInProgress("the claim to open it passed to another hub process")
        return chatwoot_id

    async def _customer_said(self, conversation_id: str, data: MessageReceived) -> None:
        handoff = await self.table.get(conversation_id)
        if handoff is None or not handoff.live:
            return
        await self._post(
            handoff.chatwoot_conversation_id, _message_text(data), private=False, incoming=True
        )

    async def _closed(self, conversation_id: str) -> None:
        """The hub closed it (not Chatwoot, which marks the table first): resolve it there."""
        handoff = await self.table.get(conversation_id)
        if handoff is None or not await self.table.set_state(conversation_id, "returned"):
            return
        try:
            await self.api.request(
                "POST",
                f"/conversations/{handoff.chatwoot_conversation_id}/toggle_status",
                {"status": "resolved"},
            )
        except Exception:
            await self.table.set_state_from(conversation_id, "returned", handoff.state)
            raise  # redelivered: it tries again

    async def _post(
        self, chatwoot_id: int, content: str, *, private: bool, incoming: bool = False
    ) -> None:
        message = {
            "content": content,
            "message_type": "incoming" if incoming else "outgoing",
            "private": private,
        }
        await self.api.request("POST", f"/conversations/{chatwoot_id}/messages", message)
