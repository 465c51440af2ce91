"""The bot in a conversation: routine answers, handoff with context, never silence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import omnihub_assistant
from omnihub_assistant.bot import NOTICE

from hub import CloudEvent
from hub.testing import HubHarness

PLUGINS = {"assistant": omnihub_assistant}
PRIVACY = {"default_allowed": ["service", "ai_assistant"]}
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INSTAGRAM = [{"kind": "instagram", "value": "17841400000000099"}]
WHATSAPP = [
    {"kind": "whatsapp", "value": "5511944443333"},
    {"kind": "phone", "value": "+5511944443333"},
]


def said(channel: str, who: list[dict[str, str]], text: str, minute: int) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": f"/plugins/{channel}",
            "type": "message.received",
            "channel": channel,
            "time": (T0 + timedelta(minutes=minute)).isoformat(),
            "data": {
                "kind": "text",
                "channel_message_id": f"{channel}-{minute}",
                "sender": {"identifiers": who},
                "text": text,
            },
        }
    )


def linked() -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": "/plugins/crm",
            "type": "customer.identified",
            "data": {"identifiers": [*INSTAGRAM, {"kind": "phone", "value": "+5511944443333"}]},
        }
    )


async def open_conversation(harness: HubHarness) -> str:
    response = await harness.client.get(
        "/api/v1/conversations", params={"status": "open"}, headers=harness.auth
    )
    [conversation] = (await response.json())["conversations"]
    return str(conversation["id"])


async def test_routine_answer_then_handoff_with_context_then_back_to_the_bot(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, privacy=PRIVACY, broker_url=broker_url)
    replies = await harness.collect("channels", "message.send.*")
    desk = await harness.collect("desk", "conversation.handoff.#")
    await harness.publish(linked())
    await harness.publish(said("instagram", INSTAGRAM, "Qual o prazo de entrega?", 1))
    [answer] = await replies.wait_for(1, timeout=10)
    assert answer.channel == "instagram"
    assert "dia" in answer.data.text.lower()  # the FAQ's delivery-time answer

    await harness.publish(said("whatsapp", WHATSAPP, "quero falar com uma pessoa", 2))
    [handoff] = await desk.wait_for(1, timeout=10)
    data = handoff.data
    assert (str(data.to_controller), data.reason) == ("human", "customer_request")
    lines = [(str(t.author), t.channel, t.text) for t in data.context.transcript]
    assert ("customer", "instagram", "Qual o prazo de entrega?") in lines
    assert ("bot", "instagram", answer.data.text) in lines
    notice = await replies.wait_for(2, timeout=10)
    assert (notice[1].channel, notice[1].data.text) == ("whatsapp", NOTICE["pt"])

    conversation = await open_conversation(harness)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"text": "Oi, sou a Carla. Seu pedido sai hoje."},
        headers=harness.auth,
    )
    assert response.status == 202
    agent = await replies.wait_for(3, timeout=10)
    assert agent[2].channel == "whatsapp"  # the customer's last channel
    await harness.publish(said("whatsapp", WHATSAPP, "obrigado", 3))
    await asyncio.sleep(0.2)
    assert len(replies.events) == 3  # a person has it: the bot stays quiet

    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/close", json={}, headers=harness.auth
    )
    assert response.status == 202
    await harness.publish(said("whatsapp", WHATSAPP, "Qual o prazo de entrega?", 40))
    fresh = await replies.wait_for(4, timeout=10)
    assert fresh[3].conversationid != conversation  # a new conversation, the bot answers


async def test_a_bot_that_times_out_hands_over_instead_of_going_silent(hub_factory: Any) -> None:
    config = {"assistant": {"bot": {"timeout": 0.05}}}
    harness = await hub_factory(plugins=PLUGINS, privacy=PRIVACY, config=config)
    replies = await harness.collect("channels", "message.send.*")
    desk = await harness.collect("desk", "conversation.handoff.#")
    assistant = omnihub_assistant.running_assistant(harness.hub.contexts["assistant"])
    assert assistant is not None

    async def stuck(*_: Any, **__: Any) -> Any:
        await asyncio.sleep(5)

    assistant.answer = stuck  # type: ignore[method-assign]
    await harness.publish(said("whatsapp", WHATSAPP, "oi", 1))
    [handoff] = await desk.wait_for(1, timeout=10)
    assert handoff.data.reason == "bot_failure"
    [notice] = await replies.wait_for(1, timeout=10)
    assert notice.data.text == NOTICE["pt"]
