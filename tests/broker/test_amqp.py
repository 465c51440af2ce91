"""What only the RabbitMQ transport has: its topology, its confirm window, its failover.

The shared semantics are in the contract tests; the fault tests are in
``test_amqp_faults``. The first tests here need no broker: the topology is pure data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest

from hub.broker import H_ORDER_KEY, Binding, BrokerError, Delivery, Message, QueueSpec
from hub.broker.amqp import AmqpBroker
from hub.broker.amqp_topology import (
    DELIVERY_LIMIT,
    all_queue_names,
    queue_arguments,
    retry_arguments,
    retry_queue_names,
)
from tests.conftest import AMQP_URL

from .conftest import Names
from .rabbit import delete_declared, named_url
from .support import wait_until

# -- the topology as data ---------------------------------------------------------------


def test_consumer_queue_is_a_quorum_queue_with_an_explicit_delivery_limit() -> None:
    args = queue_arguments(QueueSpec("omnihub.crm"))
    assert args == {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": "omnihub.dlx",
        "x-dead-letter-routing-key": "omnihub.crm",
    }


def test_ordered_queue_has_a_single_active_consumer_and_retries_in_place() -> None:
    spec = QueueSpec("omnihub.crm", ordered=True)
    assert queue_arguments(spec)["x-single-active-consumer"] is True
    assert retry_queue_names(spec) == []
    assert all_queue_names(spec) == ["omnihub.crm", "omnihub.crm.dlq"]


def test_bounded_queue_drops_its_oldest_without_dead_lettering_them() -> None:
    args = queue_arguments(QueueSpec("omnihub.unrouted", max_length=10))
    assert (args["x-max-length"], args["x-overflow"]) == (10, "drop-head")
    assert "x-dead-letter-exchange" not in args


def test_one_retry_queue_per_distinct_delay_that_expires_back_into_the_queue() -> None:
    spec = QueueSpec("omnihub.crm", retry_delays=(1.0, 5.0, 5.0, 0.25))
    assert retry_queue_names(spec) == [
        "omnihub.crm.retry.1000",
        "omnihub.crm.retry.5000",
        "omnihub.crm.retry.250",
    ]
    assert retry_arguments(spec, 5.0) == {
        "x-queue-type": "quorum",
        "x-message-ttl": 5000,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "omnihub.crm",
    }


# -- on RabbitMQ ----------------------------------------------------------------------


@pytest.fixture
async def opened(names: Names) -> AsyncIterator[list[AmqpBroker]]:
    brokers: list[AmqpBroker] = []
    try:
        yield brokers
    finally:
        for broker in brokers:
            await broker.close(drain_timeout=1.0)
            await delete_declared(AMQP_URL, broker, names.tag)


async def open_broker(opened: list[AmqpBroker], names: Names, role: str) -> AmqpBroker:
    broker = AmqpBroker(named_url(AMQP_URL, f"omnihub-test-{names.tag} {role}"))
    await broker.connect()
    opened.append(broker)
    return broker


@pytest.mark.rabbitmq
async def test_declare_creates_queue_retry_queues_and_dead_letter_queue(
    opened: list[AmqpBroker], names: Names
) -> None:
    broker = await open_broker(opened, names, "hub")
    exchange = names.exchange()
    await broker.declare_exchange(exchange, "topic")
    spec = QueueSpec(names.queue(), (Binding(exchange, "#"),), retry_delays=(0.5, 2.0))
    await broker.declare_queue(spec)
    for name in all_queue_names(spec):
        assert await broker.queue_exists(name) == 0, name


@pytest.mark.rabbitmq
async def test_a_queue_declared_differently_before_is_reported_by_name(
    opened: list[AmqpBroker], names: Names
) -> None:
    broker = await open_broker(opened, names, "hub")
    spec = QueueSpec(names.queue())
    await broker.declare_queue(spec)
    with pytest.raises(BrokerError, match=spec.name):
        await broker.declare_queue(QueueSpec(spec.name, ordered=True))
    await broker.declare_queue(spec)  # the transport recovered from the refusal


@pytest.mark.rabbitmq
async def test_a_channel_the_server_closed_is_not_reopened_under_its_number(
    opened: list[AmqpBroker], names: Names
) -> None:
    """A 404 closes a check's channel; opening the same number again before aiormq's
    CloseOk went out made RabbitMQ close the whole connection. Numbers rotate instead."""
    broker = await open_broker(opened, names, "hub")
    numbers = []
    for _ in range(20):
        async with broker.raw_channel() as channel:
            numbers.append(channel.number)
            with pytest.raises(BrokerError):
                await broker.guard(channel.queue_declare(names.queue("absent"), passive=True), "x")
    assert len(set(numbers)) == len(numbers)
    spec = QueueSpec(names.queue())
    await broker.declare_queue(spec)  # the connection lived through all of it
    assert await broker.queue_exists(spec.name) == 0


@pytest.mark.rabbitmq
async def test_publishing_to_an_undeclared_exchange_fails_alone(
    opened: list[AmqpBroker], names: Names
) -> None:
    broker = await open_broker(opened, names, "hub")
    exchange = names.exchange()
    await broker.declare_exchange(exchange, "topic")
    spec = QueueSpec(names.queue(), (Binding(exchange, "#"),))
    await broker.declare_queue(spec)
    with pytest.raises(BrokerError):
        await broker.publish(names.exchange("missing"), Message(b"{}", "m1", "a.b"))
    await broker.publish(exchange, Message(b"{}", "m2", "a.b"))  # the channel lived on
    assert (await broker.queue_depths())[spec.name] == 1


@pytest.mark.rabbitmq
async def test_publishes_wait_for_their_confirms_side_by_side(
    opened: list[AmqpBroker], names: Names
) -> None:
    broker = await open_broker(opened, names, "hub")
    exchange = names.exchange()
    await broker.declare_exchange(exchange, "topic")
    spec = QueueSpec(names.queue(), (Binding(exchange, "#"),))
    await broker.declare_queue(spec)
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, broker.publishes_in_flight)
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(
        *(broker.publish(exchange, Message(b"{}", uuid.uuid4().hex, "a.b")) for _ in range(300))
    )
    sampler.cancel()
    assert peak > 1  # not one awaited confirm at a time
    assert broker.publishes_in_flight == 0
    assert (await broker.queue_depths())[spec.name] == 300


@pytest.mark.rabbitmq
async def test_ordered_queue_keeps_each_key_in_order_across_a_failover(
    opened: list[AmqpBroker], names: Names
) -> None:
    """Two hub processes on one ordered queue: one is active; when it stops, the other takes
    over with the unacked messages first, and no key ever runs out of order."""
    first = await open_broker(opened, names, "hub-1")
    second = await open_broker(opened, names, "hub-2")
    exchange = names.exchange()
    await first.declare_exchange(exchange, "topic")
    spec = QueueSpec(
        names.queue(), (Binding(exchange, "#"),), retry_delays=(0.01,), concurrency=4, ordered=True
    )
    await first.declare_queue(spec)
    completed: defaultdict[str, list[int]] = defaultdict(list)
    done: set[str] = set()
    handled_by: defaultdict[str, int] = defaultdict(int)

    def handler(who: str):  # type: ignore[no-untyped-def]
        async def handle(delivery: Delivery) -> None:
            if delivery.message.message_id in done:
                return  # a redelivery of finished work (the ack was lost in the failover)
            await asyncio.sleep(0.003)
            key = str(delivery.message.headers[H_ORDER_KEY])
            completed[key].append(int(delivery.message.headers["x-seq"]))
            done.add(delivery.message.message_id)
            handled_by[who] += 1

        return handle

    active = await first.consume(spec, handler("first"))
    await second.consume(spec, handler("second"))
    keys = [f"customer-{n}" for n in range(5)]
    for seq in range(20):
        for key in keys:
            headers = {H_ORDER_KEY: key, "x-seq": seq}
            await first.publish(exchange, Message(b"{}", uuid.uuid4().hex, "c.x", headers))
    await wait_until(lambda: len(done) >= 30, 15, "progress on the active consumer")
    await active.cancel(drain_timeout=0)  # stops hard: its in-flight messages go back
    await wait_until(lambda: len(done) == 100, 30, "the standby finishing")
    assert handled_by["first"] > 0
    assert handled_by["second"] > 0
    assert dict(completed) == {key: list(range(20)) for key in keys}
