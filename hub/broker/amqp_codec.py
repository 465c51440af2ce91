"""Between :class:`Message`/:class:`Delivery`/:class:`DeadLetter` and AMQP messages.

The transport keeps its own bookkeeping in ``x-omnihub-*`` headers while a message is on
the retry path (attempts so far, first failure, the routing key it was published with),
and RabbitMQ adds ``x-death``/``x-delivery-count``. A handler sees neither: a delivery
carries the headers its publisher set, as on ``memory://``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, DeliveryMode

from .amqp_topology import DELIVERY_LIMIT
from .base import (
    FAILURE_HEADERS,
    H_ATTEMPTS,
    H_CONSUMER,
    H_ERROR,
    H_EXCEPTION,
    H_FIRST_FAILURE,
    H_LAST_FAILURE,
    H_ORDER_KEY,
    H_ROUTING_KEY,
    DeadLetter,
    Delivery,
    Message,
)

# Written by RabbitMQ (dead-lettering, quorum delivery counting); never ours to forward.
BROKER_HEADERS = frozenset({"x-death", "x-delivery-count"})
BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
MAX_ERROR_CHARS = 2000  # a header, not a log: keep a huge exception text from bloating it

DEFAULT_CONTENT_TYPE = "application/cloudevents+json"  # Message.content_type's default


def _header_value(value: Any) -> str | int:
    """Header values are ``str | int`` in the protocol; foreign publishers may send more."""
    if isinstance(value, str | int):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _is_broker_header(name: str) -> bool:
    return name in BROKER_HEADERS or name.startswith(BROKER_HEADER_PREFIXES)


def clean_headers(
    raw: Mapping[str, Any] | None, *, keep_failure: bool = False
) -> dict[str, str | int]:
    headers: dict[str, str | int] = {}
    for name, value in (raw or {}).items():
        if _is_broker_header(name) or (not keep_failure and name in FAILURE_HEADERS):
            continue
        headers[name] = _header_value(value)
    return headers


def outgoing(message: Message, extra: Mapping[str, str | int] | None = None) -> aio_pika.Message:
    """A persistent AMQP message; ``extra`` headers win over the message's own."""
    headers: dict[str, Any] = {**message.headers, **(extra or {})}
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        content_type=message.content_type,
        headers=headers,
        delivery_mode=DeliveryMode.PERSISTENT,
    )


def via_queue(message: Message) -> dict[str, str | int]:
    """Headers for a publish through the default exchange, which replaces the routing key."""
    return {H_ROUTING_KEY: message.routing_key}


def routing_key_of(incoming: AbstractIncomingMessage) -> str:
    """The key the message was first published with.

    Our retry path and ``send_to_queue`` go through the default exchange, which replaces
    the routing key, so they keep the original in ``H_ROUTING_KEY``; a message the broker
    dead-lettered itself has it in ``x-death`` (newest entry first).
    """
    headers = incoming.headers or {}
    original = headers.get(H_ROUTING_KEY)
    if original is not None:
        return str(_header_value(original))
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        keys = deaths[0].get("routing-keys")
        if isinstance(keys, list) and keys:
            return str(_header_value(keys[0]))
    return incoming.routing_key or ""


def message_of(incoming: AbstractIncomingMessage, *, keep_failure: bool = False) -> Message:
    return Message(
        body=incoming.body,
        message_id=incoming.message_id or "",
        routing_key=routing_key_of(incoming),
        headers=clean_headers(incoming.headers, keep_failure=keep_failure),
        content_type=incoming.content_type or DEFAULT_CONTENT_TYPE,
    )


def order_key_of(incoming: AbstractIncomingMessage) -> str:
    """Messages without the header share one key, as on ``memory://``."""
    return str(_header_value((incoming.headers or {}).get(H_ORDER_KEY, "")))


def failed_attempts(incoming: AbstractIncomingMessage) -> int:
    value = (incoming.headers or {}).get(H_ATTEMPTS, 0)
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def delivery_of(incoming: AbstractIncomingMessage, queue: str) -> Delivery:
    return Delivery(
        message=message_of(incoming),
        queue=queue,
        attempt=failed_attempts(incoming) + 1,
        redelivered=bool(incoming.redelivered),
    )


def _parse_time(value: Any, default: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def first_failure_of(incoming: AbstractIncomingMessage) -> str | None:
    first = (incoming.headers or {}).get(H_FIRST_FAILURE)
    return str(_header_value(first)) if first else None


def failure_headers(
    incoming: AbstractIncomingMessage,
    queue: str,
    attempts: int,
    exc: BaseException,
    *,
    first_failure: str | None = None,
) -> dict[str, str | int]:
    """The ``x-omnihub-*`` headers after ``attempts`` attempts, the last failing with ``exc``."""
    now = datetime.now(UTC).isoformat()
    return {
        H_CONSUMER: queue,
        H_ATTEMPTS: attempts,
        H_EXCEPTION: type(exc).__name__,
        H_ERROR: str(exc)[:MAX_ERROR_CHARS],
        H_FIRST_FAILURE: first_failure or first_failure_of(incoming) or now,
        H_LAST_FAILURE: now,
        H_ROUTING_KEY: routing_key_of(incoming),
    }


def dead_letter_of(incoming: AbstractIncomingMessage, queue: str) -> DeadLetter:
    """Parse a message from ``<queue>.dlq``.

    Our own dead letters carry the ``x-omnihub-*`` headers. The broker dead-letters too
    (``x-delivery-limit`` reached, a consumer that kept dying): those carry ``x-death``
    instead, and get equivalent headers here so listing and replay treat both alike.
    """
    raw = dict(incoming.headers or {})
    now = datetime.now(UTC)
    if H_CONSUMER not in raw:
        deaths = raw.get("x-death")
        death = deaths[0] if isinstance(deaths, list) and deaths else {}
        death = death if isinstance(death, Mapping) else {}
        reason = str(death.get("reason", "unknown"))
        at = _parse_time(death.get("time"), now)
        raw.update(
            {
                H_CONSUMER: queue,
                H_ATTEMPTS: failed_attempts(incoming) + 1,
                H_EXCEPTION: (
                    "DeliveryLimitExceeded" if reason == "delivery_limit" else "DeadLettered"
                ),
                H_ERROR: (
                    f"dead-lettered by RabbitMQ ({reason}); the delivery limit is "
                    f"{DELIVERY_LIMIT} redeliveries without an ack"
                ),
                H_FIRST_FAILURE: str(raw.get(H_FIRST_FAILURE) or at.isoformat()),
                H_LAST_FAILURE: at.isoformat(),
                H_ROUTING_KEY: routing_key_of(incoming),
            }
        )
    headers = clean_headers(raw, keep_failure=True)
    message = Message(
        body=incoming.body,
        message_id=incoming.message_id or "",
        routing_key=str(headers.get(H_ROUTING_KEY, incoming.routing_key or "")),
        headers=headers,
        content_type=incoming.content_type or DEFAULT_CONTENT_TYPE,
    )
    return DeadLetter(
        message=message,
        queue=str(headers[H_CONSUMER]),
        attempts=int(str(headers.get(H_ATTEMPTS, 1))),
        exception=str(headers.get(H_EXCEPTION, "")),
        error=str(headers.get(H_ERROR, "")),
        first_failure=_parse_time(headers.get(H_FIRST_FAILURE), now),
        last_failure=_parse_time(headers.get(H_LAST_FAILURE), now),
    )
