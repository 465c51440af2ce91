"""Helpers for the broker tests: polling waits, recording handlers, self-cleaning topology."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from hub.broker import Binding, Broker, BrokerUnavailable, Delivery, Message, QueueSpec
from hub.broker.base import ExchangeKind, Subscription

FAST_RETRY = (0.01, 0.01)  # tiny delays keep the suite fast; tests never time performance


async def wait_until(
    condition: Callable[[], object | Awaitable[object]], within: float = 5.0, what: str = ""
) -> None:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or condition}")
        await asyncio.sleep(0.005)


def message(
    routing_key: str = "", body: bytes = b"{}", headers: Mapping[str, str | int] | None = None
) -> Message:
    return Message(body, uuid.uuid4().hex, routing_key, dict(headers or {}))


@dataclass
class Recorder:
    """A handler that remembers what it was handed; optional behaviour per delivery."""

    behaviour: Callable[[Delivery], Awaitable[None]] | None = None
    seen: list[Delivery] = field(default_factory=list)
    done: list[Delivery] = field(default_factory=list)

    async def __call__(self, delivery: Delivery) -> None:
        self.seen.append(delivery)
        if self.behaviour is not None:
            await self.behaviour(delivery)
        self.done.append(delivery)

    @property
    def done_ids(self) -> list[str]:
        return [d.message.message_id for d in self.done]

    async def wait_done(self, count: int, within: float = 5.0) -> None:
        await wait_until(lambda: len(self.done) >= count, within, f"{count} handled")


class NameSource(Protocol):
    def exchange(self, base: str = ...) -> str: ...

    def queue(self, base: str = ...) -> str: ...


class Topology:
    """Declares through the broker and remembers it, so each test removes what it made."""

    def __init__(self, broker: Broker, names: NameSource) -> None:
        self.broker = broker
        self.names = names
        self.queues: list[QueueSpec] = []
        self.subscriptions: list[Subscription] = []

    async def exchange(
        self, base: str = "events", kind: ExchangeKind = "topic", alternate: str | None = None
    ) -> str:
        name = self.names.exchange(base)
        await self.broker.declare_exchange(name, kind, alternate=alternate)
        return name

    async def queue(
        self,
        base: str = "consumer",
        bindings: tuple[tuple[str, str], ...] = (),
        retry_delays: tuple[float, ...] = FAST_RETRY,
        concurrency: int = 16,
        ordered: bool = False,
        max_length: int | None = None,
    ) -> QueueSpec:
        spec = QueueSpec(
            self.names.queue(base),
            tuple(Binding(exchange, pattern) for exchange, pattern in bindings),
            retry_delays,
            concurrency,
            ordered,
            max_length,
        )
        await self.broker.declare_queue(spec)
        self.queues.append(spec)
        return spec

    async def consume(
        self, spec: QueueSpec, handler: Callable[[Delivery], Awaitable[None]]
    ) -> Subscription:
        subscription = await self.broker.consume(spec, handler)
        self.subscriptions.append(subscription)
        return subscription

    async def depth(self, queue: str) -> int:
        return (await self.broker.queue_depths()).get(queue, 0)

    async def cleanup(self) -> None:
        try:
            for subscription in self.subscriptions:
                await subscription.cancel(drain_timeout=1.0)
            for spec in self.queues:
                await self.broker.delete_queue(spec)
        except BrokerUnavailable:
            pass  # the test closed the broker for good; nothing left to clean
