"""One conversation across channels, and the switchboard that moves control."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.testing import HubFactory, HubHarness
from tests.identity.events import identified, ids, received

INSTAGRAM = ids(("instagram", "17841400000000077"))
WHATSAPP = ids(("whatsapp", "5511955554444"), ("phone", "+5511955554444"))
AGENT = {"id": "agent-7", "name": "Carla"}
# The bot answers first only for customers who allow an AI assistant (here: everyone).
BOT_ALLOWED = {"default_allowed": ["service", "ai_assistant"]}


async def step(harness: HubHarness, conversation: str, name: str, **body: Any) -> int:
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/{name}", json=body, headers=harness.auth
    )
    return response.status


async def view(harness: HubHarness, conversation: str) -> dict[str, Any]:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation}", headers=harness.auth
    )
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def cross_channel(harness: HubHarness) -> str:
    """Instagram first, then the same person on WhatsApp (a CRM linked the two)."""
    await harness.publish(identified([*INSTAGRAM, *ids(("phone", "+5511955554444"))], minutes=0))
    await harness.publish(
        received("instagram", INSTAGRAM, minutes=1, text="Qual o prazo de entrega?")
    )
    await harness.publish(received("whatsapp", WHATSAPP, minutes=2, text="Oi, sou eu de novo"))
    response = await harness.client.get(
        "/api/v1/conversations", params={"status": "open"}, headers=harness.auth
    )
    [conversation] = (await response.json())["conversations"]
    return str(conversation["id"])


async def test_a_conversation_continues_across_channels_and_control_moves(
    hub_factory: HubFactory, broker_url: str, store_url: str
) -> None:
    harness = await hub_factory(
        broker_url=broker_url, store={"url": store_url}, privacy=BOT_ALLOWED
    )
    sent = await harness.collect("whatsapp-out", "message.send.*")
    handoffs = await harness.collect("desk", "conversation.#")
    conversation = await cross_channel(harness)
    state = await view(harness, conversation)
    assert (state["controller"], state["last_channel"]) == ("bot", "whatsapp")
    channels = [e["channel"] for e in state["events"] if e["type"] == "message.received"]
    assert channels == ["instagram", "whatsapp"]

    assert (
        await step(harness, conversation, "messages", text="Chega em 3 dias.", author="bot") == 202
    )
    [reply] = await sent.wait_for(1)
    assert (reply.channel, reply.conversationid) == ("whatsapp", conversation)  # last channel

    assert await step(harness, conversation, "handoff", to="human", mode="offer") == 202
    assert await step(harness, conversation, "accept", agent=AGENT) == 202
    state = await view(harness, conversation)
    assert (state["controller"], state["agent"]) == ("human", AGENT)
    [offered, accepted] = await handoffs.wait_for(
        2, where=lambda e: e.type == "conversation.handoff"
    )
    assert str(offered.data.action) == "offer"
    assert str(accepted.data.action) == "accept"
    packet = offered.data.context
    said = [(str(t.author), t.channel, t.text) for t in packet.transcript]
    assert said == [
        ("customer", "instagram", "Qual o prazo de entrega?"),
        ("customer", "whatsapp", "Oi, sou eu de novo"),
        ("bot", "whatsapp", "Chega em 3 dias."),
    ]

    assert await step(harness, conversation, "messages", text="Olá, aqui é a Carla.") == 202
    await sent.wait_for(2)
    assert sent.events[1].channel == "whatsapp"
    assert await step(harness, conversation, "release") == 202
    assert (await view(harness, conversation))["controller"] == "bot"  # never mute
    assert await step(harness, conversation, "close", resolution="entregue") == 202
    [closed] = await handoffs.wait_for(1, where=lambda e: e.type == "conversation.closed")
    assert str(closed.data.resolved_by) == "bot"
    state = await view(harness, conversation)
    assert (state["status"], state["controller"]) == ("closed", "none")

    # The next message opens a new conversation, with the bot in control again.
    await harness.publish(received("whatsapp", WHATSAPP, minutes=30, text="Outra dúvida"))
    response = await harness.client.get(
        "/api/v1/conversations", params={"status": "open"}, headers=harness.auth
    )
    [fresh] = (await response.json())["conversations"]
    assert fresh["id"] != conversation
    assert fresh["controller"] == "bot"


async def test_steps_that_do_not_fit_the_state_are_conflicts(hub_factory: HubFactory) -> None:
    harness = await hub_factory(privacy=BOT_ALLOWED)
    conversation = await cross_channel(harness)
    assert await step(harness, conversation, "accept", agent=AGENT) == 409  # nothing offered
    assert await step(harness, conversation, "release") == 409  # the bot holds it
    assert await step(harness, conversation, "handoff", to="bot") == 409
    assert await step(harness, conversation, "handoff", to="robot") == 400
    assert await step(harness, conversation, "messages", text="") == 400
    assert await step(harness, "conv_nobody", "close") == 404
    assert await step(harness, conversation, "close") == 202
    assert await step(harness, conversation, "messages", text="oi") == 409  # closed


async def test_an_offer_nobody_accepts_falls_back(hub_factory: HubFactory) -> None:
    harness = await hub_factory(
        conversations={"offer_timeout": 0.05, "offer_fallback": "human"}, privacy=BOT_ALLOWED
    )
    conversation = await cross_channel(harness)
    assert await step(harness, conversation, "handoff", to="human", mode="offer") == 202
    await asyncio.sleep(0.1)
    assert await harness.hub.switchboard.expire_offers() == 1
    state = await view(harness, conversation)
    assert (state["controller"], state["offer"]) == ("human", None)


async def test_without_ai_assistant_consent_a_person_answers_first(
    hub_factory: HubFactory,
) -> None:
    harness = await hub_factory()  # only "service" is allowed by default
    conversation = await cross_channel(harness)
    assert (await view(harness, conversation))["controller"] == "human"


async def test_a_follow_up_opens_a_conversation_a_person_starts(hub_factory: HubFactory) -> None:
    harness = await hub_factory(privacy=BOT_ALLOWED)
    desk = await harness.collect("desk", "conversation.#")
    conversation = await cross_channel(harness)
    assert await step(harness, conversation, "close") == 202
    state = await view(harness, conversation)
    customer = state["customer_id"]
    follow = await harness.hub.switchboard.follow_up(
        customer, reason="detractor_follow_up", note="Nota 3: a entrega demorou."
    )
    assert follow != conversation
    fresh = await view(harness, follow)
    assert (fresh["status"], fresh["controller"]) == ("open", "human")
    [handoff] = await desk.wait_for(1, where=lambda e: e.type == "conversation.handoff")
    assert handoff.data.reason == "detractor_follow_up"
    assert handoff.data.context.bot_understanding.summary == "Nota 3: a entrega demorou."


async def test_the_offer_check_reads_only_offered_conversations(
    hub_factory: HubFactory,
) -> None:
    """It runs every few seconds, on SQLite on the event loop: never a full scan."""
    from hub.conversations.control import EXPIRED_OFFERS

    harness = await hub_factory()
    async with harness.hub.store.db.connection() as tx:
        plan = await tx.fetch(f"EXPLAIN QUERY PLAN {EXPIRED_OFFERS}", 0.0)
    details = " ".join(str(row[-1]) for row in plan)
    assert "conversations_offers" in details
    assert "SCAN" not in details
