"""External consumers: a queue of their own, fed through consent, managed from the CLI."""

from __future__ import annotations

import asyncio
import json

from omnihub_contracts import CloudEvent

from hub.broker import Delivery, PermanentFailure
from hub.testing import HubFactory, HubHarness, eventually
from tests.identity.events import ids, received
from tests.test_cli import invoke

PHONE = ids(("whatsapp", "5511977776666"), ("phone", "+5511977776666"))


async def read_queue(harness: HubHarness, name: str) -> list[CloudEvent]:
    """Read the external queue as the external system would (a subscription of its own)."""
    seen: list[CloudEvent] = []

    async def take(delivery: Delivery) -> None:
        seen.append(CloudEvent.model_validate_json(delivery.message.body))

    [consumer] = [c for c in (await harness.hub.external.definitions()).values() if c.name == name]
    subscription = await harness.hub.broker.consume(consumer.queue, take)
    harness.hub._subscriptions.append(subscription)  # cancelled with the hub
    return seen


async def test_cli_adds_lists_and_removes_a_queue_fed_through_consent(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(broker_url=broker_url)
    added = await invoke(
        harness, "consumers", "add", "crm", "--bind", "message.received.*", "--purpose", "service"
    )
    assert added.exit_code == 0, added.output
    assert "omnihub.external.crm" in added.output
    marketing = await invoke(
        harness, "consumers", "add", "ads", "--bind", "message.#", "--purpose", "marketing",
        "--field", "text",
    )  # fmt: skip
    assert marketing.exit_code == 0, marketing.output
    crm, ads = await read_queue(harness, "crm"), await read_queue(harness, "ads")

    await harness.publish(received("whatsapp", PHONE, minutes=0, text="oi"))
    await eventually(lambda: crm)
    [event] = crm
    assert (event.type, event.consent, event.data["sender"]["identifiers"][0]["kind"]) == (
        "message.received",
        "service",
        "whatsapp",
    )
    await asyncio.sleep(0.2)
    assert ads == []  # marketing was never allowed

    listed = await invoke(harness, "consumers", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [c["name"] for c in json.loads(listed.stdout)] == ["ads", "crm"]
    removed = await invoke(harness, "consumers", "remove", "ads")
    assert removed.exit_code == 0, removed.output
    assert "relay.ads" not in harness.hub.runners
    again = await invoke(harness, "consumers", "remove", "ads")
    assert again.exit_code != 0
    assert "no external consumer" in again.output


async def test_bad_definitions_name_the_field(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    for body, field in (
        ({"bind": []}, "bind"),
        ({"bind": ["#"], "purposes": ["spam"]}, "purposes"),
        ({"bind": "customer.#"}, "bind"),
    ):
        response = await harness.client.put(
            "/api/v1/external-consumers/crm", json=body, headers=harness.auth
        )
        assert response.status == 400
        assert (await response.json())["errors"][0]["field"] == field
    response = await harness.client.put(
        "/api/v1/external-consumers/Bad.Name", json={"bind": ["#"]}, headers=harness.auth
    )
    assert (await response.json())["errors"][0]["field"] == "name"


async def test_another_process_runs_a_consumer_added_elsewhere(hub_factory: HubFactory) -> None:
    first = await hub_factory()
    store = {"url": first.hub.config.store.url}
    second = await hub_factory(store=store)
    response = await first.client.put(
        "/api/v1/external-consumers/crm", json={"bind": ["customer.#"]}, headers=first.auth
    )
    assert response.status == 201
    response = await first.client.put(
        "/api/v1/external-consumers/crm", json={"bind": ["customer.#"]}, headers=first.auth
    )
    assert response.status == 200  # the same definition again changes nothing
    assert "relay.crm" not in second.hub.runners
    await second.hub.external.sync()  # what its periodic sync does
    assert "relay.crm" in second.hub.runners
    await first.client.delete("/api/v1/external-consumers/crm", headers=first.auth)
    await second.hub.external.sync()
    assert "relay.crm" not in second.hub.runners


async def test_an_external_queues_dead_letters_are_listed_and_replayed(
    hub_factory: HubFactory, broker_url: str
) -> None:
    """What the external system rejects waits in its DLQ; `omnihub dlq` shows and moves it."""
    harness = await hub_factory(broker_url=broker_url)
    added = await invoke(harness, "consumers", "add", "crm", "--bind", "message.received.*")
    assert added.exit_code == 0, added.output
    [consumer] = (await harness.hub.external.definitions()).values()
    accepted: list[CloudEvent] = []
    rejecting = True

    async def external_system(delivery: Delivery) -> None:
        if rejecting:  # its own bug: a permanent reject, as basic.nack(requeue=false)
            raise PermanentFailure("cannot map this event")
        accepted.append(CloudEvent.model_validate_json(delivery.message.body))

    reader = await harness.hub.broker.consume(consumer.queue, external_system)
    harness.hub._subscriptions.append(reader)
    await harness.publish(received("whatsapp", PHONE, minutes=0, text="oi"))

    async def listed() -> list[str]:
        result = await invoke(harness, "dlq", "list", "--consumer", "external.crm", "--json")
        assert result.exit_code == 0, result.output
        return [letter["consumer"] for letter in json.loads(result.stdout)]

    assert await eventually(listed) == ["external.crm"]
    everything = await invoke(harness, "dlq", "list", "--json")
    assert [d["consumer"] for d in json.loads(everything.stdout)] == ["external.crm"]
    rejecting = False
    replayed = await invoke(harness, "dlq", "replay", "external.crm")
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 1" in replayed.output
    await eventually(lambda: accepted)
    assert accepted[0].type == "message.received"
    unknown = await invoke(harness, "dlq", "list", "--consumer", "external.nobody")
    assert unknown.exit_code != 0
