"""POST /webhooks/hubspot through a real hub (in-process broker and RabbitMQ)."""

from __future__ import annotations

import json
import time
from typing import Any

import omnihub_hubspot
import pytest
from hubspot_support import (
    CLIENT_SECRET,
    WEBHOOK_PATH,
    FakeDirectory,
    fixture,
    signed_headers,
)

from hub import ConfigError
from hub.testing import HubHarness

PUBLIC_URL = "https://hub.example.com/webhooks/hubspot"
DIRECTORY = FakeDirectory({"cust-a": [("crm:hubspot", "1246965")]})


async def start(hub_factory: Any, broker_url: str = "memory://", **table: Any) -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"hubspot": omnihub_hubspot},
        config={"hubspot": {"client_secret": CLIENT_SECRET, **table}},
        customers=DIRECTORY,
        broker_url=broker_url,
    )
    return harness


async def test_a_property_change_sample_updates_the_profile(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await start(hub_factory, broker_url, webhook_url=PUBLIC_URL)
    probe = await harness.collect("probe", "customer.#")
    body = fixture("contact_property_change.json")

    response = await harness.client.post(
        WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body)
    )

    assert response.status == 200
    assert await response.json() == {"published": 1, "skipped": 0}
    [event] = await probe.wait_for(1)
    assert event.type == "customer.updated"
    assert event.customerid == "cust-a"
    assert event.data.traits["crm:hubspot.lifecyclestage"].value == "subscriber"


async def test_a_tampered_body_is_rejected_and_nothing_published(
    hub_factory: Any, broker_url: str
) -> None:
    harness = await start(hub_factory, broker_url, webhook_url=PUBLIC_URL)
    probe = await harness.collect("probe", "customer.#")
    body = fixture("contact_property_change.json")
    tampered = body.replace(b'"subscriber"', b'"customer"')

    response = await harness.client.post(
        WEBHOOK_PATH, data=tampered, headers=signed_headers(PUBLIC_URL, body)
    )

    assert response.status == 401
    assert (await response.json())["detail"] == "the signature does not match"
    # The next (genuine) delivery is the first event the probe sees.
    await harness.client.post(WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body))
    await probe.wait_for(1)
    assert [e.data.traits["crm:hubspot.lifecyclestage"].value for e in probe.events] == [
        "subscriber"
    ]


async def test_a_retried_delivery_is_published_once(hub_factory: Any, broker_url: str) -> None:
    harness = await start(hub_factory, broker_url, webhook_url=PUBLIC_URL)
    probe = await harness.collect("probe", "customer.#")
    [first] = json.loads(fixture("contact_property_change.json"))
    retry = json.dumps([first | {"attemptNumber": 1}]).encode()
    creation = fixture("contact_creation.json")

    for body in (fixture("contact_property_change.json"), retry, creation):
        response = await harness.client.post(
            WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body)
        )
        assert response.status == 200

    # The creation came last; by then the retry was dropped as a duplicate.
    await probe.wait_for(2)
    assert sorted(e.id for e in probe.events) == ["hubspot-33-3816279340", "hubspot-62515-1"]


async def test_the_signed_uri_is_rebuilt_from_forwarded_headers(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    probe = await harness.collect("probe", "customer.#")
    body = fixture("contact_creation.json")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hub.example.com"}

    response = await harness.client.post(
        WEBHOOK_PATH,
        data=body,
        headers=signed_headers("https://hub.example.com" + WEBHOOK_PATH, body) | forwarded,
    )

    assert response.status == 200
    await probe.wait_for(1)


async def test_a_stale_request_is_rejected(hub_factory: Any) -> None:
    harness = await start(hub_factory, webhook_url=PUBLIC_URL)
    body = fixture("contact_creation.json")
    six_minutes_ago = int(time.time() * 1000) - 6 * 60 * 1000

    response = await harness.client.post(
        WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body, timestamp=six_minutes_ago)
    )

    assert response.status == 401
    assert "5 minutes" in (await response.json())["detail"]


async def test_a_malformed_element_is_skipped_and_the_rest_published(hub_factory: Any) -> None:
    harness = await start(hub_factory, webhook_url=PUBLIC_URL)
    probe = await harness.collect("probe", "customer.#")
    [creation] = json.loads(fixture("contact_creation.json"))
    body = json.dumps([{"objectId": 5}, creation]).encode()

    response = await harness.client.post(
        WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body)
    )

    assert await response.json() == {"published": 1, "skipped": 1}
    [event] = await probe.wait_for(1)
    assert event.id == "hubspot-62515-1"


@pytest.mark.parametrize("body", [b"{}", b"not json"])
async def test_a_body_that_is_no_array_is_a_bad_request(hub_factory: Any, body: bytes) -> None:
    harness = await start(hub_factory, webhook_url=PUBLIC_URL)
    response = await harness.client.post(
        WEBHOOK_PATH, data=body, headers=signed_headers(PUBLIC_URL, body)
    )
    assert response.status == 400


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"client_secret": None}, r"plugins\.hubspot: .*set client_secret"),
        ({"api_url": "api.hubapi.com"}, r"plugins\.hubspot\.api_url: .*absolute"),
        ({"properties": {"firstname": "First Name"}}, r"plugins\.hubspot\.properties: .*firstname"),
    ],
)
async def test_bad_config_names_the_field(
    hub_factory: Any, table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        await start(hub_factory, **table)
