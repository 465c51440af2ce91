"""The webhook: who may call it, what it ignores, assignments and offers."""

from __future__ import annotations

import json
import time
from typing import Any

import omnihub_chatwoot
import pytest
from chatwoot_support import AGENT, WEBHOOK_TOKEN, FakeChatwoot, FakeChatwootFactory
from hypothesis import given
from hypothesis import strategies as st
from omnihub_chatwoot.config import ChatwootConfig
from omnihub_chatwoot.signature import Unauthenticated, sign, verify_signature
from test_chatwoot_desk import hand_to_human, open_conversation, state

from hub.testing import HubFactory, HubHarness, eventually

SECRET = "chatwoot-webhook-signing-secret-42"
WEBHOOK = f"/webhooks/chatwoot?token={WEBHOOK_TOKEN}"

# The bot answers first only for customers who allow an AI assistant: here, everyone.
BOT_FIRST = {"default_allowed": ["service", "ai_assistant"]}


async def desk(
    hub_factory: HubFactory, fake_chatwoot: FakeChatwootFactory, **config: Any
) -> tuple[FakeChatwoot, HubHarness]:
    fake = await fake_chatwoot()
    harness = await hub_factory(
        plugins={"chatwoot": omnihub_chatwoot},
        config={"chatwoot": fake.config(**config)},
        privacy=BOT_FIRST,
    )
    return fake, harness


async def test_the_webhook_needs_the_token(
    hub_factory: HubFactory, fake_chatwoot: FakeChatwootFactory
) -> None:
    _, harness = await desk(hub_factory, fake_chatwoot)
    body = {"event": "message_created"}
    assert (await harness.client.post("/webhooks/chatwoot", json=body)).status == 401
    assert (await harness.client.post("/webhooks/chatwoot?token=nope", json=body)).status == 401
    headers = {"X-Omnihub-Token": WEBHOOK_TOKEN}
    assert (
        await harness.client.post("/webhooks/chatwoot", json=body, headers=headers)
    ).status == 200
    assert (await harness.client.post(WEBHOOK, data=b"[]")).status == 400


async def test_a_signed_delivery_is_checked(
    hub_factory: HubFactory, fake_chatwoot: FakeChatwootFactory
) -> None:
    _, harness = await desk(hub_factory, fake_chatwoot, webhook_token=None, webhook_secret=SECRET)
    body = json.dumps({"event": "conversation_typing_on"}).encode()
    stamp = str(int(time.time()))
    good = {"X-Chatwoot-Timestamp": stamp, "X-Chatwoot-Signature": sign(SECRET, stamp, body)}
    assert (await harness.client.post("/webhooks/chatwoot", data=body, headers=good)).status == 200
    forged = {**good, "X-Chatwoot-Signature": sign("another-secret-of-some-length", stamp, body)}
    assert (
        await harness.client.post("/webhooks/chatwoot", data=body, headers=forged)
    ).status == 401
    assert (await harness.client.post("/webhooks/chatwoot", data=body)).status == 401


@given(body=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=199))
def test_any_change_to_a_signed_body_is_refused(body: bytes, flip: int) -> None:
    now = 1_800_000_000.0
    stamp = str(int(now))
    signature = sign(SECRET, stamp, body)
    verify_signature(SECRET, body, stamp, signature, tolerance=300, now=now)
    if body:
        at = flip % len(body)
        changed = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
    else:
        changed = b" "
    with pytest.raises(Unauthenticated):
        verify_signature(SECRET, changed, stamp, signature, tolerance=300, now=now)
    with pytest.raises(Unauthenticated, match="clock"):
        verify_signature(SECRET, body, stamp, signature, tolerance=300, now=now + 301)


def test_a_webhook_without_any_check_is_refused() -> None:
    base = {
        "base_url": "https://desk.example",
        "api_access_token": "t",
        "account_id": 1,
        "inbox_id": 2,
    }
    with pytest.raises(ValueError, match="set webhook_token"):
        ChatwootConfig.model_validate(base)
    with pytest.raises(ValueError, match="at least 16"):
        ChatwootConfig.model_validate({**base, "webhook_token": "short"})


async def test_echoes_notes_and_foreign_conversations_send_nothing(
    hub_factory: HubFactory, fake_chatwoot: FakeChatwootFactory
) -> None:
    fake, harness = await desk(hub_factory, fake_chatwoot)
    sent = await harness.collect("channel-out", "message.send.#")
    conversation, _ = await open_conversation(harness)
    await hand_to_human(harness, conversation)
    await fake.wait_for_messages(1)
    [chatwoot_id] = fake.conversations
    ignored = [
        fake.agent_reply(chatwoot_id, "nota interna", 1, private=True),  # an agent's note
        fake.agent_reply(chatwoot_id, "echo", 2, message_type="incoming"),  # our own post
        fake.agent_reply(chatwoot_id, "auto", 3, sender=None),  # an automation
        fake.agent_reply(chatwoot_id, "other account", 4, account={"id": 99, "name": "x"}),
    ]
    foreign = fake.agent_reply(chatwoot_id, "not ours", 5)
    foreign["conversation"]["additional_attributes"] = {}
    for payload in [*ignored, foreign]:
        answer = await (await harness.client.post(WEBHOOK, json=payload)).json()
        assert answer == {"published": 0}
    await harness.client.post(WEBHOOK, json=fake.agent_reply(chatwoot_id, "resposta", 6))
    [reply] = await sent.wait_for(1)
    assert reply.data.text == "resposta"


async def test_an_offer_is_accepted_when_chatwoot_assigns_an_agent(
    hub_factory: HubFactory, fake_chatwoot: FakeChatwootFactory
) -> None:
    fake, harness = await desk(hub_factory, fake_chatwoot)
    control = await harness.collect("control", "conversation.#")
    conversation, _ = await open_conversation(harness)
    await hand_to_human(harness, conversation, mode="offer")
    [note] = await fake.wait_for_messages(1)
    assert "(offered to you)" in note["content"]
    assert (await state(harness, conversation))["controller"] == "bot"
    [chatwoot_id] = fake.conversations

    answer = await harness.client.post(WEBHOOK, json=fake.assignee_changed(chatwoot_id, AGENT))
    assert await answer.json() == {"published": 2}
    [assigned] = await control.wait_for(1, where=lambda e: e.type == "conversation.assigned")
    assert assigned.data.agent.model_dump(exclude_none=True) == {"id": "3", "name": "Carla Souza"}

    async def human() -> Any:
        current = await state(harness, conversation)
        return current if current["controller"] == "human" and current["agent"] else None

    current = await eventually(human)
    assert current["agent"] == {"id": "3", "name": "Carla Souza"}
