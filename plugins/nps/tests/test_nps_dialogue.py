"""The dialogue around the score, native choices, on-demand surveys and the API's guard."""

from __future__ import annotations

from typing import Any

from nps_support import AUTH, allow_surveys, close, say, scores, start
from omnihub_nps.events import step_id

from hub.testing import EventCollector, HubHarness, eventually

PHONE = "5511900000002"


async def asked_on(channel: str, user: str, hub_factory: Any) -> tuple[HubHarness, Any, Any]:
    harness, _ = await start(hub_factory)
    seen = await harness.collect("probe", "message.#", "survey.#", "consent.#")
    hello = await say(harness, seen, channel, user, "olá")
    await allow_surveys(harness, seen, hello.customerid)
    await close(harness, hello.conversationid)
    [asked] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    return harness, seen, asked


def sent(seen: EventCollector, survey_id: str, step: str) -> Any:
    return seen.wait_for(1, where=lambda e: e.id == step_id(survey_id, step), timeout=15)


async def test_a_bare_score_gets_one_follow_up_and_the_next_message_is_the_reason(
    hub_factory: Any,
) -> None:
    harness, seen, asked = await asked_on("whatsapp", PHONE, hub_factory)
    survey_id = asked.data.survey_id
    await say(harness, seen, "whatsapp", PHONE, "7")
    [follow_up] = await sent(seen, survey_id, "follow_up")
    assert follow_up.data.text.startswith("Obrigado!")
    assert not [e for e in seen.events if e.type == "survey.responded"]

    await say(harness, seen, "whatsapp", PHONE, "o preço estava alto")
    [answer] = await seen.wait_for(1, where=lambda e: e.type == "survey.responded", timeout=15)
    assert (answer.data.score, answer.data.category) == (7, "passive")
    assert (answer.data.comment, answer.data.themes) == ("o preço estava alto", ["price"])


async def test_an_ambiguous_reply_is_clarified_once_and_never_guessed(hub_factory: Any) -> None:
    harness, seen, asked = await asked_on("whatsapp", PHONE, hub_factory)
    survey_id = asked.data.survey_id
    await say(harness, seen, "whatsapp", PHONE, "acho que uns 7 ou 8")
    await sent(seen, survey_id, "clarify")
    await say(harness, seen, "whatsapp", PHONE, "8 ou 9, sei lá")

    async def gave_up() -> bool:
        return (await scores(harness))["ended"].get("ambiguous") == 1

    await eventually(gave_up, timeout=15)
    assert not [e for e in seen.events if e.type == "survey.responded"]
    clarifications = [e for e in seen.events if e.id == step_id(survey_id, "clarify")]
    assert len(clarifications) == 1


async def test_instagram_asks_with_eleven_quick_reply_buttons(hub_factory: Any) -> None:
    harness, seen, asked = await asked_on("instagram", "ig-777", hub_factory)
    [question] = await sent(seen, asked.data.survey_id, "ask")
    assert question.channel == "instagram"
    assert question.data.kind == "interactive"
    buttons = question.data.interactive.buttons
    assert [b.title for b in buttons] == [str(n) for n in range(11)]

    reply = {
        "source": "/tests/instagram",
        "type": "message.received",
        "channel": "instagram",
        "data": {
            "kind": "interactive_reply",
            "channel_message_id": "ig.reply.1",
            "sender": {"identifiers": [{"kind": "instagram", "value": "ig-777"}]},
            "interactive_reply": {"control": "quick_reply", "id": buttons[10].id, "title": "10"},
        },
    }
    await harness.publish(reply)
    await sent(seen, asked.data.survey_id, "follow_up")  # a button is a bare score


async def test_on_demand_needs_the_token_and_the_customers_consent(hub_factory: Any) -> None:
    harness, _ = await start(hub_factory)
    seen = await harness.collect("probe", "message.#", "survey.#", "consent.#")
    path = "/webhooks/nps/surveys"
    assert (await harness.client.post(path, json={"customer_id": "x"})).status == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert (await harness.client.get("/webhooks/nps/scores", headers=wrong)).status == 401

    hello = await say(harness, seen, "whatsapp", PHONE, "olá")
    refused = await harness.client.post(path, json={"customer_id": hello.customerid}, headers=AUTH)
    assert refused.status == 409
    assert (await refused.json())["reason"] == "no_consent"

    await allow_surveys(harness, seen, hello.customerid)

    async def allowed() -> Any:
        body = {"customer_id": hello.customerid, "channel": "whatsapp", "request_id": "r1"}
        response = await harness.client.post(path, json=body, headers=AUTH)
        return response if response.status == 202 else None

    accepted = await eventually(allowed, timeout=15)
    survey_id = (await accepted.json())["survey_id"]
    [asked] = await seen.wait_for(1, where=lambda e: e.type == "survey.requested", timeout=15)
    assert (asked.data.survey_id, asked.data.trigger) == (survey_id, "on_demand")
    bad = await harness.client.get("/webhooks/nps/scores?group_by=mood", headers=AUTH)
    assert bad.status == 400
