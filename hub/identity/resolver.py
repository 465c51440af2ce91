"""The pipeline's identity stage: one transaction per event resolves its customer,
merges what the event proves to be one person, keeps traits and the timeline, and
writes the announcements to the outbox so they survive a crash before their publish.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog
from omnihub_contracts import CloudEvent

from ..metrics import Metrics
from ..stages import Resolved
from ..store import SqlStore, Tx
from ..store.database import rows_of
from . import announce
from .extract import observe, unique
from .graph import apply_plan, load_graph
from .merges import merge
from .plan import make_plan
from .policy import IdentifierPolicy, JunkIdentifier, Key
from .retry import retry_conflicts
from .traits import TraitRules, apply_traits

if TYPE_CHECKING:
    from ..conversations.tracker import ConversationTracker
    from ..privacy.consent import LedgerConsent
    from ..privacy.suppression import Suppression

log = structlog.get_logger("hub.identity")


class IdentityResolver:
    def __init__(
        self,
        store: SqlStore,
        policy: IdentifierPolicy,
        rules: TraitRules,
        metrics: Metrics | None = None,
    ):
        self.store = store
        self.policy = policy
        self.rules = rules
        self.metrics = metrics or Metrics()
        # Set by the hub: erased identifiers and ids are dropped (hub/privacy/suppression.py).
        self.suppression: Suppression | None = None
        self.conversations: ConversationTracker | None = None  # set by the hub
        self.consent: LedgerConsent | None = None  # set by the hub

    def keys(self, event: CloudEvent) -> list[Key]:
        keys = []
        for identifier in unique(observe(event).identifiers):
            try:
                keys.append(self.policy.normalize(identifier.kind, identifier.value))
            except JunkIdentifier:
                self.metrics.identifiers_set_aside_total.labels(identifier.kind, "junk").inc()
        return keys

    async def resolve(self, event: CloudEvent) -> Resolved:
        seen = observe(event)
        keys = self.keys(event)
        # An event whose identifiers are all junk still gets a profile (linked to nobody)
        # if it may create one; one with no identifiers at all has no customer.
        if not keys and seen.stated_id is None and not (seen.identifiers and seen.may_create):
            self.metrics.identity_resolutions_total.labels("none").inc()
            return Resolved(event)
        return await retry_conflicts(lambda: self._resolve(event, keys))

    async def _resolve(self, event: CloudEvent, keys: list[Key]) -> Resolved:
        seen, now = observe(event), time.time()
        async with self.store.db.transaction() as tx:
            graph = await load_graph(tx, keys, seen.stated_id)
            if self.suppression is not None:  # checked under the identifiers' locks
                verdict = await self.suppression.check(tx, event.type, keys, seen.stated_id)
                if verdict == "suppressed":
                    return Resolved(event, suppressed=True)
                if verdict == "lifted":
                    log.info("suppression_lifted", type=event.type)
            plan = make_plan(self.policy, keys, graph.stated, graph)
            if plan.survivor is None and not seen.may_create:
                self.metrics.identity_resolutions_total.labels("none").inc()
                return Resolved(event)
            customer_id, created = await apply_plan(tx, plan, graph, now)
            records = [
                await merge(
                    tx,
                    customer_id,
                    profile,
                    rule="shared_identifier",
                    via=via,
                    event_key=announce.event_key(event),
                    rules=self.rules,
                    now=now,
                )
                for profile, via in plan.absorb
            ]
            changed = await apply_traits(tx, customer_id, seen.traits, self.rules, now)
            stamped = _stamp(event, customer_id, created)
            if self.consent is not None:  # recorded before a conversation picks the bot
                [stamped] = await self.consent.stamp_within(tx, [stamped])
            out = [announce.merged(event, r) for r in records]
            if self.conversations is not None:
                stamped, opened = await self.conversations.track(tx, stamped, now)
                out += opened
            if created and plan.attach and event.type != "customer.identified":
                out.append(announce.identified(event, customer_id, plan.attach))
            if changed and event.type != "customer.updated":
                out.append(announce.updated(event, customer_id, changed))
            if self.consent is not None:
                out = await self.consent.stamp_within(tx, out)
            await record(tx, [stamped, *out])
            await enqueue(tx, out, now)
        for key, reason in plan.set_aside:
            self.metrics.identifiers_set_aside_total.labels(key.kind, reason).inc()
        outcome = "merged" if records else "created" if created else "known"
        self.metrics.identity_resolutions_total.labels(outcome).inc()
        if records or plan.set_aside:
            log.info(
                "identity_resolved",
                merges=[r.id for r in records],
                set_aside=[f"{k.kind}:{reason}" for k, reason in plan.set_aside],
            )
        return Resolved(stamped, out, consent_stamped=self.consent is not None)


def _stamp(event: CloudEvent, customer_id: str, created: bool) -> CloudEvent:
    update: dict[str, object] = {"customerid": customer_id}
    if event.type == "customer.identified":
        update["data"] = event.data.model_copy(update={"created": created})
    return event.model_copy(update=update)


async def record(tx: Tx, events: Sequence[CloudEvent]) -> None:
    """Add events to their customers' timelines (once per event, however often seen)."""
    rows = [
        (
            e.customerid,
            announce.event_key(e),
            e.type,
            e.channel,
            e.time.timestamp(),
            e.to_json().decode(),
            e.conversationid,
        )
        for e in events
        if e.customerid
    ]
    if rows:
        await tx.execute(
            "INSERT INTO timeline "
            "(customer_id, event_key, type, channel, time, body, conversation_id) "
            f"VALUES {rows_of(len(rows), 7)} ON CONFLICT (event_key) DO NOTHING",
            *[v for row in rows for v in row],
        )


async def enqueue(tx: Tx, events: Sequence[CloudEvent], now: float) -> None:
    if events:
        await tx.executemany(
            "INSERT INTO outbox (id, body, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            [(e.id, e.to_json().decode(), now) for e in events],
        )
