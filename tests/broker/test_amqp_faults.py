"""Fault tests of the RabbitMQ transport: nothing lost, no effect twice, consumers come back.

Each test runs load through a publisher broker and a consumer broker (two connections,
as two hub processes would have), breaks something on purpose, and keeps a
:class:`~tests.broker.ledger.Ledger`: lost = 0 and duplicate effects = 0, printed.

Only this test's own connections are broken (by client-provided name, or through a TCP
proxy); a broker restart happens on a second RabbitMQ node of the test's own, never on
the shared one at ``AMQP_URL``.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from yarl import URL

from hub.broker import Binding, BrokerUnavailable, Delivery, Message, QueueSpec
from hub.broker.amqp import AmqpBroker
from hub.broker.amqp_topology import DELIVERY_LIMIT
from hub.testing import IN_CI
from tests.conftest import AMQP_URL

from .conftest import Names
from .fault_worker import Journal
from .ledger import Ledger
from .rabbit import close_named_connections, consumer_count, delete_declared, named_url
from .rabbit_node import RabbitNode, find_sbin
from .support import wait_until
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.rabbitmq

REPO_ROOT = Path(__file__).resolve().parents[2]
RECOVERY = 45.0  # seconds a recovery may take before the test calls it a failure


class Brokers:
    """The brokers a test opened, closed and cleaned up after it."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.opened: list[tuple[AmqpBroker, str]] = []  # (broker, URL to clean up through)

    def fragment(self) -> str:
        return f"omnihub-fault-{self.names.tag}"

    async def open(self, url: str, role: str, cleanup_url: str | None = None) -> AmqpBroker:
        broker = AmqpBroker(named_url(url, f"{self.fragment()} {role}"))
        await broker.connect()
        self.opened.append((broker, cleanup_url or url))
        return broker

    async def topology(self, broker: AmqpBroker, **queue: object) -> tuple[str, QueueSpec]:
        exchange = self.names.exchange()
        await broker.declare_exchange(exchange, "topic")
        spec = QueueSpec(
            self.names.queue(),
            (Binding(exchange, "#"),),
            **queue,  # type: ignore[arg-type]
        )
        await broker.declare_queue(spec)
        return exchange, spec

    async def close(self) -> None:
        for broker, _ in self.opened:
            await broker.close(drain_timeout=1.0)
        for broker, url in self.opened:
            await delete_declared(url, broker, self.names.tag)


@pytest.fixture
async def brokers(names: Names) -> AsyncIterator[Brokers]:
    opened = Brokers(names)
    try:
        yield opened
    finally:
        await opened.close()


async def recovered(spec: QueueSpec, *brokers: AmqpBroker, consumers: int = 1) -> None:
    """Every broker reconnected and the queue has its consumers back."""
    await wait_until(lambda: all(b.is_connected for b in brokers), RECOVERY, "reconnected")

    async def consumers_back() -> bool:
        try:
            return await consumer_count(brokers[0], spec.name) == consumers
        except BrokerUnavailable:
            return False

    await wait_until(consumers_back, RECOVERY, f"{consumers} consumer(s) back on {spec.name}")


class Load:
    """Publishing in the background until stopped, so every fault hits traffic in flight."""

    def __init__(self, ledger: Ledger, broker: AmqpBroker, exchange: str) -> None:
        self.ledger = ledger
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(ledger.publish_until(broker, exchange, self.stop))

    async def progress(self, more: int = 150) -> None:
        """Wait until ``more`` further effects happened (the system works between faults)."""
        target = len(self.ledger.effects) + more
        await wait_until(lambda: len(self.ledger.effects) >= target, RECOVERY, "progress")

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, RECOVERY)
        await finish(self.ledger)


async def finish(ledger: Ledger) -> None:
    await wait_until(ledger.complete, RECOVERY, "every confirmed id handled")
    await asyncio.sleep(0.3)  # late redeliveries would show up as duplicates now
    ledger.check()


