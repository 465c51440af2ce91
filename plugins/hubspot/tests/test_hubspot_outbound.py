"""Profile changes made elsewhere reach a fake HubSpot API (in-process broker and RabbitMQ)."""

from __future__ import annotations

from typing import Any

import omnihub_hubspot
from aiohttp import web
from hubspot_support import TOKEN, ApiCall, FakeDirectory, FakeHubSpot, FakeHubSpotFactory

from hub import CloudEvent
from hub.testing import HubHarness, eventually

DIRECTORY = FakeDirectory(
    {
        "cust-1": [("crm:hubspot", "501"), ("email", "maria.silva@example.com")],
        "cust-2": [("crm:hubspot", "502")],
        "cust-3": [("crm:hubspot", "503")],
        "cust-9": [("phone", "+55 11 99999-9999")],  # not in HubSpot
    }
)


async def start(
    hub_factory: Any, fake: FakeHubSpot, broker_url: str = "memory://", **table: Any
) -> HubHarness:
    config = {
        "access_token": TOKEN,
        "api_url": fake.url,
        "batch_window": 0.05,
        "backoff_initial": 0.01,
        "backoff_max": 0.02,
        "retry_schedule": [0.05, 0.05],
        **table,
    }
    harness: HubHarness = await hub_factory(
        plugins={"hubspot": omnihub_hubspot},
        config={"hubspot": config},
        customers=DIRECTORY,
        broker_url=broker_url,
    )
    return harness


def updated(
    customer: str, n: int, source: str = "test", event_source: str = "/tests", **traits: Any
) -> CloudEvent:
    values = traits or {"first_name": f"Maria {n}"}
    return CloudEvent(
        id=f"{customer}-upd-{n}",
        source=event_source,
        type="customer.updated",
        customerid=customer,
        data={
            "traits": {k: {"value": v, "source": source} for k, v in values.items()},
            "changed": list(values),
        },
    )


async def test_a_profile_change_reaches_hubspot_once(
    hub_factory: Any, broker_url: str, fake_hubspot: FakeHubSpotFactory
) -> None:
    fake = await fake_hubspot()
    harness = await start(hub_factory, fake, broker_url)
    change = updated("cust-1", 1)

    await harness.publish(change)
    await harness.publish(change)  # delivered again: the hub drops it, HubSpot never sees it
    await harness.publish(updated("cust-2", 2))  # a later change, to know the first is done

    await eventually(lambda: len(fake.updates()) >= 2)
    assert sorted(fake.updates()) == [
        ("501", {"firstname": "Maria 1"}),
        ("502", {"firstname": "Maria 2"}),
    ]
    assert all(call.authorization == f"Bearer {TOKEN}" for call in fake.calls)
    assert {call.path for call in fake.calls} == {"/crm/v3/objects/contacts/batch/update"}


async def test_updates_share_a_batch_request(
    hub_factory: Any, broker_url: str, fake_hubspot: FakeHubSpotFactory
) -> None:
    fake = await fake_hubspot()
    # A long window: the batch leaves when it is full, not when a timer fires.
    harness = await start(hub_factory, fake, broker_url, batch_window=30.0, batch_size=3)

    await harness.publish(*(updated(f"cust-{n}", n) for n in (1, 2, 3)))

    [call] = await fake.wait_for(1)
    assert sorted(i["id"] for i in call.body["inputs"]) == ["501", "502", "503"]


async def test_nothing_loops_back_to_hubspot(
    hub_factory: Any, fake_hubspot: FakeHubSpotFactory
) -> None:
    fake = await fake_hubspot()
    harness = await start(hub_factory, fake)

    await harness.publish(
        updated("cust-9", 1),  # a customer with no HubSpot contact
        updated("cust-1", 2, event_source="/plugins/hubspot"),  # published by this plugin
        updated("cust-1", 3, source="crm:hubspot"),  # a trait HubSpot itself reported
        updated("cust-1", 4, plan="gold"),  # a trait no HubSpot property is mapped to
        updated("cust-1", 5),  # the one change HubSpot should get
    )

    # The consumer is ordered per customer: once cust-1's last change arrived, its
    # earlier ones were handled (and sent nothing).
    await eventually(lambda: fake.updates())
    assert fake.updates() == [("501", {"firstname": "Maria 5"})]


