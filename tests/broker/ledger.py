"""The bookkeeping of a fault test: what was attempted, confirmed, delivered and done.

* ``attempted`` — ids a publisher tried; it resends an id until the broker confirms it
  (what a webhook caller does after a 503), so every attempted id ends up ``confirmed``.
* ``deliveries`` — raw deliveries per id, redeliveries included (at-least-once).
* ``effects`` — the handler's effect per id. The test consumer deduplicates by message id
  as the core's consumer runner does, so a redelivery must not produce a second effect.

``lost`` (confirmed, never had its effect) and ``duplicate_effects`` must both be 0.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field

from hub.broker import Broker, BrokerUnavailable, Delivery, Message
from tests import ledgers


@dataclass
class Ledger:
    name: str
    attempted: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    unavailable: int = 0  # publishes answered BrokerUnavailable, then resent
    deliveries: Counter[str] = field(default_factory=Counter)
    redelivered: int = 0  # deliveries flagged redelivered by the broker
    effects: Counter[str] = field(default_factory=Counter)
    done: set[str] = field(default_factory=set)
    faults: int = 0

    @property
    def lost(self) -> set[str]:
        return self.confirmed - set(self.effects)

    @property
    def duplicate_effects(self) -> int:
        return sum(n - 1 for n in self.effects.values() if n > 1)

    @property
    def raw_duplicates(self) -> int:
        return sum(n - 1 for n in self.deliveries.values() if n > 1)

    def report(self) -> str:
        return (
            f"[ledger {self.name}] faults={self.faults} attempted={len(self.attempted)} "
            f"confirmed={len(self.confirmed)} unavailable_resends={self.unavailable} "
            f"deliveries={sum(self.deliveries.values())} raw_duplicates={self.raw_duplicates} "
            f"redelivered={self.redelivered} effects={sum(self.effects.values())} "
            f"lost={len(self.lost)} duplicate_effects={self.duplicate_effects}"
        )

    def check(self) -> None:
        print(self.report())
        ledgers.record(self.report())
        assert self.attempted == self.confirmed, "every attempted id is resent until confirmed"
        assert not self.lost, f"lost: {sorted(self.lost)[:10]}"
        assert self.duplicate_effects == 0

    def complete(self) -> bool:
        return bool(self.confirmed) and self.confirmed <= set(self.effects)

    def load_journal(self, path: str) -> None:
        """Take deliveries and effects from a journal several processes append to."""
        deliveries: Counter[str] = Counter()
        effects: Counter[str] = Counter()
        redelivered = 0
        with open(path, encoding="utf-8") as journal:
            for line in journal:
                kind, message_id, *rest = line.split()
                if kind == "D":
                    deliveries[message_id] += 1
                    redelivered += "redelivered" in rest
                elif kind == "E":
                    effects[message_id] += 1
        self.deliveries, self.effects, self.redelivered = deliveries, effects, redelivered
        self.done = set(effects)

    async def handle(self, delivery: Delivery, effect_time: float = 0.002) -> None:
        """The test consumer: dedup by message id, then an effect that takes a moment."""
        message_id = delivery.message.message_id
        self.deliveries[message_id] += 1
        if delivery.redelivered:
            self.redelivered += 1
        if message_id in self.done:
            return  # a redelivery of finished work: the runner's dedup drops it
        await asyncio.sleep(effect_time)  # a window in which a racing duplicate would show
        self.effects[message_id] += 1
        self.done.add(message_id)

    async def publish_all(
        self,
        broker: Broker,
        exchange: str,
        count: int,
        *,
        routing_key: str = "load.event",
        parallel: int = 16,
        timeout: float = 3.0,
    ) -> None:
        """Publish ``count`` new ids, ``parallel`` at a time, each resent until confirmed."""
        ids = [uuid.uuid4().hex for _ in range(count)]
        gate = asyncio.Semaphore(parallel)

        async def one(message_id: str) -> None:
            async with gate:
                self.attempted.add(message_id)
                message = Message(b'{"n": 1}', message_id, routing_key)
                while True:
                    try:
                        await broker.publish(exchange, message, timeout=timeout)
                    except BrokerUnavailable:
                        self.unavailable += 1
                        await asyncio.sleep(0.1)
                        continue
                    self.confirmed.add(message_id)
                    return

        await asyncio.gather(*(one(i) for i in ids))

    async def publish_until(
        self, broker: Broker, exchange: str, stop: asyncio.Event, batch: int = 100
    ) -> None:
        """Keep the load on until ``stop`` is set (so every fault hits traffic in flight)."""
        while not stop.is_set():
            await self.publish_all(broker, exchange, batch)
