"""Whole hubs: two of them on one store and broker, a delivered order, a merged customer."""

from __future__ import annotations

import asyncio
from typing import Any

from nps_support import Clock, allow_surveys, close, say, scores, start
from omnihub_nps.asker import ask_due

from hub.testing import EventCollector, HubHarness, eventually

PHONE = "5511900000003"
EMAIL = "ana.souza@mail.com.br"


async def test_two_hubs_on_one_store_and_broker_ask_a_closed_conversation_once(
    hub_factory: Any, broker_url: str, store_url: str
) -> None:
    clock = Clock()
    # Due ten minutes after the close, and askers that only poll hourly: the test brings
    # the survey due and then lets both hubs try to ask it at once. No min_days_between:
    # only the claim keeps the second hub from asking again.
    table = {"delay_seconds": 600, "poll_seconds": 3600, "min_days_between": 0}
    first, one = await start(hub_factory, broker_url, clock, store_url=store_url, **table)
    second, other = await start(hub_factory, clock=clock, alongside=first, **table)
    seen = await first.collect("probe", "message.#", "survey.#", "consent.#")
    hello = await say(first, seen, "whatsapp", PHONE, "oi, chegou tudo certo")
    await allow_surveys(first, seen, hello.customerid)
    await close(second, hello.conversationid)
    hubs = [one.started[-1], other.started[-1]]

    async def scheduled() -> Any:  # by whichever hub's consumer took conversation.closed
        return await hubs[0].store.pending(hello.customerid)

    survey = await eventually(scheduled, timeout=15)
    clock.advance(minutes=10)
    asked = await asyncio.gather(*(ask_due(nps) for nps in hubs * 2))
    assert sum(asked) == 1
    [requested] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    assert requested.data.survey_id == survey.survey_id
    questions = [e for e in seen.events if e.type == "message.send"]
    assert len(questions) == 1
    assert [await ask_due(nps) for nps in hubs] == [0, 0]


async def test_a_delivered_order_asks_on_the_customers_last_channel(
    hub_factory: Any, broker_url: str
) -> None:
    harness, _ = await start(hub_factory, broker_url, on_conversation_closed=False)
    seen = await harness.collect("probe", "message.#", "survey.#", "consent.#", "order.#")
    hello = await say(harness, seen, "whatsapp", PHONE, "quando chega meu pedido?")
    await allow_surveys(harness, seen, hello.customerid)
    await close(harness, hello.conversationid)  # no survey for it: switched off
    for status in ("shipped", "delivered"):
        await harness.publish(order(status))
    await seen.wait_for(2, where=lambda e: e.type == "order.updated", timeout=15)

    [asked] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    assert (asked.customerid, asked.channel) == (hello.customerid, "whatsapp")
    assert (asked.data.trigger, asked.data.order_id) == ("order_delivered", "TS-1001")
    [question] = [e for e in seen.events if e.type == "message.send"]
    assert question.routing_key == "message.send.whatsapp"
    assert "0 a 10" in question.data.text


def order(status: str) -> dict[str, Any]:
    return {
        "source": "/tests/store",
        "type": "order.updated",
        "id": f"order-TS-1001-{status}",
        "data": {
            "order_id": "TS-1001",
            "platform": "tiktok_shop",
            "status": status,
            "identifiers": [{"kind": "whatsapp", "value": PHONE}],
        },
    }


def identified(*identifiers: tuple[str, str], key: str) -> dict[str, Any]:
    return {
        "source": "/tests/crm",
        "type": "customer.identified",
        "id": key,
        "data": {"identifiers": [{"kind": k, "value": v} for k, v in identifiers]},
    }


async def profile_of(harness: HubHarness, seen: EventCollector, key: str) -> str:
    [event] = await seen.wait_for(1, where=lambda e: e.id == key, timeout=15)
    assert event.customerid is not None
    return event.customerid


async def test_a_survey_of_a_merged_profile_is_answered_as_the_survivor(
    hub_factory: Any, broker_url: str
) -> None:
    clock = Clock()
    harness, _ = await start(hub_factory, broker_url, clock)
    seen = await harness.collect(
        "probe", "message.#", "survey.#", "consent.#", "customer.#", "conversation.closed.#"
    )
    # B: a WhatsApp customer, asked after a closed conversation.
    hello = await say(harness, seen, "whatsapp", PHONE, "oi")
    b = hello.customerid
    await allow_surveys(harness, seen, b)
    await close(harness, hello.conversationid)
    [asked] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    assert asked.customerid == b
    # A: the CRM's customer, known by e-mail; then the CRM links the phone to her: B → A.
    await harness.publish(identified(("email", EMAIL), key="crm-1"))
    a = await profile_of(harness, seen, "crm-1")
    await harness.publish(identified(("email", EMAIL), ("whatsapp", PHONE), key="crm-2"))
    [merged] = await seen.wait_for(1, where=lambda e: e.type == "customer.merged", timeout=15)
    assert (merged.data.surviving_id, merged.data.merged_ids) == (a, [b])

    await say(harness, seen, "whatsapp", PHONE, "nota 9, chegou rápido")
    [answer] = await seen.wait_for(1, where=lambda e: e.type == "survey.responded", timeout=15)
    assert (answer.customerid, answer.data.survey_id) == (a, asked.data.survey_id)
    assert answer.data.score == 9
    # The survey's conversation closes after the thanks: her next message opens a new one.
    closed = f"nps_{asked.data.survey_id}"
    await seen.wait_for(
        1, where=lambda e: e.type == "conversation.closed" and e.conversationid == closed
    )

    # The next day she closes another conversation: what B was asked counts for A.
    clock.advance(days=1)
    again = await say(harness, seen, "whatsapp", PHONE, "outra dúvida")
    assert again.customerid == a
    await close(harness, again.conversationid)

    async def fatigue_counted() -> bool:
        return (await scores(harness))["skipped"].get("min_days_between") == 1

    await eventually(fatigue_counted, timeout=15)
    assert len([e for e in seen.events if e.type == "survey.requested"]) == 1
