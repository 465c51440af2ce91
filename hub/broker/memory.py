"""``memory://``: the in-process broker, routing and failing exactly as RabbitMQ would.

It is the embedded default and the transport of plugin authors' tests, so it must not be
kinder than RabbitMQ: a message nothing would receive raises :class:`Unroutable`, an
undeclared exchange or queue raises :class:`BrokerError`, an unacked message comes back
``redelivered``. Everything lives in this process: what is queued, waiting for a retry or
dead-lettered is gone when the process exits — the trade-off of the embedded mode.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from .base import (
    BrokerError,
    BrokerUnavailable,
    DeadLetter,
    ExchangeKind,
    Handler,
    Message,
    QueueSpec,
    Subscription,
    Unroutable,
)
from .memory_queue import Entry, MemoryQueue, MemorySubscription
from .topic import binding_matches

DEFAULT_EXCHANGE = ""  # as in AMQP: routes to the queue named by the routing key


@dataclass
class _Exchange:
    kind: ExchangeKind
    alternate: str | None
    bindings: list[tuple[str, str]] = field(default_factory=list)  # (pattern, queue)


class MemoryBroker:
    """The :class:`~hub.broker.base.Broker` protocol inside one asyncio event loop."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._state = "closed"  # closed → open → closing → closed; connect() reopens
        self._exchanges: dict[str, _Exchange] = {}
        self._queues: dict[str, MemoryQueue] = {}

    # -- life cycle -------------------------------------------------------------------

    async def connect(self) -> None:
        if self._state == "open":
            return
        self._state = "open"
        for queue in self._queues.values():
            queue.start_timers()

    async def close(self, drain_timeout: float = 10.0) -> None:
        if self._state != "open":
            return
        # Handlers draining may still publish (the pipeline does), so publishing stays
        # open until they are done; only new subscriptions are refused meanwhile.
        self._state = "closing"
        subscriptions = [s for q in self._queues.values() for s in q.subscriptions]
        await asyncio.gather(*(s.cancel(drain_timeout) for s in subscriptions))
        for queue in self._queues.values():
            queue.stop_timers()
        self._state = "closed"

    async def ping(self) -> None:
        self._check_open()

    def _check_open(self, *, closing_ok: bool = False) -> None:
        if self._state == "open" or (closing_ok and self._state == "closing"):
            return
        raise BrokerUnavailable(f"{self.url} is {self._state}")

    # -- topology ---------------------------------------------------------------------

    async def declare_exchange(
        self, name: str, kind: ExchangeKind, *, alternate: str | None = None
    ) -> None:
        self._check_open()
        if name == DEFAULT_EXCHANGE:
            raise BrokerError("the default exchange cannot be declared")
        existing = self._exchanges.get(name)
        if existing is None:
            self._exchanges[name] = _Exchange(kind, alternate)
        elif (existing.kind, existing.alternate) != (kind, alternate):
            # RabbitMQ answers PRECONDITION_FAILED: an exchange cannot change its nature.
            raise BrokerError(
                f"exchange {name!r} exists as {existing.kind} (alternate "
                f"{existing.alternate!r}), not {kind} (alternate {alternate!r})"
            )

    async def declare_queue(self, spec: QueueSpec) -> None:
        self._check_open()
        for binding in spec.bindings:
            if binding.exchange not in self._exchanges:
                raise BrokerError(f"{spec.name}: bound to undeclared exchange {binding.exchange!r}")
        queue = self._queues.get(spec.name)
        if queue is None:
            self._queues[spec.name] = MemoryQueue(spec)
        else:
            queue.spec = spec  # a re-declare states the whole queue: it replaces the bindings
        self._unbind(spec.name)
        for binding in dict.fromkeys(spec.bindings):
            self._exchanges[binding.exchange].bindings.append((binding.pattern, spec.name))

    async def delete_queue(self, spec: QueueSpec) -> None:
        self._check_open()
        name = spec.name
        queue = self._queues.pop(name, None)
        if queue is None:
            return
        self._unbind(name)
        queue.delete()
        for subscription in list(queue.subscriptions):
            await subscription.cancel(drain_timeout=0)

    def _unbind(self, queue: str) -> None:
        for exchange in self._exchanges.values():
            exchange.bindings = [b for b in exchange.bindings if b[1] != queue]

    def _queue(self, name: str) -> MemoryQueue:
        queue = self._queues.get(name)
        if queue is None:
            raise BrokerError(f"queue {name!r} is not declared")
        return queue

    # -- publishing -------------------------------------------------------------------

    # Storing is the confirm here, so ``timeout`` has nothing to bound.
    async def publish(self, exchange: str, message: Message, *, timeout: float = 10.0) -> None:
        self._check_open(closing_ok=True)
        targets = self._route(exchange, message.routing_key)
        if not targets:
            raise Unroutable(f"no queue takes {message.routing_key!r} from {exchange!r}")
        # One copy of the headers per publish, so a caller's later change cannot leak in.
        stored = replace(message, headers=dict(message.headers))
        for queue in targets:
            queue.enqueue(Entry(stored))

    async def send_to_queue(self, queue: str, message: Message, *, timeout: float = 10.0) -> None:
        self._check_open(closing_ok=True)
        target = self._queues.get(queue)
        if target is None:
            raise Unroutable(f"no queue named {queue!r}")
        target.enqueue(Entry(replace(message, headers=dict(message.headers))))

    def _route(self, exchange: str, routing_key: str) -> list[MemoryQueue]:
        """The queues a message reaches, following alternate exchanges when nothing matches."""
        seen: set[str] = set()
        name: str | None = exchange
        while name is not None and name not in seen:
            seen.add(name)
            if name == DEFAULT_EXCHANGE:
                queue = self._queues.get(routing_key)
                return [queue] if queue is not None else []
            current = self._exchanges.get(name)
            if current is None:
                if name == exchange:
                    raise BrokerError(f"exchange {name!r} is not declared")
                return []  # RabbitMQ ignores a missing alternate: the message is unroutable
            # A queue bound by several matching patterns still gets one copy.
            matched = dict.fromkeys(
                queue
                for pattern, queue in current.bindings
                if binding_matches(current.kind, pattern, routing_key)
            )
            if matched:
                return [self._queues[queue] for queue in matched]
            name = current.alternate
        return []

    # -- consuming --------------------------------------------------------------------

    async def consume(self, spec: QueueSpec, handler: Handler) -> Subscription:
        """Subscribe to the declared queue ``spec.name``.

        The subscription takes its concurrency and retry schedule from ``spec``; ordering
        and ``max_length`` belong to the queue as declared.
        """
        self._check_open()
        queue = self._queue(spec.name)
        subscription = MemorySubscription(queue, spec, handler)
        queue.subscriptions.append(subscription)
        queue.pump()
        return subscription

    # -- dead letters and monitoring --------------------------------------------------

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        self._check_open()
        return self._queue(queue).dead[:limit]

    async def replay_dead_letters(
        self, queue: str, message_ids: frozenset[str] | None = None
    ) -> int:
        self._check_open()
        return self._queue(queue).replay(message_ids)

    async def queue_depths(self) -> dict[str, int]:
        self._check_open()
        depths: dict[str, int] = {}
        for name, queue in self._queues.items():
            depths[name] = len(queue.ready)
            depths[queue.spec.dead_letter_queue] = len(queue.dead)
        return depths
