"""The omnihub.ingress consumer: the "ingress" pipeline mode, and systems that publish to
the exchange directly (it is consumed in every mode)."""

from __future__ import annotations

import json

from hub.broker import INGRESS_EXCHANGE, Message
from hub.pipeline import INGRESS_KEY
from hub.testing import HubFactory, eventually
from tests.support import AcmePlugin, ping, ping_json

PLUGINS = {"acme": AcmePlugin()}


async def test_ingress_mode_delivers_once(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(
        plugins=PLUGINS, broker_url=broker_url, pipeline={"mode": "ingress"}
    )
    seen = await harness.collect("seen", "acme.#")
    await harness.publish(ping(1, id="same"), ping(2, id="other"))
    await harness.publish(ping(1, id="same"))
    await seen.wait_for(2)
    await eventually(
        lambda: (
            'omnihub_events_duplicate_total{source="/tests"} 1.0'
            in harness.hub.metrics.render()[0].decode()
        )
    )
    assert sorted(e.id for e in seen.events) == ["other", "same"]


async def test_direct_publisher_to_ingress_is_processed(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)  # edge mode
    seen = await harness.collect("seen", "acme.#")
    body = json.dumps(ping_json(5)).encode()
    await harness.hub.broker.publish(
        INGRESS_EXCHANGE, Message(body, "ping-5", routing_key=INGRESS_KEY)
    )
    [event] = await seen.wait_for(1)
    assert (event.id, event.data.n) == ("ping-5", 5)


async def test_invalid_event_on_ingress_is_dead_lettered_at_once(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    body = json.dumps(ping_json(1, data={"n": "one"})).encode()
    await harness.hub.broker.publish(
        INGRESS_EXCHANGE, Message(body, "bad-1", routing_key=INGRESS_KEY)
    )
    [letter] = await eventually(lambda: harness.hub.broker.dead_letters("omnihub.pipeline"))
    assert letter.attempts == 1
    assert "data.n" in letter.error
