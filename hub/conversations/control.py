"""The switchboard: exactly one controller per conversation (bot, human or none).

``pass`` moves control now; ``offer`` waits for ``accept`` until the offer expires, then
the fallback takes over; ``release`` gives control back to the bot so it is never left
mute; ``close`` ends the conversation. Each step is a ``conversation.*`` event published
through the pipeline (which applies it), so every system sees the same story.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from omnihub_contracts import CloudEvent

from ..config import ConversationsSection
from ..store import SqlStore
from . import context, store
from .store import Conversation

SOURCE = "/omnihub/conversations"
Publish = Callable[[Sequence[CloudEvent | dict[str, Any]]], Awaitable[list[str]]]
# Matches the partial index conversations_offers: the check runs every few seconds.
EXPIRED_OFFERS = (
    f"SELECT {store.COLUMNS} FROM conversations WHERE offer_to IS NOT NULL "
    "AND offer_expires_at < ? AND status = 'open'"
)


class ControlConflict(Exception):
    """The step does not fit the conversation's state; the message says why."""


class Switchboard:
    def __init__(self, db: SqlStore, section: ConversationsSection, publish: Publish):
        self.store = db
        self.section = section
        self.publish = publish

    async def get(self, conversation_id: str) -> Conversation | None:
        async with self.store.db.connection() as tx:
            return await store.get(tx, conversation_id)

    async def _open(self, conversation_id: str) -> Conversation:
        conversation = await self.get(conversation_id)
        if conversation is None:
            raise LookupError(conversation_id)
        if conversation.status != "open":
            raise ControlConflict("the conversation is closed")
        return conversation

    def _event(self, c: Conversation, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "type": kind,
            "customerid": c.customer_id,
            "conversationid": c.id,
            "channel": c.last_channel,
            "data": {"conversation_id": c.id, **data},
        }

    async def handoff(
        self,
        conversation_id: str,
        *,
        to: str,
        mode: str = "pass",
        reason: str,
        understanding: dict[str, Any] | None = None,
    ) -> list[str]:
        c = await self._open(conversation_id)
        if to == c.controller:
            raise ControlConflict(f"the {to} already has control")
        data: dict[str, Any] = {
            "action": mode,
            "from_controller": c.controller,
            "to_controller": to,
            "reason": reason,
        }
        if mode == "offer":
            expires = datetime.now(UTC) + timedelta(seconds=self.section.offer_timeout)
            data["offer_expires_at"] = expires.isoformat()
        if to == "human":
            async with self.store.db.connection() as tx:
                packet = await context.build(
                    tx, c.id, c.customer_id, reason=reason, understanding=understanding
                )
            data["context"] = packet.model_dump(mode="json", exclude_none=True)
        return await self.publish([self._event(c, "conversation.handoff", data)])

    async def accept(self, conversation_id: str, agent: dict[str, Any]) -> list[str]:
        c = await self._open(conversation_id)
        if c.offer_to is None:
            raise ControlConflict("nothing was offered")
        handoff: dict[str, Any] = {
            "action": "accept",
            "from_controller": c.controller,
            "to_controller": c.offer_to,
            "reason": "customer_request",
        }
        if c.offer_to == "human":
            async with self.store.db.connection() as tx:
                packet = await context.build(tx, c.id, c.customer_id, reason=None)
            handoff["context"] = packet.model_dump(mode="json", exclude_none=True)
        return await self.publish(
            [
                self._event(c, "conversation.handoff", handoff),
                self._event(c, "conversation.assigned", {"agent": agent}),
            ]
        )

    async def release(self, conversation_id: str) -> list[str]:
        c = await self._open(conversation_id)
        if c.controller != "human":
            raise ControlConflict("only a human holding control releases it")
        data = {
            "action": "release",
            "from_controller": "human",
            "to_controller": "bot",
            "reason": "agent_released",
        }
        return await self.publish([self._event(c, "conversation.handoff", data)])

    async def close(
        self, conversation_id: str, *, resolution: str | None, agent: dict[str, Any] | None
    ) -> list[str]:
        c = await self._open(conversation_id)
        data: dict[str, Any] = {"resolved_by": c.controller}
        if resolution:
            data["resolution"] = resolution
        if agent or c.agent:
            data["agent"] = agent or c.agent
        return await self.publish([self._event(c, "conversation.closed", data)])

    async def reply(
        self, conversation_id: str, *, text: str, author: str, channel: str | None
    ) -> list[str]:
        c = await self._open(conversation_id)
        event = {
            "source": f"{SOURCE}/{author}",
            "type": "message.send",
            "customerid": c.customer_id,
            "conversationid": c.id,
            "channel": channel,  # none: where the customer spoke last
            "data": {"kind": "text", "recipient": {"customer_id": c.customer_id}, "text": text},
        }
        return await self.publish([event])

    async def follow_up(
        self, customer_id: str, *, reason: str, note: str | None = None, channel: str | None = None
    ) -> str:
        """Open a conversation a person starts (a detractor's follow-up): the customer's open
        one if there is one, else a new one; control passes to a human with the context."""
        async with self.store.db.connection() as tx:
            current = await store.open_of(tx, customer_id)
        if current is None:
            conversation_id = store.new_conversation_id()
            opened = {
                "source": SOURCE,
                "type": "conversation.opened",
                "customerid": customer_id,
                "conversationid": conversation_id,
                "channel": channel,
                "data": {"conversation_id": conversation_id, "controller": "none"},
            }
            await self.publish([opened])
        else:
            conversation_id = current.id
        current = await self._open(conversation_id)
        if current.controller != "human":
            understanding = {"summary": note} if note else None
            await self.handoff(
                conversation_id, to="human", reason=reason, understanding=understanding
            )
        return conversation_id

    async def expire_offers(self) -> int:
        """Offers nobody accepted in time fall back (a maintenance job)."""
        async with self.store.db.connection() as tx:
            rows = await tx.fetch(EXPIRED_OFFERS, time.time())
        expired = [Conversation.from_row(row) for row in rows]
        for c in expired:
            fallback = self.section.offer_fallback
            if fallback == c.controller:  # nothing moves: just withdraw the offer
                async with self.store.db.transaction() as tx:
                    await store.update(tx, c.id, offer_to=None, offer_expires_at=None)
                continue
            await self.handoff(c.id, to=fallback, reason="offer_timeout")
        return len(expired)
