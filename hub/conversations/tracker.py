"""Keeping conversations in step with events, inside the identity transaction.

A customer's message joins their open conversation (whatever the channel) or opens one;
replies without a channel go to the channel the customer used last; ``conversation.*``
events move control. Every message event leaves the pipeline with its ``conversationid``.
"""

from __future__ import annotations

from typing import Any

import structlog
from omnihub_contracts import CloudEvent
from omnihub_contracts.conversation import ConversationOpened

from ..config import ConversationsSection
from ..identity import announce
from ..privacy.consent import ConsentLedger
from ..store import Tx
from . import store
from .store import Conversation, new_conversation_id

log = structlog.get_logger("hub.conversations")

FOLLOWERS = frozenset(
    {"message.sent", "message.delivered", "message.read", "message.failed", "message.deleted"}
)


BOT_PURPOSE = "ai_assistant"


class ConversationTracker:
    def __init__(
        self, section: ConversationsSection | None = None, ledger: ConsentLedger | None = None
    ):
        self.section = section or ConversationsSection()
        self.ledger = ledger

    async def _first_controller(self, tx: Tx, customer: str) -> str:
        """The bot answers first only for customers who allow an AI assistant."""
        first = self.section.first_controller
        if first != "bot" or self.ledger is None:
            return first
        allowed = self.ledger.allowed(await self.ledger.decisions(tx, customer))
        return "bot" if BOT_PURPOSE in allowed else "human"

    async def track(
        self, tx: Tx, event: CloudEvent, now: float
    ) -> tuple[CloudEvent, list[CloudEvent]]:
        customer = event.customerid
        if customer is None:
            return event, []
        if event.type == "message.received":
            return await self._inbound(tx, event, customer, now)
        if event.type == "message.send":
            return await self._outbound(tx, event, customer), []
        if event.type in FOLLOWERS and event.conversationid is None:
            current = await store.open_of(tx, customer)
            if current is not None:
                return event.model_copy(update={"conversationid": current.id}), []
        elif event.type.startswith("conversation."):
            await self._control(tx, event, customer, now)
        return event, []

    async def _inbound(
        self, tx: Tx, event: CloudEvent, customer: str, now: float
    ) -> tuple[CloudEvent, list[CloudEvent]]:
        current = await store.open_of(tx, customer)
        opened: list[CloudEvent] = []
        if current is None:
            current = Conversation(
                new_conversation_id(),
                customer,
                "open",
                await self._first_controller(tx, customer),
                None,
                event.channel,
                now,
                now,
            )
            await store.insert(tx, current)
            data = ConversationOpened(conversation_id=current.id, controller=current.controller)
            announcement = announce.derived(
                event, "conversation.opened", current.id, customer, data
            )
            opened.append(
                announcement.model_copy(
                    update={"conversationid": current.id, "channel": event.channel}
                )
            )
        else:
            channel = event.channel or current.last_channel
            await store.update(tx, current.id, last_channel=channel, updated_at=now)
        return event.model_copy(update={"conversationid": current.id}), opened

    async def _outbound(self, tx: Tx, event: CloudEvent, customer: str) -> CloudEvent:
        if event.conversationid:
            current = await store.get(tx, event.conversationid)
        else:
            current = await store.open_of(tx, customer)
        update: dict[str, Any] = {}
        if current is not None:
            update["conversationid"] = current.id
        if event.channel is None:  # reply where the customer spoke last
            channel = current.last_channel if current is not None else None
            channel = channel or await last_inbound_channel(tx, customer)
            if channel is not None:
                update["channel"] = channel
        return event.model_copy(update=update) if update else event

    async def _control(self, tx: Tx, event: CloudEvent, customer: str, now: float) -> None:
        data = event.data
        conversation = await store.get(tx, data.conversation_id)
        if conversation is None:
            if event.type == "conversation.opened":  # a desk or bot opened one itself
                await store.insert(
                    tx,
                    Conversation(
                        data.conversation_id, customer, "open", str(data.controller), None,
                        event.channel, now, now,
                    ),
                )  # fmt: skip
            else:
                log.warning("unknown_conversation", type=event.type)
            return
        if event.type == "conversation.handoff":
            action, to = str(data.action), str(data.to_controller)
            if action == "offer":
                expires = data.offer_expires_at.timestamp() if data.offer_expires_at else None
                await store.update(
                    tx, conversation.id, offer_to=to, offer_expires_at=expires, updated_at=now
                )
            else:  # pass, accept, release: control moves now
                await store.update(
                    tx,
                    conversation.id,
                    controller=to,
                    offer_to=None,
                    offer_expires_at=None,
                    updated_at=now,
                )
        elif event.type == "conversation.assigned":
            agent = data.agent.model_dump(mode="json", exclude_none=True) if data.agent else None
            await store.update(tx, conversation.id, agent=agent, updated_at=now)
        elif event.type == "conversation.closed":
            await store.update(
                tx,
                conversation.id,
                status="closed",
                controller="none",
                closed_at=now,
                offer_to=None,
                offer_expires_at=None,
                updated_at=now,
            )


async def last_inbound_channel(tx: Tx, customer_id: str) -> str | None:
    row = await tx.fetchone(
        "SELECT channel FROM timeline WHERE customer_id = ? AND type = 'message.received' "
        "AND channel IS NOT NULL ORDER BY time DESC, seq DESC LIMIT 1",
        customer_id,
    )
    return None if row is None else str(row[0])
