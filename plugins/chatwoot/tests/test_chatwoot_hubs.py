"""Two hubs on one store and broker, as two ``omnihub run`` processes: what one hub's
consumer put in Chatwoot, the other's webhook finds (both brokers, both stores)."""

from __future__ import annotations

from typing import Any

import omnihub_chatwoot
from chatwoot_support import AGENT, WEBHOOK_TOKEN, FakeChatwootFactory
from test_chatwoot_desk import BOT_FIRST, WHATSAPP, hand_to_human, open_conversation, received

from hub.testing import HubFactory, HubHarness, eventually

WEBHOOK = f"/webhooks/chatwoot?token={WEBHOOK_TOKEN}"


async def controller(harness: HubHarness, conversation: str) -> Any:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation}", headers=harness.auth
    )
    return (await response.json())["controller"]


async def test_an_offer_one_hub_opened_is_accepted_and_answered_through_the_other(
    hub_factory: HubFactory, broker_url: str, store_url: str, fake_chatwoot: FakeChatwootFactory
) -> None:
    fake = await fake_chatwoot()
    plugin = {"plugins": {"chatwoot": omnihub_chatwoot}, "config": {"chatwoot": fake.config()}}
    first = await hub_factory(
        **plugin, broker_url=broker_url, store={"url": store_url}, privacy=BOT_FIRST
    )
    sent = await first.collect("channel-out", "message.send.#")
    conversation, customer = await open_conversation(first)
    await hand_to_human(first, conversation, mode="offer")
    [note] = await fake.wait_for_messages(1)
    [chatwoot_id] = fake.conversations

    # A second process joins once the first opened the conversation in Chatwoot: only the
    # shared store tells it that this conversation is an offer still open.
    second = await hub_factory(**plugin, alongside=first, privacy=BOT_FIRST)
    answer = await second.client.post(WEBHOOK, json=fake.assignee_changed(chatwoot_id, AGENT))
    assert await answer.json() == {"published": 2}  # the accept, then the assignment

    async def human() -> bool:
        return await controller(first, conversation) == "human"

    await eventually(human, timeout=15)
    reply = fake.agent_reply(chatwoot_id, "Oi Ana, já verifico o pedido.", 9101)
    assert (await second.client.post(WEBHOOK, json=reply)).status == 200
    [send] = await sent.wait_for(1, timeout=15)
    assert (send.customerid, send.conversationid, send.channel) == (
        customer,
        conversation,
        "whatsapp",
    )
    assert send.data.text == "Oi Ana, já verifico o pedido."

    # The customer answers; whichever hub consumes it forwards it into the same conversation.
    await second.publish(received("whatsapp", WHATSAPP, 6, "Obrigada!"))
    [_, incoming] = await fake.wait_for_messages(2)
    assert (incoming["conversation_id"], incoming["content"]) == (chatwoot_id, "Obrigada!")
    assert (len(fake.conversations), note["conversation_id"]) == (1, chatwoot_id)

    # An erasure asked of the second hub removes the handoff the first one recorded.
    response = await second.client.post(
        f"/api/v1/customers/{customer}/erasure", json={"requested_by": "dpo"}, headers=second.auth
    )
    assert response.status == 202, await response.text()
    location = (await response.json())["location"]

    async def chatwoot_receipt() -> Any:
        view = await (await second.client.get(location, headers=second.auth)).json()
        return next((r for r in view["receipts"] if r["system"] == "chatwoot"), None)

    receipt = await eventually(chatwoot_receipt, timeout=15)
    assert (receipt["status"], receipt["items"]) == ("pending", 1)