async def test_closed_connections_repeatedly_under_load(brokers: Brokers) -> None:
    ledger = Ledger("close_connection x3 under load")
    publisher = await brokers.open(AMQP_URL, "publisher")
    consumer = await brokers.open(AMQP_URL, "consumer")
    exchange, spec = await brokers.topology(publisher, concurrency=8)
    await consumer.consume(spec, ledger.handle)
    load = Load(ledger, publisher, exchange)
    for _ in range(3):
        await load.progress()
        assert await close_named_connections(brokers.fragment()) >= 2  # both of ours
        ledger.faults += 1
        await recovered(spec, publisher, consumer)
    await load.finish()
    assert ledger.redelivered > 0  # the consumer really lost deliveries in flight


async def test_tcp_proxy_cuts_and_stalls_under_load(brokers: Brokers) -> None:
    ledger = Ledger("tcp proxy: cut, short stall, long stall")
    amqp = URL(AMQP_URL)
    proxy = await TcpProxy(amqp.host or "127.0.0.1", amqp.port or 5672).start()
    try:
        # heartbeat=1: a stalled path is noticed after a few seconds, not a minute.
        url = str(URL(proxy.url(AMQP_URL)).update_query(heartbeat="1"))
        publisher = await brokers.open(url, "publisher", AMQP_URL)
        consumer = await brokers.open(url, "consumer", AMQP_URL)
        exchange, spec = await brokers.topology(publisher, concurrency=8)
        await consumer.consume(spec, ledger.handle)
        load = Load(ledger, publisher, exchange)

        await load.progress()
        assert proxy.cut() == 2
        ledger.faults += 1
        await recovered(spec, publisher, consumer)

        await load.progress()
        proxy.stall()  # shorter than the heartbeat timeout: the connection may survive
        await asyncio.sleep(1.0)
        proxy.resume()
        ledger.faults += 1
        await recovered(spec, publisher, consumer)

        await load.progress()
        before = proxy.connections_made
        proxy.stall()  # long enough for the heartbeats to declare the path dead
        await wait_until(lambda: not publisher.is_connected, RECOVERY, "stall noticed")
        proxy.resume()
        ledger.faults += 1
        await recovered(spec, publisher, consumer)
        assert proxy.connections_made > before
        await load.finish()
    finally:
        await proxy.close()


async def test_publish_fails_fast_while_the_connection_is_down(brokers: Brokers) -> None:
    amqp = URL(AMQP_URL)
    proxy = await TcpProxy(amqp.host or "127.0.0.1", amqp.port or 5672).start()
    try:
        publisher = await brokers.open(proxy.url(AMQP_URL), "publisher", AMQP_URL)
        exchange, spec = await brokers.topology(publisher)
        proxy.refuse = True  # the broker is "down": reconnects fail too
        proxy.cut()
        await wait_until(lambda: not publisher.is_connected, RECOVERY, "the loss noticed")
        message = Message(b"{}", uuid.uuid4().hex, "a.b")
        # A long publish timeout, and yet the answer comes at once: nothing waits for a
        # reconnect that may never come (the HTTP layer answers 503 with Retry-After).
        async with asyncio.timeout(RECOVERY):
            with pytest.raises(BrokerUnavailable):
                await publisher.publish(exchange, message, timeout=600)
            with pytest.raises(BrokerUnavailable):
                await publisher.ping()
        proxy.refuse = False
        await wait_until(lambda: publisher.is_connected, RECOVERY, "reconnected")
        await publisher.publish(exchange, message)
        assert (await publisher.queue_depths())[spec.name] == 1
    finally:
        await proxy.close()


