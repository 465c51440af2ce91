"""The broker protocol: what the hub needs from a message transport.

Two implementations keep the same semantics: ``memory://`` (in-process) and ``amqp://``
(RabbitMQ). The core never touches a transport beyond this module's types.

Semantics every transport honours:

* Exchanges are ``direct``, ``topic`` (``*`` one word, ``#`` zero or more words) or
  ``fanout``. An exchange may name an *alternate* exchange that receives what none of its
  bindings match (RabbitMQ's ``alternate-exchange``).
* :meth:`Broker.publish` returns only once the message is safely stored in every queue it
  routes to (publisher confirm). A message that would reach no queue raises
  :class:`Unroutable`; a broker that cannot take it raises :class:`BrokerUnavailable`.
* A queue is declared from a :class:`QueueSpec`: its bindings, its retry schedule, its
  dead-letter queue ``<name>.dlq`` and its bounded concurrency (prefetch).
* :meth:`Broker.consume` hands each message to the handler. The message is acked only when
  the handler returns. If the handler raises :class:`PermanentFailure` the message goes
  straight to the dead-letter queue; any other exception schedules a retry after
  ``retry_delays[attempt - 1]`` seconds, and once the delays are used up the message is
  dead-lettered. Dead letters carry the ``x-omnihub-*`` headers below.
* A message in flight when its consumer stops (cancelled, crashed, connection lost) is
  delivered again with ``redelivered=True``; it is never lost.
* An ``ordered`` queue hands messages with the same ``H_ORDER_KEY`` header to one handler
  at a time, in publish order, across all its subscriptions. A message waiting for its
  retry keeps its key blocked, so a key is never overtaken: later messages of that key
  wait until it succeeds or is dead-lettered. Messages without the header share one key.
  Different keys run in parallel up to the concurrency.
* ``max_length`` counts ready messages; beyond it the oldest ready ones are dropped.
* A dead letter's message carries the original body, id, routing key and headers plus
  ``H_CONSUMER`` (the consumer queue's name), ``H_ATTEMPTS`` (int), ``H_EXCEPTION`` (the
  exception's class name, e.g. ``ValueError``), ``H_ERROR`` (``str(exc)``),
  ``H_FIRST_FAILURE``/``H_LAST_FAILURE`` (ISO 8601, UTC) and ``H_ROUTING_KEY``. A replay
  strips those headers again and delivers the message as a first attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

ExchangeKind = Literal["direct", "topic", "fanout"]

INGRESS_EXCHANGE = "omnihub.ingress"
EVENTS_EXCHANGE = "omnihub.events"
DEAD_LETTER_EXCHANGE = "omnihub.dlx"
UNROUTED_EXCHANGE = "omnihub.unrouted"
QUEUE_PREFIX = "omnihub."

# Headers a dead letter carries (values are strings or ints).
H_CONSUMER = "x-omnihub-consumer"
H_ATTEMPTS = "x-omnihub-attempts"
H_EXCEPTION = "x-omnihub-exception"
H_ERROR = "x-omnihub-error"
H_FIRST_FAILURE = "x-omnihub-first-failure"
H_LAST_FAILURE = "x-omnihub-last-failure"
H_ROUTING_KEY = "x-omnihub-routing-key"  # the key it was first published with
# Written by a transport on the retry path and on dead letters; a replay strips them.
FAILURE_HEADERS = frozenset(
    {H_CONSUMER, H_ATTEMPTS, H_EXCEPTION, H_ERROR, H_FIRST_FAILURE, H_LAST_FAILURE, H_ROUTING_KEY}
)
# Set by publishers: messages with the same key reach an ``ordered`` queue in publish order.
H_ORDER_KEY = "x-omnihub-order-key"


class BrokerError(Exception):
    """Base of transport errors."""


class BrokerUnavailable(BrokerError):
    """The broker cannot take the message now (down, reconnecting, confirm timed out).

    Callers answer HTTP 503 with ``Retry-After``: nothing was accepted.
    """

    retry_after: float = 2.0  # reconnects are attempted every second


class Unroutable(BrokerError):
    """No queue would receive the message (RabbitMQ ``mandatory`` return)."""


class PermanentFailure(Exception):
    """Raised by a handler: retrying cannot help (bad data); dead-letter at once."""


@dataclass(frozen=True)
class Message:
    """What travels: opaque bytes plus metadata. ``message_id`` is the event id."""

    body: bytes
    message_id: str
    routing_key: str = ""
    headers: Mapping[str, str | int] = field(default_factory=dict)
    content_type: str = "application/cloudevents+json"


@dataclass(frozen=True)
class Delivery:
    """A message handed to a consumer, with its delivery history."""

    message: Message
    queue: str
    attempt: int  # 1 on first delivery, grows with every retry
    redelivered: bool  # delivered before without ack or reject (consumer died)


@dataclass(frozen=True)
class Binding:
    exchange: str
    pattern: str


@dataclass(frozen=True)
class QueueSpec:
    """A consumer's durable queue with its retry schedule and dead-letter queue."""

    name: str  # full queue name, e.g. "omnihub.archive"
    bindings: tuple[Binding, ...] = ()
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    concurrency: int = 16  # messages in flight at once (prefetch)
    ordered: bool = False  # one at a time per customer key, in publish order
    max_length: int | None = None  # bounded queue: oldest dropped beyond this

    @property
    def max_attempts(self) -> int:
        return len(self.retry_delays) + 1

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"


