"""What only ``memory://`` promises, or what is too costly to provoke on a real RabbitMQ."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.broker import (
    H_ORDER_KEY,
    Binding,
    Broker,
    BrokerError,
    BrokerUnavailable,
    Delivery,
    QueueSpec,
    Subscription,
    Unroutable,
    open_broker,
)
from hub.broker.memory import MemoryBroker
from hub.broker.memory_queue import MemorySubscription

from .support import Recorder, message, wait_until

EVENTS = "events"


@pytest.fixture
async def memory() -> AsyncIterator[Broker]:
    broker = open_broker("memory://")
    await broker.connect()
    await broker.declare_exchange(EVENTS, "topic")
    yield broker
    await broker.close(drain_timeout=1.0)


def spec(name: str = "q", *patterns: str, concurrency: int = 4, ordered: bool = False) -> QueueSpec:
    bindings = tuple(Binding(EVENTS, p) for p in patterns or ("#",))
    return QueueSpec(name, bindings, (0.01,), concurrency=concurrency, ordered=ordered)


async def test_open_broker_gives_a_broker_that_starts_closed() -> None:
    broker = open_broker("memory://")
    assert isinstance(broker, MemoryBroker)
    assert isinstance(broker, Broker)
    with pytest.raises(BrokerUnavailable):
        await broker.ping()
    await broker.connect()
    await broker.connect()  # idempotent
    await broker.ping()
    await broker.close()
    await broker.close()  # idempotent


async def test_undeclared_names_fail_loudly(memory: Broker) -> None:
    with pytest.raises(BrokerError, match="not declared") as raised:
        await memory.publish("nope", message("a"))
    assert not isinstance(raised.value, Unroutable)  # a mistake, not a routing outcome
    with pytest.raises(BrokerError, match="undeclared exchange"):
        await memory.declare_queue(QueueSpec("q", (Binding("nope", "#"),)))
    with pytest.raises(BrokerError, match="not declared"):
        await memory.consume(QueueSpec("q"), Recorder())
    with pytest.raises(BrokerError, match="not declared"):
        await memory.dead_letters("q")


async def test_an_exchange_cannot_change_its_kind(memory: Broker) -> None:
    with pytest.raises(BrokerError, match="exists as topic"):
        await memory.declare_exchange(EVENTS, "fanout")
    with pytest.raises(BrokerError, match="alternate"):
        await memory.declare_exchange(EVENTS, "topic", alternate="elsewhere")


async def test_alternate_exchanges_in_a_cycle_are_unroutable(memory: Broker) -> None:
    await memory.declare_exchange("one", "direct", alternate="two")
    await memory.declare_exchange("two", "direct", alternate="one")
    with pytest.raises(Unroutable):
        await memory.publish("one", message("k"))


async def test_the_default_exchange_routes_by_queue_name(memory: Broker) -> None:
    await memory.declare_queue(QueueSpec("named"))
    await memory.publish("", message("named"))
    assert (await memory.queue_depths())["named"] == 1
    with pytest.raises(Unroutable):
        await memory.publish("", message("missing"))


async def test_redeclaring_states_the_bindings_anew(memory: Broker) -> None:
    await memory.declare_queue(spec("q", "old.*"))
    await memory.declare_queue(spec("q", "new.*"))
    with pytest.raises(Unroutable):
        await memory.publish(EVENTS, message("old.x"))
    await memory.publish(EVENTS, message("new.x"))


async def test_delete_queue_removes_it_with_its_dead_letters(memory: Broker) -> None:
    await memory.declare_queue(spec("q"))
    await memory.publish(EVENTS, message("a"))
    await memory.delete_queue(spec("q"))
    await memory.delete_queue(spec("q"))  # idempotent
    assert await memory.queue_depths() == {}
    with pytest.raises(Unroutable):
        await memory.publish(EVENTS, message("a"))


async def test_concurrency_below_one_is_refused(memory: Broker) -> None:
    await memory.declare_queue(spec("q"))
    with pytest.raises(ValueError, match="concurrency"):
        await memory.consume(spec("q", concurrency=0), Recorder())


async def test_ordered_queue_runs_different_keys_in_parallel(memory: Broker) -> None:
    ordered = spec("q", ordered=True, concurrency=8)
    await memory.declare_queue(ordered)
    running: set[str] = set()
    seen_together = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal seen_together
        key = str(delivery.message.headers.get(H_ORDER_KEY, ""))
        assert key not in running
        running.add(key)
        seen_together = max(seen_together, len(running))
        await asyncio.sleep(0.01)
        running.discard(key)

    recorder = Recorder(handle)
    subscription = await memory.consume(ordered, recorder)
    assert isinstance(subscription, Subscription)
    for key in ("A", "B", "C", "A", "B", "C"):
        await memory.publish(EVENTS, message("k", headers={H_ORDER_KEY: key}))
    for _ in range(3):  # no key: these share one
        await memory.publish(EVENTS, message("k"))
    await recorder.wait_done(9)
    assert seen_together == 4  # A, B, C and the key-less one at once, never two of a key


async def test_a_waiting_retry_survives_close_and_reconnect(memory: Broker) -> None:
    queue = QueueSpec("q", (Binding(EVENTS, "#"),), retry_delays=(0.05,))
    await memory.declare_queue(queue)

    async def fails_first(delivery: Delivery) -> None:
        if delivery.attempt == 1:
            raise ConnectionError("down")

    recorder = Recorder(fails_first)
    await memory.consume(queue, recorder)
    await memory.publish(EVENTS, message("a"))
    await wait_until(lambda: recorder.seen, what="the first attempt")
    await memory.close()
    await asyncio.sleep(0.1)  # past the retry's due time while closed: its clock stopped
    assert len(recorder.seen) == 1

    await memory.connect()
    again = Recorder()
    await memory.consume(queue, again)
    await again.wait_done(1)
    assert (again.done[0].attempt, again.done[0].redelivered) == (2, False)


async def test_close_abandons_a_handler_past_the_drain_timeout(memory: Broker) -> None:
    await memory.declare_queue(spec("q"))

    async def hangs(delivery: Delivery) -> None:
        await asyncio.Event().wait()

    stuck = Recorder(hangs)
    await memory.consume(spec("q"), stuck)
    await memory.publish(EVENTS, message("a"))
    await wait_until(lambda: stuck.seen, what="the delivery")
    await memory.close(drain_timeout=0.01)

    await memory.connect()
    assert (await memory.queue_depths())["q"] == 1  # back in the queue, not lost
    again = Recorder()
    await memory.consume(spec("q"), again)
    await again.wait_done(1)
    assert again.done[0].redelivered


async def test_handlers_may_still_publish_while_close_drains(memory: Broker) -> None:
    await memory.declare_queue(spec("in", "in"))
    await memory.declare_queue(spec("out", "out"))
    published = asyncio.Event()

    async def relay(delivery: Delivery) -> None:
        await asyncio.sleep(0.02)  # still busy when close() starts
        await memory.publish(EVENTS, message("out"))
        published.set()

    await memory.consume(spec("in", "in"), relay)
    await memory.publish(EVENTS, message("in"))
    await asyncio.sleep(0)
    await memory.close(drain_timeout=2.0)
    assert published.is_set()
    with pytest.raises(BrokerUnavailable):
        await memory.publish(EVENTS, message("out"))
    await memory.connect()
    assert (await memory.queue_depths())["out"] == 1


async def test_a_delivery_cancelled_before_its_handler_ran_is_not_lost(memory: Broker) -> None:
    await memory.declare_queue(spec("q"))
    recorder = Recorder()
    subscription = await memory.consume(spec("q"), recorder)
    await memory.publish(EVENTS, message("a"))  # handed over; the handler has not run yet
    assert isinstance(subscription, MemorySubscription)
    for task in subscription.tasks:  # as the loop's shutdown would
        task.cancel()
    await subscription.cancel()
    assert recorder.seen == []
    assert (await memory.queue_depths())["q"] == 1
    again = Recorder()
    await memory.consume(spec("q"), again)
    await again.wait_done(1)
    assert again.done[0].redelivered
