"""Typeform webhooks end to end: the real sample on both brokers, signatures, the profile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from omnihub_surveys import response_event_id
from typeform_support import (
    EMAIL,
    KNOWN_EMAIL,
    NPS_REF,
    SAMPLE,
    post,
    sample,
    signed,
    start,
    with_email,
    with_score,
)

from hub import BrokerUnavailable, CloudEvent, Identifier

TOKEN = "a3a12ec67a1365927098a606107fac15"
COMMENT = SAMPLE["form_response"]["answers"][0]["text"]
MAPPED = {"nps_field": NPS_REF, "hidden_fields": {"user_id": "crm:acme"}}


async def test_the_real_sample_becomes_survey_responded(hub_factory: Any, broker_url: str) -> None:
    harness = await start(hub_factory, broker_url, **MAPPED)
    seen = await harness.collect("probe", "survey.#")
    response = await post(harness, sample())
    assert response.status == 200
    assert await response.json() == {"accepted": 1}

    [event] = await seen.wait_for(1, timeout=15)
    assert event.id == response_event_id("typeform", f"lT4Z3j:{TOKEN}")
    assert (event.type, event.source) == ("survey.responded", "/plugins/typeform/lT4Z3j")
    assert event.time == datetime(2018, 1, 18, 18, 17, 2, tzinfo=UTC)
    assert event.customerid  # the identity stage gave the respondent a profile
    data = event.data
    assert (data.score, data.category, data.comment, data.tool) == (
        2,
        "detractor",
        COMMENT,
        "typeform",
    )
    assert data.survey_id is None
    assert data.identifiers == [
        Identifier(kind="crm:acme", value="abc123456"),
        Identifier(kind="email", value=EMAIL),
    ]


async def test_the_answer_lands_on_the_customer_the_hub_knows(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await start(hub_factory, broker_url, nps_field=NPS_REF)
    seen = await harness.collect("probe", "customer.identified.#", "survey.#")
    await harness.publish(
        CloudEvent(
            source="/tests/crm",
            type="customer.identified",
            data={"identifiers": [{"kind": "email", "value": KNOWN_EMAIL.upper()}]},
        )
    )
    [known] = await seen.wait_for(1, where=lambda e: e.type == "customer.identified", timeout=15)
    assert known.customerid

    assert (await post(harness, with_email(sample(), KNOWN_EMAIL))).status == 200
    [answer] = await seen.wait_for(1, where=lambda e: e.type == "survey.responded", timeout=15)
    assert answer.customerid == known.customerid

    profile = await harness.client.get(
        f"/api/v1/customers/{known.customerid}", headers=harness.auth
    )
    assert profile.status == 200
    last_nps = (await profile.json())["last_nps"]
    assert (last_nps["score"], last_nps["category"]) == (2, "detractor")


@pytest.mark.parametrize(
    "headers",
    [
        {"Typeform-Signature": "sha256=" + "A" * 44},  # forged
        {"Typeform-Signature": ""},  # empty
        {"Typeform-Signature": "sha1=abc"},  # another scheme
    ],
)
async def test_a_bad_signature_is_401_and_publishes_nothing(
    hub_factory: Any, headers: dict[str, str]
) -> None:
    harness = await start(hub_factory, **MAPPED)
    seen = await harness.collect("probe", "survey.#")
    body, _ = signed(sample())
    refused = await harness.client.post("/webhooks/typeform", data=body, headers=headers)
    assert refused.status == 401
    assert refused.content_type == "application/problem+json"

    tampered, good_headers = signed(sample())
    tampered = tampered.replace(b'"number": 2', b'"number": 9')
    response = await harness.client.post("/webhooks/typeform", data=tampered, headers=good_headers)
    assert response.status == 401
    unsigned = await harness.client.post("/webhooks/typeform", data=body)
    assert unsigned.status == 401

    marker = with_score(sample(), 10)
    marker["form_response"]["token"] = "marker"
    assert (await post(harness, marker)).status == 200
    await seen.wait_for(1)
    assert [e.data.score for e in seen.events] == [10]  # only the marker got through


async def test_typeforms_retries_are_dropped_as_duplicates(hub_factory: Any) -> None:
    harness = await start(hub_factory, **MAPPED)
    seen = await harness.collect("probe", "survey.#")
    assert [(await post(harness, sample())).status for _ in range(3)] == [200, 200, 200]
    marker = sample()
    marker["form_response"]["token"] = "marker"
    await post(harness, marker)
    events = await seen.wait_for(2)
    assert [e.id for e in events] == [
        response_event_id("typeform", f"lT4Z3j:{TOKEN}"),
        response_event_id("typeform", "lT4Z3j:marker"),
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: with_score(p, 11), "invalid_score"),
        (lambda p: with_score(p, 7.5), "invalid_score"),
        (lambda p: with_score(p, None), "invalid_score"),
        (lambda p: p["form_response"].update(answers=[]), "no_nps_answer"),
        (lambda p: p.update(event_type="form_response_partial"), "not_a_form_response"),
    ],
)
async def test_responses_without_a_usable_score_are_answered_200_and_ignored(
    hub_factory: Any, change: Any, reason: str
) -> None:
    harness = await start(hub_factory, **MAPPED)
    payload = sample()
    change(payload)
    response = await post(harness, payload)
    assert response.status == 200
    assert await response.json() == {"accepted": 0, "ignored": reason}


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[]", 400), (b'{"form_response": {"token": "t"}}', 400)],
)
async def test_bodies_that_are_no_typeform_webhook_are_400(
    hub_factory: Any, body: bytes, status: int
) -> None:
    harness = await start(hub_factory)
    response = await post(harness, body)
    assert response.status == status
    assert (await response.json())["title"] == "Bad request"


async def test_a_body_over_the_limit_is_413(hub_factory: Any) -> None:
    harness = await start(hub_factory, max_body_bytes=1000)
    response = await post(harness, sample())
    assert response.status == 413


async def test_broker_down_answers_503_so_typeform_retries(
    hub_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = await start(hub_factory, **MAPPED)

    async def unavailable(event: CloudEvent) -> bool:
        raise BrokerUnavailable("broker is reconnecting")

    monkeypatch.setattr(harness.hub.pipeline, "process", unavailable)
    response = await post(harness, sample())
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1
