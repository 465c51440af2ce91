"""Announcements written in the same transaction as the change they announce.

The pipeline publishes them right after the event; whatever a crash or a broker outage
left behind is published by the hub's sweep (consumers drop a repeat by event id).
"""

from __future__ import annotations

import time

from omnihub_contracts import CloudEvent, EventRegistry

from ..store import SqlStore
from ..store.database import placeholders


class Outbox:
    def __init__(self, store: SqlStore, registry: EventRegistry):
        self.store = store
        self.registry = registry

    async def pending(self, older_than: float, limit: int = 500) -> list[CloudEvent]:
        async with self.store.db.connection() as tx:
            rows = await tx.fetch(
                "SELECT body FROM outbox WHERE created_at < ? ORDER BY created_at LIMIT ?",
                time.time() - older_than,
                limit,
            )
        return [self.registry.parse(body) for (body,) in rows]

    async def done(self, ids: list[str]) -> None:
        if ids:
            async with self.store.db.connection() as tx:
                await tx.execute(f"DELETE FROM outbox WHERE id IN ({placeholders(len(ids))})", *ids)