@dataclass(frozen=True)
class DeadLetter:
    """A message in a dead-letter queue with why it is there."""

    message: Message
    queue: str  # the consumer queue it failed in
    attempts: int
    exception: str
    error: str
    first_failure: datetime
    last_failure: datetime


Handler = Callable[[Delivery], Awaitable[None]]


@runtime_checkable
class Subscription(Protocol):
    async def cancel(self, drain_timeout: float = 10.0) -> None:
        """Stop taking messages; let in-flight handlers finish for up to ``drain_timeout``.

        Handlers still running then are cancelled and their messages go back to the queue,
        to be delivered again with ``redelivered=True``: nothing is lost.
        """


@runtime_checkable
class Broker(Protocol):
    """A message transport. Every method may raise :class:`BrokerUnavailable`."""

    url: str

    async def connect(self) -> None: ...

    async def close(self, drain_timeout: float = 10.0) -> None:
        """Cancel consumers, let in-flight handlers finish (up to the timeout), disconnect."""

    async def declare_exchange(
        self, name: str, kind: ExchangeKind, *, alternate: str | None = None
    ) -> None: ...

    async def declare_queue(self, spec: QueueSpec) -> None:
        """Declare (idempotently) the queue, its bindings, retry path and dead-letter queue."""

    async def delete_queue(self, spec: QueueSpec) -> None:
        """Remove the queue declared from ``spec`` with its retry path and dead-letter queue.

        The spec, not just the name: the retry path depends on the schedule, and a process
        that did not declare the queue cannot know it otherwise.
        """

    async def publish(self, exchange: str, message: Message, *, timeout: float = 10.0) -> None:
        """Route ``message`` by ``message.routing_key``; return after the broker confirmed."""

    async def send_to_queue(self, queue: str, message: Message, *, timeout: float = 10.0) -> None:
        """Put ``message`` directly on one queue (replays), with the same confirm guarantee."""

    async def consume(self, spec: QueueSpec, handler: Handler) -> Subscription: ...

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        """Dead letters of a consumer queue, oldest first, without removing them."""

    async def replay_dead_letters(
        self, queue: str, message_ids: frozenset[str] | None = None
    ) -> int:
        """Move dead letters (all, or those ids) back to ``queue`` with attempts reset."""

    async def queue_depths(self) -> dict[str, int]:
        """Messages ready per declared queue (consumer queues and their ``.dlq``).

        Ready means neither in flight nor waiting for a retry.
        """

    async def ping(self) -> None:
        """Raise :class:`BrokerUnavailable` unless the broker answers now."""
