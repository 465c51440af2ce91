"""The broker contract, part one: routing, publishing and topology.

Every body runs against each transport of the ``broker`` fixture (memory:// and RabbitMQ),
so none of them may lean on what only one transport does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.broker import Broker, BrokerUnavailable, Message, QueueSpec, Unroutable

from .support import NameSource, Recorder, Topology, message


@pytest.fixture
async def topo(broker: Broker, names: NameSource) -> AsyncIterator[Topology]:
    topology = Topology(broker, names)
    yield topology
    await topology.cleanup()


async def routing_keys_in(topo: Topology, spec: QueueSpec) -> list[str]:
    """Consume everything ``spec`` holds; the keys in the order received."""
    count = await topo.depth(spec.name)
    recorder = Recorder()
    await topo.consume(spec, recorder)
    await recorder.wait_done(count)
    return [d.message.routing_key for d in recorder.done]


async def test_topic_routing_with_wildcards_and_several_bindings(topo: Topology) -> None:
    events = await topo.exchange()
    received_star = await topo.queue("star", ((events, "message.received.*"),))
    message_hash = await topo.queue("hash", ((events, "message.#"),))
    two_patterns = await topo.queue("two", ((events, "*.sent.*"), (events, "customer.#")))
    overlapping = await topo.queue("overlap", ((events, "message.#"), (events, "*.received.*")))
    everything = await topo.queue("all", ((events, "#"),))
    keys = [
        "message.received.whatsapp",
        "message.sent.telegram",
        "customer.merged",
        "customer",  # ``#`` matches zero words
        "message",
        "message.received.whatsapp.extra",  # one word too many for ``*``
        "order.placed.tiktok.shop",
    ]
    for key in keys:
        await topo.broker.publish(events, message(key))

    expected = {
        received_star: ["message.received.whatsapp"],
        message_hash: [
            "message.received.whatsapp",
            "message.sent.telegram",
            "message",
            "message.received.whatsapp.extra",
        ],
        two_patterns: ["message.sent.telegram", "customer.merged", "customer"],
        # Two matching bindings still give one copy.
        overlapping: [
            "message.received.whatsapp",
            "message.sent.telegram",
            "message",
            "message.received.whatsapp.extra",
        ],
        everything: keys,
    }
    depths = await topo.broker.queue_depths()
    assert {spec.name: depths[spec.name] for spec in expected} == {
        spec.name: len(want) for spec, want in expected.items()
    }
    for spec, want in expected.items():
        assert sorted(await routing_keys_in(topo, spec)) == sorted(want), spec.name


async def test_direct_exchange_routes_on_the_exact_key(topo: Topology) -> None:
    ingress = await topo.exchange("ingress", "direct")
    first = await topo.queue("first", ((ingress, "a"),))
    second = await topo.queue("second", ((ingress, "b"), (ingress, "*")))
    for key in ("a", "b", "*"):  # in a direct exchange ``*`` is just a word
        await topo.broker.publish(ingress, message(key))
    with pytest.raises(Unroutable):
        await topo.broker.publish(ingress, message("c"))
    assert await routing_keys_in(topo, first) == ["a"]
    assert sorted(await routing_keys_in(topo, second)) == ["*", "b"]


async def test_fanout_exchange_reaches_every_bound_queue(topo: Topology) -> None:
    broadcast = await topo.exchange("broadcast", "fanout")
    one = await topo.queue("one", ((broadcast, ""),))
    two = await topo.queue("two", ((broadcast, "ignored.pattern"),))
    await topo.broker.publish(broadcast, message("any.key"))
    await topo.broker.publish(broadcast, message(""))
    assert sorted(await routing_keys_in(topo, one)) == ["", "any.key"]
    assert sorted(await routing_keys_in(topo, two)) == ["", "any.key"]


async def test_alternate_exchange_catches_what_no_binding_takes(topo: Topology) -> None:
    unrouted = await topo.exchange("unrouted", "fanout")
    events = await topo.exchange("events", "topic", alternate=unrouted)
    known = await topo.queue("known", ((events, "known.#"),))
    catch_all = await topo.queue("unrouted", ((unrouted, "#"),))
    await topo.broker.publish(events, message("known.thing"))
    await topo.broker.publish(events, message("stray.thing"))
    assert await routing_keys_in(topo, known) == ["known.thing"]
    assert await routing_keys_in(topo, catch_all) == ["stray.thing"]


async def test_unroutable_raises_and_stores_nothing(topo: Topology) -> None:
    empty_alternate = await topo.exchange("nobody-home", "fanout")
    events = await topo.exchange("events", "topic", alternate=empty_alternate)
    bare = await topo.exchange("bare", "topic")
    bound = await topo.queue("bound", ((events, "order.*"), (bare, "order.*")))
    for exchange in (events, bare):
        with pytest.raises(Unroutable):
            await topo.broker.publish(exchange, message("message.received.whatsapp"))
    assert await topo.depth(bound.name) == 0


async def test_publish_after_close_is_unavailable(topo: Topology) -> None:
    events = await topo.exchange()
    await topo.queue("q", ((events, "#"),))
    await topo.broker.close(drain_timeout=1.0)
    with pytest.raises(BrokerUnavailable):
        await topo.broker.publish(events, message("a.b"))
    with pytest.raises(BrokerUnavailable):
        await topo.broker.ping()
    await topo.broker.connect()  # so the fixture can clean up
    await topo.broker.ping()


async def test_send_to_queue_skips_routing(topo: Topology) -> None:
    target = await topo.queue("direct-target")
    await topo.broker.send_to_queue(target.name, message("whatever.key"))
    assert await routing_keys_in(topo, target) == ["whatever.key"]
    with pytest.raises(Unroutable):
        await topo.broker.send_to_queue(target.name + ".missing", message("x"))


async def test_declaring_twice_changes_nothing(topo: Topology) -> None:
    events = await topo.exchange()
    await topo.broker.declare_exchange(events, "topic")
    spec = await topo.queue("twice", ((events, "a.*"),))
    await topo.broker.declare_queue(spec)
    await topo.broker.publish(events, message("a.b"))
    assert await topo.depth(spec.name) == 1  # the binding was not doubled
    assert await routing_keys_in(topo, spec) == ["a.b"]


async def test_queue_depths_list_queues_and_dead_letter_queues(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("depth", ((events, "#"),))
    for _ in range(3):
        await topo.broker.publish(events, message("x.y"))
    depths = await topo.broker.queue_depths()
    assert depths[spec.name] == 3
    assert depths[spec.dead_letter_queue] == 0


async def test_max_length_drops_the_oldest(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("bounded", ((events, "#"),), max_length=3)
    for n in range(5):
        await topo.broker.publish(events, message(f"n.{n}"))
    assert await topo.depth(spec.name) == 3
    assert await routing_keys_in(topo, spec) == ["n.2", "n.3", "n.4"]


async def test_a_message_arrives_as_it_was_sent(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("fidelity", ((events, "#"),))
    sent = Message(
        b"\x00\xff binary \xe2\x9c\x93",
        "evt-123",
        "message.received.whatsapp",
        {"x-text": "caf\u00e9", "x-number": 7},
        "application/json",
    )
    await topo.broker.publish(events, sent)
    recorder = Recorder()
    await topo.consume(spec, recorder)
    await recorder.wait_done(1)
    delivery = recorder.done[0]
    got = delivery.message
    assert (got.body, got.message_id, got.routing_key, got.content_type) == (
        sent.body,
        sent.message_id,
        sent.routing_key,
        sent.content_type,
    )
    # A transport may add headers of its own, never change the caller's.
    assert {k: got.headers[k] for k in sent.headers} == {"x-text": "caf\u00e9", "x-number": 7}
    assert type(got.headers["x-number"]) is int
    assert (delivery.queue, delivery.attempt, delivery.redelivered) == (spec.name, 1, False)