async def test_close_while_the_broker_is_down_returns_and_stays_closed(
    brokers: Brokers,
) -> None:
    amqp = URL(AMQP_URL)
    proxy = await TcpProxy(amqp.host or "127.0.0.1", amqp.port or 5672).start()
    try:
        broker = await brokers.open(proxy.url(AMQP_URL), "hub", AMQP_URL)
        _, spec = await brokers.topology(broker)
        ledger = Ledger("close while down")
        await broker.consume(spec, ledger.handle)
        proxy.refuse = True
        proxy.cut()
        await wait_until(lambda: not broker.is_connected, RECOVERY, "the loss noticed")
        made = proxy.connections_made
        async with asyncio.timeout(RECOVERY):  # a hang guard, not a performance figure
            await broker.close(drain_timeout=1.0)
        proxy.refuse = False
        await asyncio.sleep(2.5)  # longer than the reconnect interval
        assert proxy.connections_made == made  # closed means no reconnecting behind our back
        with pytest.raises(BrokerUnavailable):
            await broker.ping()
    finally:
        await proxy.close()


async def test_poison_message_is_dead_lettered_while_traffic_continues(brokers: Brokers) -> None:
    ledger = Ledger("poison among traffic")
    publisher = await brokers.open(AMQP_URL, "publisher")
    consumer = await brokers.open(AMQP_URL, "consumer")
    exchange, spec = await brokers.topology(publisher, retry_delays=(0.05, 0.1), concurrency=8)
    poison = uuid.uuid4().hex
    poison_attempts: list[int] = []

    async def handle(delivery: Delivery) -> None:
        if delivery.message.message_id == poison:
            poison_attempts.append(delivery.attempt)
            raise ValueError("cannot parse this one, ever")
        await ledger.handle(delivery)

    await consumer.consume(spec, handle)
    load = Load(ledger, publisher, exchange)
    await load.progress(50)
    await publisher.publish(exchange, Message(b"{bad", poison, "poison.event"))
    await wait_until(lambda: poison_attempts == [1, 2, 3], RECOVERY, "the poison retried")
    await load.progress(50)  # traffic went on while the poison waited for its retries
    await load.finish()

    async def dead_lettered() -> bool:
        return len(await publisher.dead_letters(spec.name)) == 1

    await wait_until(dead_lettered, RECOVERY, "the poison dead-lettered")
    [letter] = await publisher.dead_letters(spec.name)
    assert (letter.message.message_id, letter.attempts, letter.exception) == (
        poison,
        3,
        "ValueError",
    )
    assert letter.message.routing_key == "poison.event"
    assert (await publisher.queue_depths())[spec.name] == 0


async def test_a_message_that_kills_its_consumer_stops_at_the_delivery_limit(
    brokers: Brokers,
) -> None:
    """A consumer that dies on a message (never acks, never raises) cannot loop forever."""
    ledger = Ledger("crash loop vs x-delivery-limit")
    broker = await brokers.open(AMQP_URL, "hub")
    exchange, spec = await brokers.topology(broker, concurrency=4)
    killer = uuid.uuid4().hex
    killer_deliveries = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal killer_deliveries
        if delivery.message.message_id == killer:
            killer_deliveries += 1
            await asyncio.Event().wait()  # the process "dies" on it: no ack, no nack
        await ledger.handle(delivery)

    await broker.publish(exchange, Message(b"{}", killer, "killer.event"))

    async def dead_lettered() -> bool:
        return bool(await broker.dead_letters(spec.name))

    for _ in range(DELIVERY_LIMIT + 5):
        seen = killer_deliveries
        subscription = await broker.consume(spec, handle)
        await ledger.publish_all(broker, exchange, 10)  # other traffic keeps flowing
        await wait_until(ledger.complete, RECOVERY, "the other traffic handled")
        if await dead_lettered():
            await subscription.cancel(drain_timeout=1.0)
            break
        await wait_until(
            lambda seen=seen: killer_deliveries > seen, RECOVERY, "the killer delivered"
        )
        await subscription.cancel(drain_timeout=0)  # "crash": the killer goes back unacked
        ledger.faults += 1
    await wait_until(dead_lettered, RECOVERY, "the killer dead-lettered")
    ledger.check()
    assert killer_deliveries == DELIVERY_LIMIT + 1
    [letter] = await broker.dead_letters(spec.name)
    assert (letter.message.message_id, letter.exception) == (killer, "DeliveryLimitExceeded")
    assert letter.message.routing_key == "killer.event"

    # Once the bug is fixed, the dead letter replays like any other.
    fixed = Ledger("replayed killer")
    await broker.consume(spec, fixed.handle)
    assert await broker.replay_dead_letters(spec.name) == 1
    await wait_until(lambda: killer in fixed.done, RECOVERY, "the replayed killer handled")
    assert await broker.dead_letters(spec.name) == []


