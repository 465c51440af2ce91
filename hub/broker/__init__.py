"""Message transports behind one protocol; ``open_broker(url)`` picks one by URL scheme."""

from __future__ import annotations

from .base import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    H_ORDER_KEY,
    INGRESS_EXCHANGE,
    QUEUE_PREFIX,
    UNROUTED_EXCHANGE,
    Binding,
    Broker,
    BrokerError,
    BrokerUnavailable,
    DeadLetter,
    Delivery,
    Handler,
    Message,
    PermanentFailure,
    QueueSpec,
    Subscription,
    Unroutable,
)


def open_broker(url: str) -> Broker:
    """A broker for ``url``: ``memory://`` or ``amqp://``/``amqps://``."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        from .memory import MemoryBroker

        return MemoryBroker(url)
    if scheme in ("amqp", "amqps"):
        from .amqp import AmqpBroker

        return AmqpBroker(url)
    raise ValueError(f"broker.url: unsupported scheme {scheme!r} (use memory:// or amqp://)")


__all__ = [
    "DEAD_LETTER_EXCHANGE",
    "EVENTS_EXCHANGE",
    "H_ORDER_KEY",
    "INGRESS_EXCHANGE",
    "QUEUE_PREFIX",
    "UNROUTED_EXCHANGE",
    "Binding",
    "Broker",
    "BrokerError",
    "BrokerUnavailable",
    "DeadLetter",
    "Delivery",
    "Handler",
    "Message",
    "PermanentFailure",
    "QueueSpec",
    "Subscription",
    "Unroutable",
    "open_broker",
]
