"""End to end: a hub with the plugin, the fake Chatwoot, and both brokers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import omnihub_chatwoot
from chatwoot_support import AGENT, INBOX, TOKEN, WEBHOOK_TOKEN, FakeChatwootFactory

from hub import CloudEvent
from hub.testing import HubFactory, HubHarness, eventually

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INSTAGRAM = [{"kind": "instagram", "value": "17841400000000091"}]
WHATSAPP = [
    {"kind": "whatsapp", "value": "5511955550091"},
    {"kind": "phone", "value": "+5511955550091"},
]
WEBHOOK = f"/webhooks/chatwoot?token={WEBHOOK_TOKEN}"

# The bot answers first only for customers who allow an AI assistant: here, everyone.
BOT_FIRST = {"default_allowed": ["service", "ai_assistant"]}


def received(channel: str, ids: list[dict[str, str]], minutes: float, text: str) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": f"/plugins/{channel}",
            "type": "message.received",
            "channel": channel,
            "time": (T0 + timedelta(minutes=minutes)).isoformat(),
            "data": {
                "kind": "text",
                "channel_message_id": f"{channel}-{minutes}",
                "sender": {"identifiers": ids},
                "text": text,
            },
        }
    )


async def open_conversation(harness: HubHarness) -> tuple[str, str]:
    """Instagram, then WhatsApp (linked by the phone): one conversation across both."""
    identified = {
        "source": "/plugins/crm",
        "type": "customer.identified",
        "time": T0.isoformat(),
        "data": {
            "identifiers": [*INSTAGRAM, WHATSAPP[1]],
            "traits": {"display_name": {"value": "Ana", "source": "crm"}},
        },
    }
    await harness.publish(identified)
    await harness.publish(received("instagram", INSTAGRAM, 1, "Meu pedido não chegou"))
    await harness.publish(received("whatsapp", WHATSAPP, 2, "Pedido 1234, já faz 10 dias"))

    async def one_open() -> Any:
        response = await harness.client.get(
            "/api/v1/conversations", params={"status": "open"}, headers=harness.auth
        )
        found = (await response.json())["conversations"]
        return found if len(found) == 1 and found[0]["last_channel"] == "whatsapp" else None

    [conversation] = await eventually(one_open)
    return str(conversation["id"]), str(conversation["customer_id"])


async def hand_to_human(harness: HubHarness, conversation: str, **body: Any) -> None:
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/handoff",
        json={"to": "human", "reason": "customer_request", **body},
        headers=harness.auth,
    )
    assert response.status == 202, await response.text()


async def state(harness: HubHarness, conversation: str) -> dict[str, Any]:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation}", headers=harness.auth
    )
    body: dict[str, Any] = await response.json()
    return body


async def test_a_handoff_reaches_chatwoot_and_the_agent_answers_and_resolves(
    hub_factory: HubFactory, broker_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    fake = await fake_chatwoot()
    harness = await hub_factory(
        plugins={"chatwoot": omnihub_chatwoot},
        config={"chatwoot": fake.config()},
        broker_url=broker_url,
        privacy=BOT_FIRST,
    )
    sent = await harness.collect("channel-out", "message.send.#")
    conversation, customer = await open_conversation(harness)

    await hand_to_human(
        harness, conversation, bot_understanding={"intent": "order_status", "confidence": 0.4}
    )
    [note] = await fake.wait_for_messages(1)
    [chatwoot_id] = fake.conversations
    created = fake.conversations[chatwoot_id]
    assert created["inbox_id"] == INBOX
    assert created["additional_attributes"] == {
        "omnihub_conversation_id": conversation,
        "omnihub_customer_id": customer,
    }
    [contact] = fake.contacts.values()
    assert (contact["identifier"], contact["name"]) == (customer, "Ana")
    assert created["source_id"] == contact["contact_inboxes"][0]["source_id"]
    assert (note["private"], note["conversation_id"]) == (True, chatwoot_id)
    assert "· instagram · **customer**: Meu pedido não chegou" in note["content"]
    assert "· whatsapp · **customer**: Pedido 1234, já faz 10 dias" in note["content"]
    assert "order_status · confidence 40%" in note["content"]
    assert all(call.token == TOKEN for call in fake.calls)

    # The customer writes again: the agent sees it in Chatwoot.
    await harness.publish(received("whatsapp", WHATSAPP, 5, "Alguém aí?"))
    [_, incoming] = await fake.wait_for_messages(2)
    assert (incoming["content"], incoming["message_type"]) == ("Alguém aí?", "incoming")
    assert incoming["private"] is False

    # The agent answers in Chatwoot: the customer gets it on the channel used last.
    reply = fake.agent_reply(chatwoot_id, "Oi Ana, vou verificar agora.", 9001)
    response = await harness.client.post(WEBHOOK, json=reply)
    assert response.status == 200
    assert await harness.client.post(WEBHOOK, json=reply)  # a redelivery: same event id
    [send] = await sent.wait_for(1)
    assert (send.customerid, send.conversationid, send.channel) == (
        customer,
        conversation,
        "whatsapp",
    )
    assert (send.source, send.data.text) == ("/plugins/chatwoot", "Oi Ana, vou verificar agora.")
    assert (await state(harness, conversation))["controller"] == "human"

    # The agent resolves it: the hub closes the conversation; the bot gets the next one.
    resolved = fake.status_changed(chatwoot_id, "resolved", AGENT)
    assert (await harness.client.post(WEBHOOK, json=resolved)).status == 200

    async def closed() -> Any:
        current = await state(harness, conversation)
        return current if current["status"] == "closed" else None

    current = await eventually(closed)
    assert current["controller"] == "none"
    await harness.publish(received("whatsapp", WHATSAPP, 30, "Chegou, obrigada!"))

    async def next_open() -> Any:
        response = await harness.client.get(
            "/api/v1/conversations", params={"status": "open"}, headers=harness.auth
        )
        return (await response.json())["conversations"]

    [fresh] = await eventually(next_open)
    assert fresh["id"] != conversation
    assert fresh["controller"] == "bot"

    # A later handoff opens a second Chatwoot conversation for the same contact; the
    # message the bot had is in its note, never forwarded as a message of its own.
    await hand_to_human(harness, fresh["id"])
    [*_, second_note] = await fake.wait_for_messages(3)
    assert (len(fake.contacts), len(fake.conversations)) == (1, 2)
    assert second_note["private"] is True
    assert "Chegou, obrigada!" in second_note["content"]
    assert [m["content"] for m in fake.messages].count("Chegou, obrigada!") == 0
    assert sent.events == [send]  # the redelivered reply was dropped as a duplicate