async def test_kill_9_of_a_consumer_process_mid_batch(brokers: Brokers, tmp_path: Path) -> None:
    """A hub process dies hard with work in flight; the other one takes over its messages."""
    ledger = Ledger("kill -9 of one of two consumer processes")
    journal_path = tmp_path / "journal"
    journal_path.touch()
    publisher = await brokers.open(AMQP_URL, "publisher")
    exchange, spec = await brokers.topology(publisher, concurrency=8)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.broker.fault_worker",
        named_url(AMQP_URL, f"{brokers.fragment()} worker"),
        spec.name,
        str(journal_path),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None
        ready = await asyncio.wait_for(worker.stdout.readline(), RECOVERY)
        assert ready.strip() == b"ready"
        survivor = await brokers.open(AMQP_URL, "survivor")
        await survivor.consume(spec, Journal(str(journal_path), "survivor").handle)
        await recovered(spec, publisher, consumers=2)
        load = Load(ledger, publisher, exchange)

        def worker_effects() -> int:
            return journal_path.read_text().count(f" pid{worker.pid} \n")

        await wait_until(lambda: worker_effects() >= 200, RECOVERY, "the worker working")
        worker.kill()  # SIGKILL: no drain, no close, its unacked messages are in flight
        await worker.wait()
        ledger.faults += 1
        await recovered(spec, publisher, survivor)  # the survivor alone
        before = journal_path.read_text().count(" survivor \n")
        await wait_until(
            lambda: journal_path.read_text().count(" survivor \n") >= before + 200,
            RECOVERY,
            "the survivor carrying on",
        )
        load.stop.set()
        await asyncio.wait_for(load.task, RECOVERY)

        def all_done() -> bool:
            ledger.load_journal(str(journal_path))
            return ledger.complete()

        await wait_until(all_done, RECOVERY, "every confirmed id handled")
        await asyncio.sleep(0.3)
        ledger.load_journal(str(journal_path))
        ledger.check()
        assert ledger.redelivered > 0  # what the worker held came back to the survivor
    finally:
        if worker.returncode is None:
            worker.kill()  # the process this test started, by its handle
            await worker.wait()


@pytest.fixture(scope="module")
def rabbit_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitNode]:
    sbin = find_sbin()
    if sbin is None:
        message = "no RabbitMQ server scripts to start a second node (set RABBITMQ_SBIN)"
        if IN_CI:  # a green CI must not hide a skipped fault test
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tmp_path_factory.mktemp("rabbit-node"))
    node = RabbitNode(base, sbin, uuid.uuid4().hex[:8])
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.timeout(180)
async def test_broker_stop_and_start_under_load(brokers: Brokers, rabbit_node: RabbitNode) -> None:
    ledger = Ledger("stop_app/start_app x2 on a node of our own")
    publisher = await brokers.open(rabbit_node.url, "publisher")
    consumer = await brokers.open(rabbit_node.url, "consumer")
    exchange, spec = await brokers.topology(publisher, concurrency=8)
    await consumer.consume(spec, ledger.handle)
    load = Load(ledger, publisher, exchange)
    for _ in range(2):
        await load.progress()
        await asyncio.to_thread(rabbit_node.stop_app)
        ledger.faults += 1
        await wait_until(lambda: not publisher.is_connected, RECOVERY, "the stop noticed")
        await asyncio.sleep(1.0)  # down for a while: publishes answer BrokerUnavailable
        await asyncio.to_thread(rabbit_node.start_app)
        await recovered(spec, publisher, consumer)
    await load.finish()
    assert ledger.unavailable > 0  # the load really ran into the outage
