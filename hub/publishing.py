"""How events enter the hub: validated, then through the pipeline (or the ingress), and
how past events are replayed. Mixed into :class:`hub.runtime.Hub`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from omnihub_contracts import CloudEvent, EventRegistry, FieldError, InvalidEvent

from .broker import EVENTS_EXCHANGE, INGRESS_EXCHANGE, Broker, BrokerUnavailable
from .config import HubConfig
from .consumers import ConsumerRunner, replay_message
from .metrics import Metrics
from .pipeline import INGRESS_KEY, Pipeline, event_message


class PartialPublish(BrokerUnavailable):
    """Some events of a batch were not confirmed; ``ids`` are all of the batch's ids."""

    def __init__(self, message: str, *, ids: list[str], confirmed: list[str]):
        super().__init__(message)
        self.ids = ids
        self.confirmed = confirmed


class Publishing:
    config: HubConfig
    registry: EventRegistry
    metrics: Metrics
    broker: Broker
    pipeline: Pipeline
    runners: dict[str, ConsumerRunner]

    def validate(self, events: Sequence[CloudEvent | Mapping[str, Any]]) -> list[CloudEvent]:
        """Type and check every event; one InvalidEvent lists the errors of all of them."""
        valid: list[CloudEvent] = []
        errors: list[FieldError] = []
        for index, item in enumerate(events):
            try:
                if isinstance(item, CloudEvent):
                    valid.append(self.registry.type_data(item))
                else:
                    valid.append(self.registry.parse(item))
            except InvalidEvent as exc:
                errors += [FieldError(e.field, e.message, index) for e in exc.errors]
        if errors:
            raise InvalidEvent(errors)
        return valid

    async def publish(self, events: Sequence[CloudEvent | Mapping[str, Any]]) -> list[str]:
        """Validate and hand events to the ingress; return their ids once all are confirmed.

        Raises InvalidEvent (nothing published) or :class:`PartialPublish` (answer 503 with
        the ids: some may be confirmed, and resending the same ids is safe as the ingress
        drops duplicates). Every publish has settled when it raises.

        Events naming the same customer go through one after the other, in the batch's
        order, and so reach every consumer in that order (a conversation's ``opened``
        before its first ``message.send``); so do the events that name no customer yet (a
        channel's messages, resolved by the pipeline). Different customers run at once.
        """
        valid = self.validate(events)
        outcomes = await asyncio.gather(*self._in_order(valid), return_exceptions=True)
        confirmed = [e for e, outcome in zip(valid, outcomes, strict=True) if outcome is None]
        for event in confirmed:
            self.metrics.events_in_total.labels(type=event.type).inc()
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            unexpected = [f for f in failures if not isinstance(f, BrokerUnavailable)]
            if unexpected:
                raise unexpected[0]
            raise PartialPublish(
                str(failures[0]), ids=[e.id for e in valid], confirmed=[e.id for e in confirmed]
            )
        return [e.id for e in valid]

    async def publish_out(self, event: CloudEvent) -> None:
        """Publish a hub-made event straight to ``omnihub.events`` (no ingress, no stamp)."""
        await self.broker.publish(
            EVENTS_EXCHANGE,
            event_message(event, event.routing_key),
            timeout=self.config.broker.publish_timeout,
        )
        self.metrics.events_out_total.labels(type=event.type).inc()

    def _in_order(self, events: list[CloudEvent]) -> list[asyncio.Task[None]]:
        latest: dict[str | None, asyncio.Task[None]] = {}  # per customer id (None: unnamed)
        tasks = []
        for event in events:
            previous = latest.get(event.customerid)
            task = asyncio.ensure_future(self._accept_after(previous, event))
            latest[event.customerid] = task
            tasks.append(task)
        return tasks

    async def _accept_after(self, previous: asyncio.Task[None] | None, event: CloudEvent) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own; the batch reports it
        await self._accept(event)

    async def _accept(self, event: CloudEvent) -> None:
        if self.config.pipeline.mode == "edge":
            await self.pipeline.process(event)
        else:
            message = event_message(event, INGRESS_KEY)
            await self.broker.publish(
                INGRESS_EXCHANGE, message, timeout=self.config.broker.publish_timeout
            )

    async def replay(
        self, events: Sequence[CloudEvent | Mapping[str, Any]], to: str | None = None
    ) -> int:
        """Re-deliver already-processed events, bypassing ingress dedupe: to one consumer's
        queue, or (``to=None``) to every subscriber through ``omnihub.events``."""
        valid = self.validate(events)
        if to is not None and to not in self.runners:
            raise KeyError(to)
        timeout = self.config.broker.publish_timeout
        for event in valid:
            message = replay_message(event, targeted=to is not None)
            if to is None:
                await self.broker.publish(EVENTS_EXCHANGE, message, timeout=timeout)
            else:
                await self.broker.send_to_queue(
                    self.runners[to].spec.name, message, timeout=timeout
                )
        return len(valid)
