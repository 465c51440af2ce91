"""The consumer: what each event tells the plugin, and the triggers.

Subscribed with the purpose ``surveys``, so the hub hands over only events of customers
who allow surveys (and always their ``consent.revoked`` of it). State the plugin needs and
the profile API does not give (language, time zone, open conversation, channel) is derived
from these events.
"""

from __future__ import annotations

from typing import Any

from hub import CloudEvent

from .events import SURVEY_CONVERSATION
from .merges import follow_merge, merge_of
from .records import ANSWERING, PENDING, PURPOSE
from .replies import on_reply
from .surveys import Nps, Trigger, schedule

PATTERNS = (
    "customer.merged.#",
    "conversation.opened.#",
    "conversation.closed.#",
    "message.received.#",
    "customer.updated.#",
    "order.updated.#",
    "consent.granted.#",
    "consent.revoked.#",
)


async def handle(nps: Nps, event: CloudEvent) -> None:
    customer_id = event.customerid
    if customer_id is None:
        return
    store, data = nps.store, event.data
    if event.type == "consent.revoked" and data.purpose == PURPOSE:
        await _revoked(nps, customer_id)
        return
    granted = event.type == "consent.granted" and data.purpose == PURPOSE
    if granted or PURPOSE in (event.allowed_purposes or ()):
        await store.note(customer_id, surveys_allowed=1)
    if event.type == "conversation.opened":
        await _seen(nps, customer_id, event.channel, open_conversation=data.conversation_id)
    elif event.type == "conversation.closed":
        await _closed(nps, customer_id, event)
    elif event.type == "message.received":
        await _message(nps, customer_id, event)
    elif event.type == "customer.updated":
        traits = {k: t.value for k, t in data.traits.items() if k in ("language", "timezone")}
        values = {k: v for k, v in traits.items() if isinstance(v, str) and v}
        if values:
            await store.note(customer_id, **values)
    elif event.type == "order.updated" and _delivered(nps, data):
        trigger = Trigger("order_delivered", event.id, order_id=data.order_id)
        await schedule(nps, customer_id, trigger)
    elif event.type == "customer.merged":
        await follow_merge(nps, *merge_of(event))


async def handle_merge(nps: Nps, event: CloudEvent) -> None:
    """``nps.merges``: every merge, whatever the person allows (see ``merges.py``)."""
    await follow_merge(nps, *merge_of(event))


async def _revoked(nps: Nps, customer_id: str) -> None:
    async with nps.store.locked(customer_id) as tables:
        await tables.note(customer_id, surveys_allowed=0)
        for survey in await tables.pending_all(customer_id):
            if await tables.transition(survey.survey_id, {"status": PENDING}, status="skipped"):
                await tables.count("skipped", "consent_revoked")


def _delivered(nps: Nps, data: Any) -> bool:
    return nps.config.on_order_delivered and str(data.status) == "delivered"


async def _seen(nps: Nps, customer_id: str, channel: str | None, **values: Any) -> None:
    if channel is not None:
        values["last_channel"] = channel
    await nps.store.note(customer_id, **values)


async def _closed(nps: Nps, customer_id: str, event: CloudEvent) -> None:
    data = event.data
    customer = await nps.store.customer(customer_id)
    if customer.open_conversation in (None, data.conversation_id):
        await _seen(nps, customer_id, event.channel, open_conversation=None)
    if data.conversation_id.startswith(SURVEY_CONVERSATION):
        return  # the end of a survey is no reason to survey again
    if not nps.config.on_conversation_closed:
        return
    agent = data.agent.model_dump(mode="json", exclude_none=True) if data.agent else None
    trigger = Trigger(
        "conversation_closed",
        event.id,
        channel=event.channel,  # ask where the conversation ended, in that channel's form
        conversation_id=data.conversation_id,
        resolved_by=str(data.resolved_by),
        agent=agent,
    )
    await schedule(nps, customer_id, trigger)


async def _message(nps: Nps, customer_id: str, event: CloudEvent) -> None:
    data = event.data
    values: dict[str, Any] = {}
    if data.sender.language:
        values["language"] = data.sender.language
    if event.conversationid:  # every message joins (or opens) the customer's conversation
        values["open_conversation"] = event.conversationid
    pending = await nps.store.pending(customer_id)
    if pending is not None and pending.status in ANSWERING:
        outcome = await on_reply(nps, pending, event.channel, data, event.id)
        await nps.store.count("replies", outcome)
    await _seen(nps, customer_id, event.channel, **values)
