"""End to end through a real hub (in-process broker and RabbitMQ) to local receivers."""

from __future__ import annotations

from typing import Any

import omnihub_webhooks
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook
from webhooks_support import OLD_SECRET, SECRET, Received, ReceiverFactory, endpoint, updated

from hub import CloudEvent, ConfigError
from hub.testing import HubHarness, eventually


async def start(hub_factory: Any, broker_url: str, *endpoints: dict[str, Any]) -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"webhooks": omnihub_webhooks},
        config={"webhooks": {"endpoints": list(endpoints)}},
        broker_url=broker_url,
    )
    return harness


async def test_customer_updated_reaches_the_receiver_signed_per_standard_webhooks(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory()
    harness = await start(hub_factory, broker_url, endpoint("crm", receiver.url))
    event = updated("cust-1", 1, plan="gold")

    await harness.publish(event)

    [request] = await receiver.wait_for(1)
    # The official library, as a receiver would use it: raises unless the signature holds.
    delivered = Webhook(SECRET).verify(request.body, request.headers)
    assert CloudEvent.model_validate(delivered) == event.model_copy(
        # The hub stamps the schema and the customer's consent snapshot.
        update={"dataschema": "urn:omnihub:schema:customer.updated:v1", "consent": "service"}
    )
    assert request.headers["webhook-id"] == event.id
    assert request.headers["Content-Type"].startswith("application/cloudevents+json")


async def test_during_a_key_rotation_both_keys_verify(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory()
    table = endpoint("crm", receiver.url, secret=None, secrets=[SECRET, OLD_SECRET])
    harness = await start(hub_factory, broker_url, table)

    await harness.publish(updated("cust-1", 1))

    [request] = await receiver.wait_for(1)
    Webhook(SECRET).verify(request.body, request.headers)
    Webhook(OLD_SECRET).verify(request.body, request.headers)


async def test_a_hanging_endpoint_never_delays_another(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    stuck = await receiver_factory(hang=True)
    prompt = await receiver_factory()
    harness = await start(
        hub_factory,
        broker_url,
        endpoint("stuck", stuck.url, concurrency=1, timeout=30.0),
        endpoint("prompt", prompt.url, concurrency=1),
    )

    await harness.publish(*(updated(f"cust-{n}", n) for n in range(5)))

    # Every event reached the prompt endpoint while the stuck one still holds its first
    # request open: nothing of the stuck endpoint (its slot, its connections) was shared.
    await prompt.wait_for(5)
    assert sorted(prompt.ids()) == [f"cust-{n}-upd-{n}" for n in range(5)]
    assert len(stuck.requests) == 1
    assert not stuck.released.is_set()


async def test_each_customers_events_arrive_in_order_across_hub_retries(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    async def fail_first_two(received: Received, number: int) -> web.Response | None:
        return web.Response(status=503) if number <= 2 else None

    receiver = await receiver_factory(fail_first_two)
    harness = await start(hub_factory, broker_url, endpoint("crm", receiver.url, attempts=2))

    await harness.publish(*(updated("cust-1", n) for n in range(4)))

    await receiver.wait_for(6)
    # Event 0 failed both attempts of its first delivery and waited for the hub's retry;
    # the later events of the same customer waited for it instead of overtaking it.
    assert receiver.ids() == ["cust-1-upd-0"] * 3 + [f"cust-1-upd-{n}" for n in (1, 2, 3)]


async def test_a_4xx_dead_letters_at_once_naming_the_status(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    async def unprocessable(received: Received, number: int) -> web.Response:
        return web.Response(status=422)

    receiver = await receiver_factory(unprocessable)
    harness = await start(hub_factory, broker_url, endpoint("crm", receiver.url))

    await harness.publish(updated("cust-1", 1))

    async def dead_letters() -> list[dict[str, Any]]:
        response = await harness.client.get(
            "/api/v1/dead-letters", params={"consumer": "webhooks.crm"}, headers=harness.auth
        )
        letters: list[dict[str, Any]] = (await response.json())["dead_letters"]
        return letters

    [letter] = await eventually(dead_letters)
    assert letter["id"] == "cust-1-upd-1"
    assert letter["exception"] == "PermanentFailure"
    assert "endpoint crm answered 422 Unprocessable" in letter["error"]
    assert len(receiver.requests) == 1


async def test_an_open_circuit_shows_in_health_and_its_events_arrive_later(
    hub_factory: Any, broker_url: str, receiver_factory: ReceiverFactory
) -> None:
    healthy = False

    async def down_until_healthy(received: Received, number: int) -> web.Response | None:
        return None if healthy else web.Response(status=500)

    receiver = await receiver_factory(down_until_healthy)
    table = endpoint(
        "crm",
        receiver.url,
        attempts=1,
        failure_threshold=1,
        cooldown=0.2,
        retry_schedule=[0.1] * 30,
    )
    harness = await start(hub_factory, broker_url, table)

    async def webhooks_health() -> dict[str, Any]:
        response = await harness.client.get("/readyz")
        assert response.status == 200  # an open circuit never makes the hub unready
        check: dict[str, Any] = (await response.json())["checks"]["plugin:webhooks"]
        return check

    async def circuit_open() -> bool:
        return "circuits not closed: crm (" in (await webhooks_health())["detail"]

    await harness.publish(updated("cust-1", 1))
    await eventually(circuit_open)
    assert (await webhooks_health())["ok"] is True

    healthy = True
    failed = len(receiver.requests)
    # A probe after the cool-down gets through: the event was retried, never dropped.
    await eventually(lambda: len(receiver.requests) > failed)
    assert receiver.ids()[-1] == "cust-1-upd-1"

    async def closed() -> bool:
        return "all circuits closed" in (await webhooks_health())["detail"]

    await eventually(closed)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://crm.example/hook"}, r"endpoints\.0\.url: .*http:// or https://"),
        ({"secret": None}, r"endpoints\.0: .*set either 'secret' or 'secrets'"),
        ({"secret": "whsec_!!!"}, r"endpoints\.0\.secret: .*not valid base64"),
        ({"secret": "plain-text-secret"}, r"endpoints\.0\.secret: .*start with 'whsec_'"),
        ({"secrets": [SECRET]}, r"endpoints\.0: .*set either 'secret' or 'secrets'"),
        ({"name": "CRM one"}, r"endpoints\.0\.name: String should match"),
    ],
)
async def test_bad_endpoint_config_names_the_field(
    hub_factory: Any, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"plugins\.webhooks\.{message}") as error:
        await start(hub_factory, "memory://", endpoint("crm", "https://crm.example/hook") | change)
    assert "plain-text-secret" not in str(error.value)
