"""External consumers: systems in any language reading a queue of their own on RabbitMQ.

``omnihub consumers add crm --bind 'customer.#' --purpose service`` stores a definition;
every hub process runs a relay for it: a consumer like any plugin's (so consent and field
minimisation apply) that puts each allowed event on ``omnihub.external.<name>``, a durable
queue with its dead-letter queue. The external system never binds to ``omnihub.events``
itself, because then nothing could hold back what the customer did not allow.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from omnihub_contracts import CloudEvent

from .broker import H_ORDER_KEY, Message, QueueSpec, Subscription
from .plugin_api import CONSUMER_NAME, Consumer

if TYPE_CHECKING:
    from .runtime import Hub

log = structlog.get_logger("hub.external")
EXTERNAL_PLUGIN = "(external)"


@dataclass(frozen=True)
class ExternalConsumer:
    name: str
    patterns: tuple[str, ...]
    purposes: tuple[str, ...]
    fields: tuple[str, ...] | None = None

    @property
    def queue(self) -> QueueSpec:
        """The queue the external system reads (no retry path: it acks or rejects).
        Single active consumer: several readers fail over without breaking the order."""
        return QueueSpec(
            f"omnihub.external.{self.name}", retry_delays=(), concurrency=1, ordered=True
        )

    @property
    def relay_name(self) -> str:
        return f"relay.{self.name}"

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "queue": self.queue.name,
            "dead_letter_queue": self.queue.dead_letter_queue,
            "patterns": list(self.patterns),
            "purposes": list(self.purposes),
            "fields": list(self.fields) if self.fields is not None else None,
        }


class ExternalConsumers:
    def __init__(self, hub: Hub):
        self.hub = hub
        self.running: dict[str, tuple[ExternalConsumer, Subscription]] = {}

    def check(self, consumer: ExternalConsumer) -> None:
        """Raise ValueError naming the field that is wrong."""
        if not CONSUMER_NAME.match(consumer.name) or "." in consumer.name:
            raise ValueError("name: lower-case letters, digits, '-' and '_' only")
        if not consumer.patterns:
            raise ValueError("bind: at least one routing-key pattern, e.g. 'customer.#'")
        unknown = set(consumer.purposes) - set(self.hub.config.privacy.purposes)
        if unknown:
            raise ValueError(f"purposes: unknown {sorted(unknown)}")

    async def definitions(self) -> dict[str, ExternalConsumer]:
        async with self.hub.store.db.connection() as tx:
            rows = await tx.fetch("SELECT name, patterns, purposes, fields FROM external_consumers")
        return {
            name: ExternalConsumer(
                name,
                tuple(json.loads(patterns)),
                tuple(json.loads(purposes)),
                tuple(json.loads(fields)) if fields else None,
            )
            for name, patterns, purposes, fields in rows
        }

    async def add(self, consumer: ExternalConsumer) -> bool:
        """Store and start it; returns False if the same definition was there already."""
        self.check(consumer)
        existing = (await self.definitions()).get(consumer.name)
        if existing == consumer:
            await self.sync()
            return False
        async with self.hub.store.db.transaction() as tx:
            await tx.execute("DELETE FROM external_consumers WHERE name = ?", consumer.name)
            await tx.execute(
                "INSERT INTO external_consumers (name, patterns, purposes, fields, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                consumer.name,
                json.dumps(list(consumer.patterns)),
                json.dumps(list(consumer.purposes)),
                json.dumps(list(consumer.fields)) if consumer.fields is not None else None,
                time.time(),
            )
        await self._stop(consumer.name)  # a changed definition: new bindings
        if existing is not None:
            await self.hub.broker.delete_queue(self._relay_spec(existing))
        await self.sync()
        return True

    async def remove(self, name: str) -> bool:
        existing = (await self.definitions()).get(name)
        if existing is None:
            return False
        async with self.hub.store.db.transaction() as tx:
            await tx.execute("DELETE FROM external_consumers WHERE name = ?", name)
        await self._stop(name)
        await self.hub.broker.delete_queue(self._relay_spec(existing))
        await self.hub.broker.delete_queue(existing.queue)
        return True

    async def sync(self) -> None:
        """Run a relay for every stored definition, and only for those (all processes)."""
        wanted = await self.definitions()
        for name in set(self.running) - set(wanted):
            await self._stop(name)
        for name, consumer in wanted.items():
            if name in self.running and self.running[name][0] == consumer:
                continue
            await self._stop(name)
            await self._start(consumer)

    async def stop_all(self, drain_timeout: float) -> None:
        for name in list(self.running):
            await self._stop(name, drain_timeout)

    def _relay(self, consumer: ExternalConsumer) -> Consumer:
        target = consumer.queue.name
        timeout = self.hub.config.broker.publish_timeout

        async def forward(event: CloudEvent) -> None:
            order_key = event.customerid or event.subject or event.id
            message = Message(
                event.to_json(), event.id, routing_key=target, headers={H_ORDER_KEY: order_key}
            )
            await self.hub.broker.send_to_queue(target, message, timeout=timeout)

        return Consumer(
            consumer.relay_name,
            consumer.patterns,
            forward,
            purposes=consumer.purposes,
            fields=consumer.fields,  # the runner minimises before the relay sees it
            ordered=True,  # per-customer order on the way to the external queue
            replays=True,
        )

    def _relay_spec(self, consumer: ExternalConsumer) -> QueueSpec:
        runner = self.hub.runners.get(consumer.relay_name)
        if runner is not None:
            return runner.spec
        from .consumers import ConsumerRunner

        relay = self._relay(consumer)
        return ConsumerRunner(
            relay, EXTERNAL_PLUGIN, self.hub.registry, self.hub.store, self.hub.metrics
        ).spec

    async def _start(self, consumer: ExternalConsumer) -> None:
        await self.hub.broker.declare_queue(consumer.queue)
        runner = self.hub.register_consumer(self._relay(consumer), EXTERNAL_PLUGIN)
        await self.hub.broker.declare_queue(runner.spec)
        subscription = await self.hub.broker.consume(runner.spec, runner.handle)
        self.running[consumer.name] = (consumer, subscription)
        log.info("external_consumer_started", consumer=consumer.name)

    async def _stop(self, name: str, drain_timeout: float = 5.0) -> None:
        entry = self.running.pop(name, None)
        if entry is None:
            return
        consumer, subscription = entry
        await subscription.cancel(drain_timeout=drain_timeout)
        self.hub.runners.pop(consumer.relay_name, None)
