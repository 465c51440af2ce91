"""Formbricks webhooks end to end: documented samples on both brokers, Standard Webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from formbricks_support import KNOWN_EMAIL, finished, load, post, signed, stale, start
from omnihub_surveys import response_event_id

from hub import BrokerUnavailable, CloudEvent, Identifier


async def test_a_finished_response_becomes_survey_responded(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await start(hub_factory, broker_url, user_id_kind="crm:app")
    seen = await harness.collect("probe", "survey.#")
    payload = finished(
        score=6,
        comment="O suporte demorou",
        contact={"id": "contactId", "userId": "user-77"},
        contactAttributes={"email": KNOWN_EMAIL},
    )
    response = await post(harness, payload)
    assert response.status == 200
    assert await response.json() == {"accepted": 1}

    [event] = await seen.wait_for(1, timeout=15)
    assert event.id == response_event_id("formbricks", "responseId")
    assert (event.type, event.source) == ("survey.responded", "/plugins/formbricks/surveyId")
    assert event.time == datetime(2025, 7, 24, 7, 47, 56, 116000, tzinfo=UTC)
    assert event.customerid
    data = event.data
    assert (data.score, data.category, data.comment, data.tool) == (
        6,
        "detractor",
        "O suporte demorou",
        "formbricks",
    )
    assert data.identifiers == [
        Identifier(kind="email", value=KNOWN_EMAIL),
        Identifier(kind="crm:app", value="user-77"),
    ]


async def test_the_answer_lands_on_the_customer_the_hub_knows(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await start(hub_factory, broker_url)
    seen = await harness.collect("probe", "customer.identified.#", "survey.#")
    await harness.publish(
        CloudEvent(
            source="/tests/crm",
            type="customer.identified",
            data={"identifiers": [{"kind": "email", "value": KNOWN_EMAIL}]},
        )
    )
    [known] = await seen.wait_for(1, where=lambda e: e.type == "customer.identified", timeout=15)

    payload = finished(score=10, contactAttributes={"email": KNOWN_EMAIL})
    assert (await post(harness, payload)).status == 200
    [answer] = await seen.wait_for(1, where=lambda e: e.type == "survey.responded", timeout=15)
    assert answer.customerid == known.customerid

    profile = await harness.client.get(
        f"/api/v1/customers/{known.customerid}", headers=harness.auth
    )
    last_nps = (await profile.json())["last_nps"]
    assert (last_nps["score"], last_nps["category"]) == (10, "promoter")


async def test_the_documented_array_form_and_unfinished_responses(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    as_documented = await post(harness, load("response_finished.json"))
    assert await as_documented.json() == {"accepted": 0, "ignored": "no_nps_answer"}
    updated = await post(harness, load("response_updated.json"))
    assert await updated.json() == {"accepted": 0, "ignored": "not_finished"}
    created = finished(score=9)
    created["event"] = "responseCreated"
    assert await (await post(harness, created)).json() == {"accepted": 0, "ignored": "not_finished"}


@pytest.mark.parametrize(
    "sign",
    [
        {"secret": "whsec_" + "d3Jvbmcta2V5LXdyb25nLWtleQ=="},  # another key
        {"minutes_ago": 6},  # outside the 5-minute tolerance
        {"minutes_ago": -6},  # from the future
    ],
)
async def test_a_bad_signature_is_401_and_publishes_nothing(
    hub_factory: Any, sign: dict[str, Any]
) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "survey.#")
    if "minutes_ago" in sign:  # the time taken now: collection may be minutes earlier
        sign = {"at": stale(minutes=sign["minutes_ago"])}
    response = await post(harness, finished(score=3), **sign)
    assert response.status == 401

    body, headers = signed(finished(score=3))
    tampered = body.replace(b'"nps": 3', b'"nps": 9')
    assert (
        await harness.client.post("/webhooks/formbricks", data=tampered, headers=headers)
    ).status == 401
    for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in headers.items() if k != missing}
        assert (
            await harness.client.post("/webhooks/formbricks", data=body, headers=partial)
        ).status == 401

    marker = finished(score=10, id="marker")
    assert (await post(harness, marker)).status == 200
    await seen.wait_for(1)
    assert [e.data.score for e in seen.events] == [10]


async def test_retries_of_the_same_response_are_dropped(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "survey.#")
    for attempt in range(3):
        assert (await post(harness, finished(score=8), msg_id=f"msg_{attempt}")).status == 200
    await post(harness, finished(score=1, id="marker"))
    events = await seen.wait_for(2)
    assert [e.data.score for e in events] == [8, 1]


@pytest.mark.parametrize(
    ("score", "reason"),
    [(11, "invalid_score"), (-1, "invalid_score"), ("9", "invalid_score"), ("", "no_nps_answer")],
)
async def test_unusable_scores_are_200_and_ignored(
    hub_factory: Any, score: Any, reason: str
) -> None:
    harness = await start(hub_factory)
    response = await post(harness, finished(score=score))
    assert (response.status, await response.json()) == (200, {"accepted": 0, "ignored": reason})


async def test_malformed_bodies_are_400(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    for body in (b"{", b"[]", b'{"event": "responseFinished"}', b'[{"data": {"id": "x"}}]'):
        assert (await post(harness, body)).status == 400


async def test_broker_down_answers_503(hub_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = await start(hub_factory)

    async def unavailable(event: CloudEvent) -> bool:
        raise BrokerUnavailable("broker is reconnecting")

    monkeypatch.setattr(harness.hub.pipeline, "process", unavailable)
    response = await post(harness, finished(score=9))
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1
