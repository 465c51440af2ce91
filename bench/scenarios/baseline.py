"""What the three aio-pika/FastStream baselines share: the producer, the consumer, a run.

Producer and consumer live in the driver process, so their stamps share one monotonic
clock (``time.perf_counter``). The producer publishes persistent messages with publisher
confirms, at most ``window`` awaiting their confirm at once; the consumer acks each
delivery manually, with ``prefetch`` unacked at most. Queues are quorum queues, as the
hub declares them, so every path pays for the same durability.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    DeliveryMode,
)

from ..lib.events import EVENT_TYPE, customer_identified, encode
from ..lib.load import Ledger, chunks, closed_loop, open_loop
from ..lib.procs import CpuMeter
from ..lib.settings import Settings
from ..lib.stats import Result

WARM_UP = 300  # events sent before measuring: connections, caches and queues settle


class Receiver:
    """Consumes the final queue and stamps each delivery into the current ledger."""

    def __init__(self) -> None:
        self.ledger: Ledger | None = None

    async def on_message(self, incoming: AbstractIncomingMessage) -> None:
        if self.ledger is not None and incoming.message_id is not None:
            self.ledger.mark_received(incoming.message_id)
        await incoming.ack()

    async def start(self, queue: AbstractQueue) -> str:
        return await queue.consume(self.on_message)


class Producer:
    """Publishes prepared bodies with confirms; ``send`` is one load-generator call."""

    def __init__(self, exchange: AbstractExchange, routing_key: str) -> None:
        self.exchange = exchange
        self.routing_key = routing_key
        self.bodies: dict[str, bytes] = {}

    def prepare(self, ids: Sequence[str]) -> None:
        # Encoded before the clock starts: the driver's JSON is not what is measured.
        self.bodies = {
            event_id: encode(customer_identified(event_id, n)) for n, event_id in enumerate(ids)
        }

    async def send(self, batch: Sequence[str]) -> None:
        await asyncio.gather(*(self._publish(event_id) for event_id in batch))

    async def _publish(self, event_id: str) -> None:
        message = aio_pika.Message(
            self.bodies[event_id],
            message_id=event_id,
            content_type="application/json",
            type=EVENT_TYPE,  # lets a relay route without parsing the body
            delivery_mode=DeliveryMode.PERSISTENT,
        )
        await self.exchange.publish(message, self.routing_key, mandatory=True)


async def measure(
    *,
    key: str,
    title: str,
    settings: Settings,
    producer: Producer,
    receiver: Receiver,
    cpu: CpuMeter,
    fixed_rate: bool,
    note: str = "",
) -> Result:
    """One run: closed loop at the confirm window (max), or open loop at ``settings.rate``."""
    run = f"{key}-rate" if fixed_rate else key
    count = settings.rate_events if fixed_rate else settings.events
    ids = [settings.event_id(run, n) for n in range(count)]
    producer.prepare(ids)
    ledger = Ledger(time.perf_counter, len(ids))
    receiver.ledger = ledger
    batches = chunks(ids, 1)  # one message per publish: the window is the concurrency
    cpu.start()
    try:
        async with asyncio.timeout(settings.timeout):
            if fixed_rate:
                await open_loop(ledger, batches, producer.send, settings.rate, settings.window)
            else:
                await closed_loop(
                    ledger, batches, producer.send, settings.window, settings.outstanding
                )
            await ledger.wait_all(settings.timeout)
    except TimeoutError:
        note = f"{note} (timed out after {settings.timeout:g}s)".strip()
    used = cpu.stop()
    receiver.ledger = None
    mode = f"{settings.rate:g}/s" if fixed_rate else "max"
    return Result.of(key + ("@rate" if fixed_rate else ""), title, mode, ledger, used, note)


async def warm_up(settings: Settings, producer: Producer, receiver: Receiver, key: str) -> None:
    ids = [settings.event_id(f"{key}-warm", n) for n in range(WARM_UP)]
    producer.prepare(ids)
    ledger = Ledger(time.perf_counter, len(ids))
    receiver.ledger = ledger
    async with asyncio.timeout(settings.timeout):
        await closed_loop(
            ledger, chunks(ids, 1), producer.send, settings.window, settings.outstanding
        )
        await ledger.wait_all(settings.timeout)
    receiver.ledger = None
