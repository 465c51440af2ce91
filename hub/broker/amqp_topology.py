"""What ``amqp://`` declares on RabbitMQ for each :class:`QueueSpec`: names and arguments.

Pure functions, so the topology can be read (and tested) without a broker. Per consumer
queue ``Q`` (RabbitMQ 3.10+):

``Q``
    durable quorum queue, bound by the spec's patterns. ``x-delivery-limit`` is explicit
    (3.10 has no default), so a message that keeps coming back without an ack (a consumer
    that crashes on it) is dead-lettered by the broker instead of looping forever.
    ``ordered`` specs add ``x-single-active-consumer`` (see ``amqp_consumer``).
``Q.retry.<ms>``
    one durable quorum queue per distinct delay of the schedule, no consumers, with
    ``x-message-ttl`` = delay: an expired message is dead-lettered through the default
    exchange straight back to ``Q``. Quorum queues expire only at their head, so each
    queue holds a single delay and expiry stays in order. The name carries the delay, not
    the attempt number, so changing a schedule creates new queues instead of failing on
    a changed ``x-message-ttl`` (a ``PRECONDITION_FAILED`` on re-declare).
``Q.dlq``
    durable quorum queue bound to ``omnihub.dlx`` (direct) with routing key ``Q``. No
    delivery limit: listing dead letters returns them to the queue, which counts as a
    delivery on 3.10, and a DLQ must never drop what it holds.

Broker-side dead-lettering (TTL expiry of ``Q.retry.*``, the delivery limit of ``Q``) uses
the default at-most-once strategy on purpose. 3.10's ``x-dead-letter-strategy=at-least-once``
runs one worker per queue under ``rabbit_fifo_dlx_sup``, whose restart intensity is one per
five seconds: deleting two such queues in quick succession (tests, ``omnihub`` tooling) made
the workers exit abnormally, the supervisor gave up for good, and from then on every
at-least-once queue declare on that broker failed with ``INTERNAL_ERROR`` — observed here.
At-most-once loses a message only if the node dies between removing it from the retry
queue and storing it in ``Q``; everything our code moves (retries, dead letters, replays)
is a publish with a confirm.
"""

from __future__ import annotations

from typing import Any

from .base import DEAD_LETTER_EXCHANGE, QueueSpec

# Deliveries without an ack before the broker dead-letters a message. Our own retries
# republish (they never requeue), so only crashes, lost connections and drains that ran
# out of time count here; 20 leaves room for several restarts while a poison message that
# kills its consumer still stops looping.
DELIVERY_LIMIT = 20

QUORUM = {"x-queue-type": "quorum"}


def exchange_arguments(alternate: str | None) -> dict[str, Any] | None:
    return {"alternate-exchange": alternate} if alternate else None


def delay_ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def retry_queue_name(queue: str, seconds: float) -> str:
    return f"{queue}.retry.{delay_ms(seconds)}"


def retry_queue_names(spec: QueueSpec) -> list[str]:
    """The retry queues of ``spec``, one per distinct delay (ordered queues retry in place)."""
    if spec.ordered:
        return []
    return list(dict.fromkeys(retry_queue_name(spec.name, d) for d in spec.retry_delays))


def all_queue_names(spec: QueueSpec) -> list[str]:
    return [spec.name, *retry_queue_names(spec), spec.dead_letter_queue]


def queue_arguments(spec: QueueSpec) -> dict[str, Any]:
    args: dict[str, Any] = {**QUORUM, "x-delivery-limit": DELIVERY_LIMIT}
    if spec.max_length is not None:
        # A bounded buffer: the oldest go, and they go nowhere (a DLX would receive every
        # overflow as a "dead letter" and grow without bound instead).
        args["x-max-length"] = spec.max_length
        args["x-overflow"] = "drop-head"
    else:
        args["x-dead-letter-exchange"] = DEAD_LETTER_EXCHANGE
        args["x-dead-letter-routing-key"] = spec.name
    if spec.ordered:
        args["x-single-active-consumer"] = True
    return args


def retry_arguments(spec: QueueSpec, seconds: float) -> dict[str, Any]:
    return {
        **QUORUM,
        "x-message-ttl": delay_ms(seconds),
        "x-dead-letter-exchange": "",  # the default exchange: routing key = queue name
        "x-dead-letter-routing-key": spec.name,
    }


def dead_letter_arguments() -> dict[str, Any]:
    return dict(QUORUM)
