"""The identity feature as the rest of the hub sees it: the pipeline stage, the customer
directory plugins read, and the operations behind ``/api/v1/customers``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omnihub_contracts import CloudEvent, EventRegistry, Identifier

from ..config import IdentitySection
from ..metrics import Metrics
from ..store import SqlStore
from . import announce, profiles
from .merges import MergeConflict, MergeRecord, unmerge
from .outbox import Outbox
from .policy import IdentifierPolicy, Key
from .resolver import IdentityResolver, enqueue, record
from .retry import retry_conflicts
from .traits import TraitRules, read_traits


@dataclass(frozen=True)
class Found:
    """A profile looked up by id: ``requested`` may be a merged id of ``profile``."""

    requested: str
    profile: dict[str, Any]

    @property
    def redirected(self) -> bool:
        return bool(self.requested != self.profile["id"])


class IdentityService:
    def __init__(
        self,
        store: SqlStore,
        registry: EventRegistry,
        section: IdentitySection | None = None,
        metrics: Metrics | None = None,
    ):
        section = section or IdentitySection()
        self.store = store
        self.policy = IdentifierPolicy(section)
        self.rules = TraitRules(section.source_priority)
        self.resolver = IdentityResolver(store, self.policy, self.rules, metrics)
        self.outbox = Outbox(store, registry)

    def normalize(self, kind: str, value: str) -> Key:
        """Raises ``JunkIdentifier`` for values that identify nobody."""
        return self.policy.normalize(kind, value)

    # -- CustomerDirectory (plugins) ------------------------------------------------------

    async def find(self, identifier: Identifier) -> str | None:
        try:
            key = self.normalize(identifier.kind, identifier.value)
        except ValueError:
            return None
        async with self.store.db.connection() as tx:
            return await profiles.find(tx, key)

    async def identifiers(self, customer_id: str) -> list[Identifier]:
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            rows = await profiles.identifiers_of(tx, live) if live else []
        return [Identifier(kind=kind, value=value) for kind, value, _ in rows]

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            at = await profiles.last_time(tx, live, "message.received", channel) if live else None
        return None if at is None else datetime.fromtimestamp(at, UTC)

    async def person(self, customer_id: str) -> tuple[str, list[str], list[Identifier]] | None:
        """(surviving id, ids merged into it, identifiers) of whoever ``customer_id`` is."""
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            if live is None:
                return None
            merged = await profiles.merged_into(tx, live)
            rows = await profiles.identifiers_of(tx, live)
        return live, merged, [Identifier(kind=kind, value=value) for kind, value, _ in rows]

    async def traits(self, customer_id: str) -> dict[str, Any]:
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            found = await read_traits(tx, live) if live else {}
        return {key: trait.value for key, trait in found.items()}

    # -- API --------------------------------------------------------------------------------

    async def profile(self, customer_id: str) -> Found | None:
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            view = await profiles.profile(tx, live) if live else None
        return None if view is None else Found(customer_id, view)

    async def lookup(self, key: Key) -> dict[str, Any] | None:
        async with self.store.db.connection() as tx:
            live = await profiles.find(tx, key)
            return await profiles.profile(tx, live) if live else None

    async def timeline(
        self, customer_id: str, *, limit: int, before: profiles.Cursor | None
    ) -> tuple[str, list[dict[str, Any]], profiles.Cursor | None] | None:
        async with self.store.db.connection() as tx:
            live = await profiles.surviving_id(tx, customer_id)
            if live is None:
                return None
            events, more = await profiles.timeline(tx, live, limit=limit, before=before)
        return live, events, more

    async def unmerge(
        self, customer_id: str, merge_id: str | None, reason: str | None
    ) -> tuple[MergeRecord, list[CloudEvent]]:
        """Undo ``merge_id`` (default: the merge that absorbed ``customer_id``).

        Raises LookupError (no such customer or merge) or MergeConflict."""
        return await retry_conflicts(lambda: self._unmerge(customer_id, merge_id, reason))

    async def _unmerge(
        self, customer_id: str, merge_id: str | None, reason: str | None
    ) -> tuple[MergeRecord, list[CloudEvent]]:
        now = time.time()
        async with self.store.db.transaction() as tx:
            merges = [m for m in await profiles.merges_of(tx, customer_id) if m.undone_at is None]
            if merge_id is None:
                absorbed = [m for m in merges if m.merged_id == customer_id]
                if not absorbed:
                    raise MergeConflict(f"{customer_id} was not merged into another profile")
                merge_id = absorbed[-1].id
            elif merge_id not in {m.id for m in merges}:
                raise LookupError(f"no merge {merge_id} involving {customer_id}")
            result = await unmerge(tx, merge_id, reason=reason, now=now)
            undone = announce.unmerged(result)
            restored = [
                Key(kind, value)
                for kind, value, _ in await profiles.identifiers_of(tx, result.merged_id)
            ]
            out = [undone]
            if restored:  # so CRMs can recreate the restored customer with its identifiers
                out.append(announce.identified(undone, result.merged_id, restored, created=False))
            await record(tx, out)
            await enqueue(tx, out, now)
        return result, out
