"""One consumer on a RabbitMQ queue: manual acks, retries, dead letters, drain, ordering.

Each subscription has its own robust channel, so its prefetch (``spec.concurrency``) is
its own and aio-pika re-declares its queue and consumer after a reconnect.

What happens to a delivery once the handler returned or raised:

* returned → ``basic.ack``;
* :class:`PermanentFailure`, or the retry schedule is used up → a copy with the
  ``x-omnihub-*`` headers is published (confirmed) to ``omnihub.dlx`` → ``Q.dlq``, then
  the original is acked;
* any other exception → a copy is published (confirmed) to ``Q.retry.<delay ms>``, whose
  TTL dead-letters it back to ``Q``, then the original is acked.

Publish-then-ack is at-least-once: if the connection dies between the confirm and the
ack, the original comes back as well. Deduplicating redeliveries by event id is the
consumer runner's job (``hub.consumers``), not the transport's.

Ordered queues (``spec.ordered``) are single-active-consumer quorum queues: across all hub
processes exactly one consumer receives, in queue order, and the others stand by and take
over (with the unacked messages first, in their order) when it stops or dies. Inside that
consumer, deliveries are chained per ``H_ORDER_KEY``: one key runs one message at a time,
different keys run in parallel up to the concurrency. A failed message of an ordered queue
retries *in place* (held unacked while it waits), because sending it through a retry queue
would let later messages of its key overtake it. (Why not a consistent-hash exchange in
front of several single-active-consumer partitions: on RabbitMQ 3.10 the active consumer
of every partition is simply the first one registered, so all partitions would end up
active in the same process anyway, for many more queues.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustQueue
from aio_pika.exceptions import ChannelInvalidStateError

from .amqp_codec import delivery_of, failure_headers, message_of, order_key_of, outgoing
from .amqp_topology import queue_arguments, retry_queue_name
from .base import (
    DEAD_LETTER_EXCHANGE,
    BrokerError,
    Delivery,
    Handler,
    PermanentFailure,
    QueueSpec,
)

if TYPE_CHECKING:
    from .amqp import AmqpBroker

log = structlog.get_logger("hub.broker.amqp")

CANCEL_TIMEOUT = 5.0  # basic.cancel on a dead connection must not hold up a shutdown


class AmqpSubscription:
    """A running consumer; :meth:`cancel` drains it."""

    def __init__(
        self, broker: AmqpBroker, spec: QueueSpec, queue_spec: QueueSpec, handler: Handler
    ) -> None:
        if spec.concurrency < 1:
            raise ValueError(f"{spec.name}: concurrency must be at least 1")
        self.spec = spec  # concurrency and retry schedule of this consumer
        self.queue_spec = queue_spec  # the queue as declared: ordering, arguments
        self._broker = broker
        self._handler = handler
        self._channel: AbstractRobustChannel | None = None
        self._queue: AbstractRobustQueue | None = None
        self.consumer_tag: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # strong references to running work
        self._chains: dict[str, asyncio.Task[None]] = {}  # latest task per order key / id
        # Prefetch bounds deliveries per channel; after a reconnect, handlers of the old
        # channel may still run next to new deliveries, so the bound is enforced here too.
        self._slots = asyncio.Semaphore(spec.concurrency)
        self._stopping = asyncio.Event()
        self._cancelled = False

    @property
    def ordered(self) -> bool:
        return self.queue_spec.ordered

    async def start(self) -> None:
        channel = self._broker.new_channel()
        await channel
        self._channel = channel
        await channel.set_qos(prefetch_count=self.spec.concurrency)
        # Declared with its full arguments (not passive) so that the robust channel can
        # re-create it after a reconnect to a broker that lost it.
        self._queue = await channel.declare_queue(
            self.queue_spec.name, durable=True, arguments=queue_arguments(self.queue_spec)
        )
        self.consumer_tag = await self._queue.consume(self._on_message)

    async def is_consuming(self) -> bool:
        """Whether the broker knows our consumer on the current channel (after reconnects)."""
        if self._channel is None or self._channel.is_closed or self.consumer_tag is None:
            return False
        underlay = await self._channel.get_underlay_channel()
        consumers: dict[str, object] = getattr(underlay, "consumers", {})
        return self.consumer_tag in consumers

    # -- delivery ---------------------------------------------------------------------

    async def _on_message(self, incoming: AbstractIncomingMessage) -> None:
        # aio-pika starts one task per delivery, in delivery order; this body never awaits,
        # so each runs to its end in that order and two messages of a key cannot swap.
        keys = [f"id:{incoming.message_id}"] if incoming.message_id else []
        if self.ordered:
            keys.append(f"order:{order_key_of(incoming)}")
        previous = {self._chains[k] for k in keys if k in self._chains}
        task = asyncio.get_running_loop().create_task(self._run(incoming, previous))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        for key in keys:
            self._chains[key] = task
        task.add_done_callback(lambda done: self._forget_chains(keys, done))

    def _forget_chains(self, keys: list[str], task: asyncio.Task[None]) -> None:
        for key in keys:
            if self._chains.get(key) is task:
                del self._chains[key]

    async def _run(
        self, incoming: AbstractIncomingMessage, previous: set[asyncio.Task[None]]
    ) -> None:
        # Chained behind the previous delivery of the same order key (ordered queues) and
        # of the same message id: a redelivery that arrives while a handler of the old
        # channel still runs waits for it, so the runner's dedup sees a finished claim
        # instead of racing a half-done one.
        if previous:
            await asyncio.wait(previous)  # their outcomes are their own business
        async with self._slots:
            if self._cancelled and self.ordered:
                return  # left unacked: the channel's close hands it to the standby in order
            if not _channel_alive(incoming):
                # Delivered on a channel that died meanwhile: it cannot be acked any more
                # and the broker hands it out again, so the handler would only duplicate.
                return
            try:
                await self._process(incoming)
            except asyncio.CancelledError:
                raise  # a drain that ran out of time: the channel's close gives it back
            except Exception:
                # A bug of ours must not leave the message unacked until the channel dies.
                log.exception("amqp_delivery_failed", queue=self.spec.name)
                await self._give_back(incoming)

    async def _process(self, incoming: AbstractIncomingMessage) -> None:
        delivery = delivery_of(incoming, self.spec.name)
        first_failure: str | None = None
        while True:
            failure = await self._call_handler(delivery)
            if failure is None:
                await self._settle(incoming.ack, incoming)
                return
            attempt = delivery.attempt
            if isinstance(failure, PermanentFailure) or attempt >= self.spec.max_attempts:
                await self._dead_letter(incoming, attempt, failure, first_failure)
                return
            delay = self.spec.retry_delays[attempt - 1]
            if not self.ordered:
                await self._retry_later(incoming, attempt, failure, delay)
                return
            first_failure = first_failure or datetime.now(UTC).isoformat()
            log.info(
                "amqp_retry_in_place",
                queue=self.spec.name,
                attempt=attempt,
                delay=delay,
                exception=type(failure).__name__,
            )
            if not await self._sleep(delay):
                await self._give_back(incoming)  # stopping: the next consumer retries it
                return
            delivery = replace(delivery, attempt=attempt + 1, redelivered=False)

    async def _call_handler(self, delivery: Delivery) -> BaseException | None:
        """The handler's failure, or None once it returned."""
        try:
            await self._handler(delivery)
        except asyncio.CancelledError as exc:
            if task_cancelling():
                raise  # this delivery's own task is cancelled (a drain that ran out of time)
            return exc  # cancelled inside the handler, e.g. a timeout of its own: a failure
        except Exception as exc:
            return exc
        return None

    async def _sleep(self, delay: float) -> bool:
        """Wait ``delay`` seconds; False if the subscription started stopping meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
        except TimeoutError:
            return True
        return False

    async def _retry_later(
        self, incoming: AbstractIncomingMessage, attempts: int, exc: BaseException, delay: float
    ) -> None:
        headers = failure_headers(incoming, self.spec.name, attempts, exc)
        target = retry_queue_name(self.spec.name, delay)
        await self._forward(incoming, "", target, headers)
        log.info(
            "amqp_retry_scheduled",
            queue=self.spec.name,
            attempt=attempts,
            delay=delay,
            exception=type(exc).__name__,
        )

    async def _dead_letter(
        self,
        incoming: AbstractIncomingMessage,
        attempts: int,
        exc: BaseException,
        first_failure: str | None,
    ) -> None:
        headers = failure_headers(
            incoming, self.spec.name, attempts, exc, first_failure=first_failure
        )
        await self._forward(incoming, DEAD_LETTER_EXCHANGE, self.spec.name, headers)
        log.warning(
            "amqp_dead_lettered",
            queue=self.spec.name,
            attempts=attempts,
            exception=type(exc).__name__,
        )

    async def _forward(
        self,
        incoming: AbstractIncomingMessage,
        exchange: str,
        routing_key: str,
        headers: dict[str, str | int],
    ) -> None:
        """Publish a copy (confirmed), then ack the original; on failure give it back."""
        copy = outgoing(message_of(incoming), headers)
        try:
            await self._broker.publish_amqp(exchange, routing_key, copy)
        except BrokerError as exc:
            log.warning(
                "amqp_forward_failed", queue=self.spec.name, target=routing_key, error=str(exc)
            )
            await self._give_back(incoming)
            return
        await self._settle(incoming.ack, incoming)

    async def _give_back(self, incoming: AbstractIncomingMessage) -> None:
        await self._settle(lambda: incoming.nack(requeue=True), incoming)

    async def _settle(
        self, action: Callable[[], Awaitable[None]], incoming: AbstractIncomingMessage
    ) -> None:
        # An ack or nack on a channel that died is lost with the channel: the broker
        # redelivers the message, which is the at-least-once contract, so only log.
        try:
            await action()
        except Exception as exc:
            log.info(
                "amqp_settle_lost",
                queue=self.spec.name,
                delivery_tag=incoming.delivery_tag,
                error=type(exc).__name__,
            )

    # -- stopping ---------------------------------------------------------------------

    async def cancel(self, drain_timeout: float = 10.0) -> None:
        if self._cancelled:
            return
        self._cancelled = True
        self._stopping.set()
        self._broker.forget_subscription(self)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(drain_timeout, 0.0)
        # An ordered (single-active-consumer) queue keeps this consumer registered until the
        # channel closes: a basic.cancel would activate the standby at once, and it would
        # receive a key's next message while this process still holds the one before.
        # Closing the channel returns what is unacked and hands over in one step.
        if self._queue is not None and self.consumer_tag is not None and not self.ordered:
            # RobustQueue.cancel forgets the consumer before its first await, so no
            # reconnect revives it; on a dead connection the RPC itself would only wait for
            # a reconnect (the broker dropped the consumer with the connection anyway).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._queue.cancel(self.consumer_tag), self._rpc_timeout())
        # Deliveries that raced the cancel still create tasks; drain until none is left.
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)
        late = set(self._tasks)
        for task in late:
            task.cancel()  # unacked: closing the channel below puts them back
        if late:
            await asyncio.wait(late)
            log.warning("amqp_drain_timeout", queue=self.spec.name, cancelled=len(late))
        if self._channel is not None:
            # Also when it looks closed: a robust channel is closed while it waits to be
            # restored, and close() (its synchronous start) is what stops that restore.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._channel.close(), self._rpc_timeout())

    def _rpc_timeout(self) -> float:
        # Long enough for the RPC on a live connection; on a dead one just long enough for
        # the coroutine to run up to its first await (which does the local bookkeeping).
        return CANCEL_TIMEOUT if self._broker.is_connected else 0.05


def _channel_alive(incoming: AbstractIncomingMessage) -> bool:
    try:
        return not incoming.channel.is_closed
    except ChannelInvalidStateError:  # aio-pika's way of saying "closed" here
        return False


def task_cancelling() -> bool:
    """Whether the current task itself is being cancelled (not just an awaited future)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
