"""The broker contract, part two: acks, retries, dead letters, redelivery and concurrency.

Every body runs against each transport of the ``broker`` fixture (memory:// and RabbitMQ).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest

from hub.broker import H_ORDER_KEY, Broker, Delivery, PermanentFailure
from hub.broker.base import (
    H_ATTEMPTS,
    H_CONSUMER,
    H_ERROR,
    H_EXCEPTION,
    H_FIRST_FAILURE,
    H_LAST_FAILURE,
    H_ROUTING_KEY,
)

from .support import NameSource, Recorder, Topology, message, wait_until


@pytest.fixture
async def topo(broker: Broker, names: NameSource) -> AsyncIterator[Topology]:
    topology = Topology(broker, names)
    yield topology
    await topology.cleanup()


async def dead_letter_count(topo: Topology, queue: str) -> int:
    return len(await topo.broker.dead_letters(queue))


async def test_a_handled_message_is_acked(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("ack", ((events, "#"),))
    recorder = Recorder()
    subscription = await topo.consume(spec, recorder)
    await topo.broker.publish(events, message("a.b"))
    await recorder.wait_done(1)
    await subscription.cancel()
    # Not acked would mean back in the queue once its consumer is gone.
    depths = await topo.broker.queue_depths()
    assert (depths[spec.name], depths[spec.dead_letter_queue]) == (0, 0)
    assert len(recorder.seen) == 1


async def test_retries_follow_the_schedule_then_dead_letter(topo: Topology) -> None:
    events = await topo.exchange()
    delays = (0.01, 0.03)
    spec = await topo.queue("retry", ((events, "#"),), retry_delays=delays)
    started: list[tuple[int, float]] = []

    async def always_fails(delivery: Delivery) -> None:
        started.append((delivery.attempt, time.monotonic()))
        raise ValueError(f"boom {delivery.attempt}")

    await topo.consume(spec, always_fails)
    sent = message("order.placed.store", b'{"n": 1}', {"x-trace": "t1"})
    await topo.broker.publish(events, sent)
    await wait_until(lambda: dead_letter_count(topo, spec.name), what="a dead letter")

    assert [attempt for attempt, _ in started] == [1, 2, 3]
    times = [at for _, at in started]
    for before, after, delay in zip(times[:-1], times[1:], delays, strict=True):
        assert after - before >= delay - 0.002  # timer granularity, never earlier than that
    [letter] = await topo.broker.dead_letters(spec.name)
    assert (letter.queue, letter.attempts, letter.exception, letter.error) == (
        spec.name,
        3,
        "ValueError",
        "boom 3",
    )
    assert letter.first_failure <= letter.last_failure
    got = letter.message
    assert (got.message_id, got.body, got.routing_key) == (
        sent.message_id,
        sent.body,
        sent.routing_key,
    )
    assert got.headers["x-trace"] == "t1"
    assert got.headers[H_CONSUMER] == spec.name
    assert got.headers[H_ATTEMPTS] == 3
    assert got.headers[H_EXCEPTION] == "ValueError"
    assert got.headers[H_ERROR] == "boom 3"
    assert got.headers[H_ROUTING_KEY] == "order.placed.store"
    for header in (H_FIRST_FAILURE, H_LAST_FAILURE):
        assert isinstance(got.headers[header], str)

    # Listing hands the letters back to the queue; the depth shows them again once the
    # broker has requeued them (at once in memory, a moment later on RabbitMQ).
    async def one_ready() -> bool:
        return (await topo.broker.queue_depths()).get(spec.dead_letter_queue) == 1

    await wait_until(one_ready, what="the listed dead letter back in its queue")


async def test_a_retry_that_succeeds_is_not_dead_lettered(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("flaky", ((events, "#"),))

    async def fails_once(delivery: Delivery) -> None:
        if delivery.attempt == 1:
            raise ConnectionError("CRM timed out")

    recorder = Recorder(fails_once)
    await topo.consume(spec, recorder)
    await topo.broker.publish(events, message("a.b"))
    await recorder.wait_done(1)
    assert [(d.attempt, d.redelivered) for d in recorder.seen] == [(1, False), (2, False)]
    assert await topo.broker.dead_letters(spec.name) == []


async def test_permanent_failure_skips_the_retries(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("poison", ((events, "#"),), retry_delays=(0.01, 0.01, 0.01))

    async def rejects(delivery: Delivery) -> None:
        raise PermanentFailure("data.text: field required")

    recorder = Recorder(rejects)
    await topo.consume(spec, recorder)
    await topo.broker.publish(events, message("a.b"))
    await wait_until(lambda: dead_letter_count(topo, spec.name), what="a dead letter")
    [letter] = await topo.broker.dead_letters(spec.name)
    assert (letter.attempts, letter.exception, letter.error) == (
        1,
        "PermanentFailure",
        "data.text: field required",
    )
    assert len(recorder.seen) == 1


async def test_dead_letters_are_listed_and_replayed(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("replay", ((events, "#"),))
    healthy = asyncio.Event()

    async def fails_until_healthy(delivery: Delivery) -> None:
        if not healthy.is_set():
            raise PermanentFailure("downstream rejected it")

    recorder = Recorder(fails_until_healthy)
    await topo.consume(spec, recorder)
    sent = [message(f"n.{n}") for n in range(3)]
    for m in sent:
        await topo.broker.publish(events, m)
    await wait_until(lambda: _has_dead_letters(topo, spec.name, 3), what="3 dead letters")

    listed = await topo.broker.dead_letters(spec.name)
    assert sorted(d.message.message_id for d in listed) == sorted(m.message_id for m in sent)
    assert len(await topo.broker.dead_letters(spec.name, limit=2)) == 2

    healthy.set()
    one = sent[1].message_id
    assert await topo.broker.replay_dead_letters(spec.name, frozenset({one})) == 1
    await recorder.wait_done(1)
    assert recorder.done_ids == [one]
    assert sorted(d.message.message_id for d in await topo.broker.dead_letters(spec.name)) == (
        sorted(m.message_id for m in sent if m.message_id != one)
    )

    assert await topo.broker.replay_dead_letters(spec.name) == 2
    await recorder.wait_done(3)
    assert sorted(recorder.done_ids) == sorted(m.message_id for m in sent)
    assert await topo.broker.dead_letters(spec.name) == []
    for delivery in recorder.done:  # a replay is a fresh first attempt
        assert delivery.attempt == 1
        assert H_EXCEPTION not in delivery.message.headers
    assert (await topo.broker.queue_depths())[spec.dead_letter_queue] == 0


async def _has_dead_letters(topo: Topology, queue: str, count: int) -> bool:
    return len(await topo.broker.dead_letters(queue)) >= count


async def test_cancel_mid_handler_redelivers_to_the_next_consumer(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("crash", ((events, "#"),), concurrency=1)

    async def hangs(delivery: Delivery) -> None:
        await asyncio.Event().wait()

    stuck = Recorder(hangs)
    first = await topo.consume(spec, stuck)
    sent = [message(f"n.{n}") for n in range(5)]
    for m in sent:
        await topo.broker.publish(events, m)
    await wait_until(lambda: stuck.seen, what="the first delivery")
    await first.cancel(drain_timeout=0.05)  # the handler never finishes: it is abandoned
    assert (len(stuck.seen), len(stuck.done)) == (1, 0)

    survivor = Recorder()
    await topo.consume(spec, survivor)
    await survivor.wait_done(5)
    assert sorted(survivor.done_ids) == sorted(m.message_id for m in sent)  # no loss, no dup
    redelivered = [d.message.message_id for d in survivor.done if d.redelivered]
    assert redelivered == [stuck.seen[0].message.message_id]
    assert await topo.depth(spec.name) == 0


async def test_concurrency_is_bounded(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("bounded", ((events, "#"),), concurrency=3)
    running = 0
    peak = 0

    async def busy(delivery: Delivery) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    recorder = Recorder(busy)
    await topo.consume(spec, recorder)
    for n in range(12):
        await topo.broker.publish(events, message(f"n.{n}"))
    await recorder.wait_done(12)
    assert 1 < peak <= 3


async def test_competing_consumers_share_the_work(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("shared", ((events, "#"),), concurrency=1)

    async def slow(delivery: Delivery) -> None:
        await asyncio.sleep(0.005)

    left, right = Recorder(slow), Recorder(slow)
    await topo.consume(spec, left)
    await topo.consume(spec, right)
    sent = [message(f"n.{n}") for n in range(20)]
    for m in sent:
        await topo.broker.publish(events, m)
    await wait_until(lambda: len(left.done) + len(right.done) == 20, what="20 handled")
    handled = left.done_ids + right.done_ids
    assert sorted(handled) == sorted(m.message_id for m in sent)
    assert left.done
    assert right.done


async def test_ordered_queue_keeps_each_key_in_order(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("ordered", ((events, "#"),), concurrency=4, ordered=True)
    in_flight: Counter[str] = Counter()
    overlaps: list[str] = []
    completed: defaultdict[str, list[int]] = defaultdict(list)

    async def handle(delivery: Delivery) -> None:
        key = str(delivery.message.headers[H_ORDER_KEY])
        seq = int(delivery.message.headers["x-seq"])
        in_flight[key] += 1
        if in_flight[key] > 1:
            overlaps.append(key)
        try:
            await asyncio.sleep(0.002)
            if (key, seq, delivery.attempt) == ("A", 1, 1):
                raise ConnectionError("fails once: its retry must not be overtaken")
            completed[key].append(seq)
        finally:
            in_flight[key] -= 1

    recorder = Recorder(handle)
    await topo.consume(spec, recorder)
    for seq in range(4):
        for key in ("A", "B", "C"):
            headers = {H_ORDER_KEY: key, "x-seq": seq}
            await topo.broker.publish(events, message(f"customer.{key}", headers=headers))
    await recorder.wait_done(12)
    assert overlaps == []
    assert dict(completed) == {"A": [0, 1, 2, 3], "B": [0, 1, 2, 3], "C": [0, 1, 2, 3]}


async def test_close_drains_the_handler_in_flight(topo: Topology) -> None:
    events = await topo.exchange()
    spec = await topo.queue("drain", ((events, "#"),))

    async def takes_a_while(delivery: Delivery) -> None:
        await asyncio.sleep(0.1)

    recorder = Recorder(takes_a_while)
    await topo.consume(spec, recorder)
    await topo.broker.publish(events, message("a.b"))
    await wait_until(lambda: recorder.seen, what="the delivery")
    await topo.broker.close(drain_timeout=5.0)
    assert len(recorder.done) == 1
    await topo.broker.connect()
    depths = await topo.broker.queue_depths()  # acked before the close: nothing came back
    assert (depths[spec.name], depths[spec.dead_letter_queue]) == (0, 0)