async def test_rate_limits_and_server_errors_are_retried(
    hub_factory: Any, broker_url: str, fake_hubspot: FakeHubSpotFactory
) -> None:
    async def busy_then_ok(call: ApiCall, before: int) -> web.Response | None:
        if before == 0:
            return web.json_response({"category": "RATE_LIMITS"}, status=429)
        if before == 1:
            return web.json_response({"category": "INTERNAL"}, status=502)
        return None

    fake = await fake_hubspot(busy_then_ok)
    harness = await start(hub_factory, fake, broker_url)

    await harness.publish(updated("cust-1", 1))

    await fake.wait_for(3)
    assert [c.body for c in fake.calls] == [fake.calls[0].body] * 3


async def test_a_refused_batch_is_resent_contact_by_contact(
    hub_factory: Any, fake_hubspot: FakeHubSpotFactory
) -> None:
    async def refuse_503(call: ApiCall, before: int) -> web.Response | None:
        if call.path.endswith("/batch/update"):
            return web.json_response({"category": "VALIDATION_ERROR"}, status=400)
        if call.path.endswith("/503"):
            return web.json_response({"category": "VALIDATION_ERROR"}, status=400)
        return None

    fake = await fake_hubspot(refuse_503)
    harness = await start(hub_factory, fake, batch_window=30.0, batch_size=2)

    await harness.publish(updated("cust-2", 1), updated("cust-3", 2))

    async def dead_letters() -> list[dict[str, Any]]:
        response = await harness.client.get(
            "/api/v1/dead-letters", params={"consumer": "hubspot"}, headers=harness.auth
        )
        letters: list[dict[str, Any]] = (await response.json())["dead_letters"]
        return letters

    [letter] = await eventually(dead_letters)
    assert letter["id"] == "cust-3-upd-2"
    assert "answered 400 VALIDATION_ERROR" in letter["error"]
    patched = sorted(c.path for c in fake.calls if c.method == "PATCH")
    assert patched == ["/crm/v3/objects/contacts/502", "/crm/v3/objects/contacts/503"]


async def test_a_partial_batch_sends_the_rest_alone(
    hub_factory: Any, fake_hubspot: FakeHubSpotFactory
) -> None:
    async def only_first(call: ApiCall, before: int) -> web.Response | None:
        if not call.path.endswith("/batch/update"):
            return None
        first = call.body["inputs"][0]
        return web.json_response(
            {"status": "COMPLETE", "results": [first], "numErrors": 1, "errors": [{}]},
            status=207,
        )

    fake = await fake_hubspot(only_first)
    harness = await start(hub_factory, fake, batch_window=30.0, batch_size=2)

    await harness.publish(updated("cust-1", 1), updated("cust-2", 2))

    batch, alone = await fake.wait_for(2)
    assert alone.method == "PATCH"
    assert alone.path.rsplit("/", 1)[-1] == batch.body["inputs"][1]["id"]


async def test_a_hub_merge_merges_the_hubspot_contacts(
    hub_factory: Any, broker_url: str, fake_hubspot: FakeHubSpotFactory
) -> None:
    fake = await fake_hubspot()
    harness = await start(hub_factory, fake, broker_url)

    await harness.publish(
        CloudEvent(
            id="merge-1",
            source="/tests",
            type="customer.merged",
            customerid="cust-1",
            data={
                "merge_id": "merge-1",
                "surviving_id": "cust-1",
                "merged_ids": ["cust-2", "cust-9"],
                "rule": "shared_identifier",
            },
        )
    )

    [call] = await fake.wait_for(1)
    assert (call.method, call.path) == ("POST", "/crm/v3/objects/contacts/merge")
    assert call.body == {"primaryObjectId": "501", "objectIdToMerge": "502"}
