"""Runs a plugin's :class:`hub.Consumer`: decode, purpose check, dedupe, call, account."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import cached_property

import structlog
from omnihub_contracts import CloudEvent, EventRegistry, InvalidEvent

from .broker import (
    EVENTS_EXCHANGE,
    QUEUE_PREFIX,
    Binding,
    Delivery,
    Message,
    PermanentFailure,
    QueueSpec,
)
from .metrics import Metrics
from .pipeline import event_message
from .plugin_api import Consumer
from .privacy.minimise import minimise
from .store import Claim, Store, claim_or_wait

log = structlog.get_logger("hub.consumers")

H_REPLAY = "x-omnihub-replay"
BROADCAST, TARGETED = "broadcast", "targeted"


def queue_name(consumer_name: str) -> str:
    return f"{QUEUE_PREFIX}{consumer_name}"


@dataclass
class ConsumerRunner:
    consumer: Consumer
    plugin: str
    registry: EventRegistry
    store: Store
    metrics: Metrics

    @cached_property
    def spec(self) -> QueueSpec:
        c = self.consumer
        return QueueSpec(
            name=queue_name(c.name),
            bindings=tuple(Binding(EVENTS_EXCHANGE, p) for p in c.patterns),
            retry_delays=c.retry.delays,
            concurrency=c.concurrency,
            ordered=c.ordered,
        )

    def withheld_purposes(self, event: CloudEvent) -> list[str]:
        """Purposes this consumer serves that the customer did not allow."""
        allowed = event.allowed_purposes
        if allowed is None:
            return []
        if event.type in ("consent.granted", "consent.revoked"):
            # A consumer always hears of a decision about its own purpose: the withdrawal
            # of marketing must reach the marketing consumer that has to stop.
            allowed = allowed | {event.data.purpose}
        return [p for p in self.consumer.purposes if p not in allowed]

    async def handle(self, delivery: Delivery) -> None:
        name = self.consumer.name
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            event_id=delivery.message.message_id, consumer=name, plugin=self.plugin
        )
        try:
            event = self.registry.parse(delivery.message.body)
        except InvalidEvent as exc:
            self._outcome("dead_letter", "?")
            raise PermanentFailure(str(exc)) from None
        replay = delivery.message.headers.get(H_REPLAY)
        if replay == BROADCAST and not self.consumer.replays:
            self._outcome("skipped_replay", event.type)
            return
        withheld = self.withheld_purposes(event)
        if withheld:
            for purpose in withheld:
                self.metrics.deliveries_dropped_total.labels(consumer=name, purpose=purpose).inc()
            self._outcome("skipped_consent", event.type)
            return
        # CloudEvents are unique by (source, id): the same id from two sources is two events.
        scope, key = f"consumer:{name}", f"{event.source} {event.id}"
        lease = self.consumer.timeout * 2
        claim = await claim_or_wait(self.store, scope, key, lease_seconds=lease)
        if replay and claim is Claim.DONE:
            claim = Claim.NEW  # replayed on purpose: do the work again
        if claim is Claim.DONE:  # a redelivery of work already done: no second effect
            self._outcome("duplicate", event.type)
            return
        if claim is Claim.BUSY:
            raise RuntimeError("another worker still holds this event after its lease")
        if self.consumer.fields is not None:
            event = event.model_copy(update={"data": minimise(event.data, self.consumer.fields)})
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.consumer.timeout):  # no task per event
                await self.consumer.handler(event)
        except BaseException as exc:
            await self.store.release(scope, key)
            last = isinstance(exc, PermanentFailure) or delivery.attempt >= self.spec.max_attempts
            self._outcome("dead_letter" if last else "retry", event.type)
            if isinstance(exc, Exception):
                self.metrics.events_failed_total.labels(type=event.type, consumer=name).inc()
                log.warning("handler_failed", attempt=delivery.attempt, error=type(exc).__name__)
            if isinstance(exc, TimeoutError):
                raise TimeoutError(f"handler took longer than {self.consumer.timeout}s") from None
            raise
        finally:
            self.metrics.handler_seconds.labels(consumer=name).observe(
                time.perf_counter() - started
            )
        await self.store.complete(scope, key)
        self._outcome("ok", event.type)

    def _outcome(self, outcome: str, event_type: str) -> None:
        self.metrics.deliveries_total.labels(consumer=self.consumer.name, outcome=outcome).inc()


def replay_message(event: CloudEvent, *, targeted: bool) -> Message:
    """An event re-sent on purpose: consumers handle it even if they handled it before."""
    mode = TARGETED if targeted else BROADCAST
    return event_message(event, event.routing_key, {H_REPLAY: mode})
