"""The issue's done-when flow, on both brokers: ask once, read the reply, report, no fatigue."""

from __future__ import annotations

from typing import Any

from nps_support import Clock, allow_surveys, close, say, scores, start

from hub.testing import eventually

PHONE = "5511900000001"


async def test_closed_whatsapp_conversation_asks_once_and_reads_the_reply(
    hub_factory: Any, broker_url: str
) -> None:
    clock = Clock()
    harness, _ = await start(hub_factory, broker_url, clock)
    seen = await harness.collect("probe", "message.#", "survey.#", "conversation.#", "consent.#")

    hello = await say(harness, seen, "whatsapp", PHONE, "oi, meu pedido chegou?")
    customer = hello.customerid
    await allow_surveys(harness, seen, customer)
    await close(harness, hello.conversationid)

    [asked] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    assert (asked.customerid, asked.channel) == (customer, "whatsapp")
    assert (asked.data.trigger, asked.data.language) == ("conversation_closed", "pt-BR")
    assert asked.data.conversation_id == hello.conversationid
    sends = [e for e in seen.events if e.type == "message.send"]
    assert len(sends) == 1  # ONE question
    [question] = sends
    assert question.routing_key == "message.send.whatsapp"
    assert question.data.kind == "text"
    assert "0 a 10" in question.data.text

    await say(harness, seen, "whatsapp", PHONE, "nota nove, mas demorou")
    [answer] = await seen.wait_for(1, where=lambda e: e.type == "survey.responded", timeout=15)
    data = answer.data
    assert (data.score, data.category, data.comment) == (9, "promoter", "nota nove, mas demorou")
    assert data.themes == ["delivery_time"]
    assert (data.survey_id, data.conversation_id) == (asked.data.survey_id, hello.conversationid)
    assert (str(data.resolved_by), answer.channel, answer.customerid) == (
        "bot",
        "whatsapp",
        customer,
    )
    assert not [e for e in seen.events if e.type == "survey.detractor"]
    # The reply joined the survey's own conversation, which nobody controls (a bot leaves it
    # alone), and which ends with the survey.
    [reply] = [e for e in seen.events if e.type == "message.received" and "nove" in e.data.text]
    assert reply.conversationid is not None
    assert reply.conversationid.startswith("nps_")
    await seen.wait_for(
        1,
        where=lambda e: (
            e.type == "conversation.closed" and e.data.conversation_id == reply.conversationid
        ),
        timeout=15,
    )
    survey_chat = await harness.client.get(
        f"/api/v1/conversations/{reply.conversationid}", headers=harness.auth
    )
    state = await survey_chat.json()
    assert (state["status"], state["controller"]) == ("closed", "none")

    async def recorded() -> bool:  # the plugin records the answer right after publishing it
        return (await scores(harness))["overall"]["responded"] == 1

    await eventually(recorded, timeout=15)
    by_channel = await scores(harness, group_by="channel")
    assert by_channel["overall"]["nps"] == 100.0
    assert by_channel["overall"]["responded"] == 1
    assert by_channel["groups"]["whatsapp"]["promoters"] == 1
    assert by_channel["groups"]["whatsapp"]["response_rate"] == 1.0
    by_resolver = await scores(harness, group_by="resolved_by")
    assert by_resolver["groups"]["bot"]["nps"] == 100.0

    # The next day the same customer closes another conversation on Instagram: not asked.
    clock.advance(days=1)
    dm = await say(harness, seen, "instagram", "ig-4242", "oi de novo", customer_id=customer)
    assert dm.customerid == customer
    await close(harness, dm.conversationid)
    await seen.wait_for(
        1,
        where=lambda e: e.type == "conversation.closed" and e.channel == "instagram",
        timeout=15,
    )

    async def fatigue_counted() -> bool:
        return (await scores(harness))["skipped"].get("min_days_between") == 1

    await eventually(fatigue_counted, timeout=15)
    assert len([e for e in seen.events if e.type == "survey.requested"]) == 1
    questions = [
        e for e in seen.events if e.type == "message.send" and "0 a 10" in (e.data.text or "")
    ]
    assert len(questions) == 1


async def test_a_detractor_reply_raises_survey_detractor_with_the_comment(
    hub_factory: Any, broker_url: str
) -> None:
    harness, _ = await start(hub_factory, broker_url)
    seen = await harness.collect("probe", "message.#", "survey.#", "consent.#")
    desk = await harness.collect("desk", "conversation.handoff.#")
    hello = await say(harness, seen, "whatsapp", PHONE, "quero cancelar")
    await allow_surveys(harness, seen, hello.customerid)
    await close(harness, hello.conversationid)
    await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)

    await say(harness, seen, "whatsapp", PHONE, "2, o atendimento foi péssimo")
    [alert] = await seen.wait_for(1, where=lambda e: e.type == "survey.detractor", timeout=15)
    assert (alert.data.score, alert.data.category) == (2, "detractor")
    assert alert.data.comment == "2, o atendimento foi péssimo"
    assert alert.data.themes == ["service"]
    assert alert.customerid == hello.customerid
    # A person follows up: a conversation handed to a human with the comment in context.
    [handoff] = await desk.wait_for(1, timeout=15)
    assert handoff.data.reason == "detractor_follow_up"
    assert "péssimo" in handoff.data.context.bot_understanding.summary
