"""The core pipeline: enriches events and publishes them to ``omnihub.events``.

It runs where events enter (``Pipeline.process``, the default "edge" mode) and as the
consumer of ``omnihub.ingress`` (``Pipeline.handle``), for systems that publish there.

validate → drop duplicates by (source, id) → resolve identity → stamp consent → publish.
The duplicate claim completes only after the publish is confirmed, so a crash in between
means a redelivery publishes again (at-least-once) rather than losing the event.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from omnihub_contracts import CloudEvent, EventRegistry, InvalidEvent

from .broker import (
    EVENTS_EXCHANGE,
    H_ORDER_KEY,
    INGRESS_EXCHANGE,
    Binding,
    Broker,
    Delivery,
    Message,
    PermanentFailure,
    QueueSpec,
)
from .identity.outbox import Outbox
from .metrics import Metrics
from .stages import ConsentStage, ErasureIntake, IdentityStage
from .store import Claim, Store, claim_or_wait

log = structlog.get_logger("hub.pipeline")

PIPELINE_QUEUE = "omnihub.pipeline"
INGRESS_KEY = "event"
ERASURE_REQUESTED = "customer.erasure_requested"


def pipeline_queue_spec(concurrency: int = 32) -> QueueSpec:
    return QueueSpec(
        name=PIPELINE_QUEUE,
        bindings=(Binding(INGRESS_EXCHANGE, INGRESS_KEY),),
        retry_delays=(0.5, 2.0, 10.0, 30.0, 120.0),
        concurrency=concurrency,
    )


def event_message(
    event: CloudEvent, routing_key: str, headers: Mapping[str, str | int] | None = None
) -> Message:
    order_key = event.customerid or event.subject or event.id
    return Message(
        body=event.to_json(),
        message_id=event.id,
        routing_key=routing_key,
        headers={H_ORDER_KEY: order_key, **(headers or {})},
    )


class Pipeline:
    def __init__(
        self,
        *,
        broker: Broker,
        store: Store,
        registry: EventRegistry,
        metrics: Metrics,
        identity: IdentityStage,
        consent: ConsentStage,
        outbox: Outbox,
        publish_timeout: float = 10.0,
        erasures: ErasureIntake | None = None,
    ):
        self.broker = broker
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.identity = identity
        self.consent = consent
        self.outbox = outbox
        self.publish_timeout = publish_timeout
        self.erasures = erasures

    async def handle(self, delivery: Delivery) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            event_id=delivery.message.message_id, stage="pipeline"
        )
        try:
            await self.process(self.registry.parse(delivery.message.body))
        except InvalidEvent as exc:
            log.warning("invalid_event", errors=[e.field for e in exc.errors])
            raise PermanentFailure(str(exc)) from None

    async def process(self, event: CloudEvent) -> bool:
        """Dedupe, resolve, stamp and publish one valid event to ``omnihub.events``.

        Returns False for a duplicate or a suppressed event (dropped). Raises what the
        broker raised, with the claim released so a retry can process the event.
        """
        scope = f"ingress:{event.source}"
        # Resolve, stamp and one publish (bounded by its timeout) fit in the lease; a short
        # lease keeps a crashed process's orphaned claims from stalling a survivor long.
        lease = 2 * self.publish_timeout
        claim = await claim_or_wait(self.store, scope, event.id, lease_seconds=lease)
        if claim is Claim.DONE:
            self.metrics.events_duplicate_total.labels(source=event.source).inc()
            log.info("duplicate_dropped", type=event.type)
            return False
        if claim is Claim.BUSY:
            raise RuntimeError("another worker still holds this event after its lease")
        try:
            if self.erasures is not None and event.type == ERASURE_REQUESTED:
                # A CRM asks: the erasure flow publishes the hub's own request itself.
                await self.erasures.from_event(event)
                await self.store.complete(scope, event.id)
                return True
            resolved = await self.identity.resolve(event)
            if resolved.suppressed:  # names an erased person: done, never published
                await self.store.complete(scope, event.id)
                self.metrics.events_suppressed_total.labels(type=event.type).inc()
                log.info("suppressed", type=event.type)
                return False
            event = resolved.event
            if not resolved.consent_stamped:
                event = await self.consent.stamp(event)
            await self.broker.publish(
                EVENTS_EXCHANGE,
                event_message(event, event.routing_key),
                timeout=self.publish_timeout,
            )
        except BaseException:
            await self.store.release(scope, event.id)
            raise
        await self.store.complete(scope, event.id)
        self.metrics.events_out_total.labels(type=event.type).inc()
        await self.announce(resolved.announcements, consent_stamped=resolved.consent_stamped)
        return True

    async def announce(self, events: list[CloudEvent], *, consent_stamped: bool = False) -> None:
        """Publish what identity resolution announced and clear it from the outbox.

        Best effort: a failure leaves the rest in the outbox for the hub's sweep.
        """
        published: list[str] = []
        try:
            for announcement in events:
                if not consent_stamped:
                    announcement = await self.consent.stamp(announcement)
                await self.broker.publish(
                    EVENTS_EXCHANGE,
                    event_message(announcement, announcement.routing_key),
                    timeout=self.publish_timeout,
                )
                published.append(announcement.id)
                self.metrics.events_out_total.labels(type=announcement.type).inc()
            await self.outbox.done(published)
        except Exception as exc:
            log.warning("announce_deferred", error=type(exc).__name__, events=len(events))
