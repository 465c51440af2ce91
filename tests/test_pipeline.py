"""The pipeline and consumer runner end to end on the in-process broker."""

from __future__ import annotations

import asyncio

import pytest

from hub import CloudEvent, Consumer, PermanentFailure, RetryPolicy
from hub.testing import HubFactory, eventually
from tests.support import AcmePlugin, ping

PLUGINS = {"acme": AcmePlugin()}


async def test_event_reaches_subscriber_with_routing_key(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    web = await harness.collect("web", "acme.ping.web")
    other = await harness.collect("other", "acme.ping.whatsapp")
    [event_id] = await harness.publish(ping(1))
    [received] = await web.wait_for(1)
    assert received.id == event_id
    assert received.data.n == 1
    assert received.dataschema == "urn:omnihub:schema:acme.ping:v1"
    await asyncio.sleep(0.05)
    assert other.events == []


async def test_duplicate_id_is_delivered_once(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    await harness.publish(ping(1, id="same"))
    await harness.publish(ping(1, id="same"))
    await harness.publish(ping(2, id="other"))
    await seen.wait_for(2)
    await eventually(
        lambda: (
            'omnihub_events_duplicate_total{source="/tests"} 1.0'
            in harness.hub.metrics.render()[0].decode()
        )
    )
    assert sorted(e.id for e in seen.events) == ["other", "same"]


async def test_same_id_from_another_source_is_not_a_duplicate(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    await harness.publish(ping(1, id="x"), ping(1, id="x", source="/elsewhere"))
    assert len(await seen.wait_for(2)) == 2


async def test_failing_consumer_is_retried_then_dead_lettered(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    attempts: list[int] = []

    async def flaky(event: object) -> None:
        attempts.append(1)
        raise ConnectionError("CRM is down")

    await harness.hub.add_consumer(
        Consumer("flaky", ("acme.#",), flaky, retry=RetryPolicy((0.01, 0.02)))
    )
    [event_id] = await harness.publish(ping(1))
    [letter] = await eventually(lambda: harness.hub.broker.dead_letters("omnihub.flaky"))
    assert len(attempts) == 3
    assert letter.message.message_id == event_id
    assert letter.attempts == 3
    assert letter.exception.endswith("ConnectionError")
    assert "CRM is down" in letter.error


async def test_permanent_failure_skips_retries(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    calls: list[int] = []

    async def reject(event: object) -> None:
        calls.append(1)
        raise PermanentFailure("unknown recipient")

    await harness.hub.add_consumer(Consumer("rejecting", ("acme.#",), reject))
    await harness.publish(ping(1))
    await eventually(lambda: harness.hub.broker.dead_letters("omnihub.rejecting"))
    assert calls == [1]


async def test_invalid_event_is_refused_before_the_broker(
    hub_factory: HubFactory, broker_url: str
) -> None:
    from omnihub_contracts import InvalidEvent

    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    with pytest.raises(InvalidEvent) as info:
        await harness.publish({"source": "/t", "type": "acme.ping", "data": {"n": -1}})
    assert [e.field for e in info.value.errors] == ["data.n"]


async def test_replay_bypasses_dedupe(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    event = ping(7, id="replayed")
    await harness.publish(event)
    await seen.wait_for(1)
    assert await harness.hub.replay([event], to="seen") == 1
    assert [e.id for e in await seen.wait_for(2)] == ["replayed", "replayed"]


async def test_broadcast_replay_skips_consumers_that_opt_out(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    archive: list[str] = []

    async def keep(event: CloudEvent) -> None:
        archive.append(event.id)

    await harness.hub.add_consumer(Consumer("keeper", ("acme.#",), keep, replays=False))
    seen = await harness.collect("seen", "acme.#")
    event = ping(8, id="once")
    await harness.publish(event)
    await seen.wait_for(1)
    await harness.hub.replay([event])  # to every subscriber
    await seen.wait_for(2)
    await eventually(
        lambda: (
            'consumer="keeper",outcome="skipped_replay"} 1.0'
            in harness.hub.metrics.render()[0].decode()
        )
    )
    assert archive == ["once"]
    await harness.hub.replay([event], to="keeper")  # named explicitly: delivered
    await eventually(lambda: len(archive) == 2)
    assert archive == ["once", "once"]


async def test_a_hub_alongside_shares_broker_and_store_and_stops_alone(
    hub_factory: HubFactory, broker_url: str
) -> None:
    first = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    second = await hub_factory(plugins={"acme": AcmePlugin()}, alongside=first)
    assert second.hub.config.store.url == first.hub.config.store.url
    handled: list[tuple[str, int]] = []
    for harness, name in ((first, "first"), (second, "second")):

        async def handle(event: CloudEvent, name: str = name) -> None:
            handled.append((name, event.data.n))

        # One consumer name in both hubs: one queue, each event to one of them.
        await harness.hub.add_consumer(Consumer("shared", ("acme.#",), handle, purposes=()))
    await second.publish(ping(1), ping(2))  # through the second hub's pipeline
    await eventually(lambda: len(handled) == 2)
    await second.hub.stop()  # a process goes away; the other goes on on the same broker
    await first.publish(ping(3))
    await eventually(lambda: ("first", 3) in handled)
    assert sorted(n for _, n in handled) == [1, 2, 3]


async def test_a_batch_keeps_its_order_per_customer_and_runs_customers_at_once(
    hub_factory: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    seen = await harness.collect("seen", "acme.ping.#")
    process = harness.hub.pipeline.process
    # The earlier events of the batch take longer: run all at once, the later ones would
    # overtake them.
    delays = {"a1": 0.3, "a2": 0.2, "a3": 0.1, "b1": 0.1, "b2": 0.05, "n1": 0.1, "n2": 0.05}

    async def slow(event: CloudEvent) -> bool:
        await asyncio.sleep(delays[event.id])
        return await process(event)

    monkeypatch.setattr(harness.hub.pipeline, "process", slow)
    batch = [
        ping(1, id="a1", customer="cus-a"),
        ping(2, id="b1", customer="cus-b"),
        ping(3, id="n1", customer=None),
        ping(4, id="a2", customer="cus-a"),
        ping(5, id="b2", customer="cus-b"),
        ping(6, id="n2", customer=None),
        ping(7, id="a3", customer="cus-a"),
    ]
    await harness.hub.publish(batch)
    order = [e.id for e in await seen.wait_for(len(batch))]
    for chain in (["a1", "a2", "a3"], ["b1", "b2"], ["n1", "n2"]):
        assert [i for i in order if i in chain] == chain, order
    assert order.index("b2") < order.index("a1")  # another customer does not wait for A
