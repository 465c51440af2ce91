"""Reading and writing the identity graph inside one transaction.

Concurrency: every transaction first locks the identifiers it will read or create (in one
global order), then the profile rows it touches. Two hub processes seeing a new customer at
once therefore run one after the other, and the second finds the first one's profile.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence

from ..store import Tx
from ..store.database import placeholders
from .plan import Graph, Plan
from .policy import Key


def new_customer_id() -> str:
    return "cus_" + uuid.uuid4().hex


async def load_graph(tx: Tx, keys: Sequence[Key], stated: str | None) -> Graph:
    await tx.lock_keys(f"identifier {k}" for k in keys)
    linked: dict[Key, str] = {}
    if keys:
        where = " OR ".join(["(kind = ? AND value = ?)"] * len(keys))
        rows = await tx.fetch(
            f"SELECT kind, value, customer_id FROM identifiers WHERE {where}",
            *[part for k in keys for part in (k.kind, k.value)],
        )
        linked = {Key(kind, value): cid for kind, value, cid in rows}
    roots = await survivors(tx, {*linked.values(), *([stated] if stated else [])})
    linked = {key: roots[cid] for key, cid in linked.items()}
    profiles = sorted(set(roots.values()))
    kinds: dict[str, Counter[str]] = {p: Counter() for p in profiles}
    blocked: set[frozenset[str]] = set()
    if profiles:
        marks = placeholders(len(profiles))
        for cid, kind, count in await tx.fetch(
            "SELECT customer_id, kind, count(*) FROM identifiers "
            f"WHERE customer_id IN ({marks}) GROUP BY customer_id, kind",
            *profiles,
        ):
            kinds[cid][kind] = int(count)
        if len(profiles) > 1:
            rows = await tx.fetch(
                f"SELECT a, b FROM merge_blocks WHERE a IN ({marks}) AND b IN ({marks})",
                *profiles,
                *profiles,
            )
            blocked = {frozenset((a, b)) for a, b in rows}
    adopted = stated if stated and stated not in roots else None
    live = roots.get(stated, stated) if stated else None
    return Graph(linked, kinds, frozenset(blocked), adopted, live)


async def survivors(tx: Tx, ids: Iterable[str], *, lock: bool = True) -> dict[str, str]:
    """{id: surviving id} for the ids that exist, locking the rows for update (``lock``:
    a resolution about to change them; reads must not, a lock costs PostgreSQL a write).

    Merges keep redirects one hop deep, but a chain can be longer for a moment while a
    concurrent merge commits, so follow until every id ends at a live profile.
    """
    pending, parent = set(ids), {}
    for _ in range(16):
        if not pending:
            break
        rows = await tx.fetch(
            f"SELECT id, merged_into FROM customers WHERE id IN ({placeholders(len(pending))}) "
            f"ORDER BY id{tx.for_update if lock else ''}",
            *sorted(pending),
        )
        parent.update({cid: into for cid, into in rows})
        pending = {into for _, into in rows if into is not None and into not in parent}
    result: dict[str, str] = {}
    for start in parent:
        cid, hops = start, 0
        while parent.get(cid) is not None and hops < 16:
            cid, hops = parent[cid], hops + 1
        result[start] = cid
    return result


async def apply_plan(tx: Tx, plan: Plan, graph: Graph, now: float) -> tuple[str, bool]:
    """Create the profile if needed and attach the new identifiers; returns (id, created).

    A stated id the store has never seen is adopted: a system that numbers its customers
    itself can keep its ids. Merges are applied by the caller (they need traits).
    """
    created = plan.survivor is None or plan.survivor == graph.adopted
    customer_id = plan.survivor or new_customer_id()
    if created:
        await tx.execute(
            "INSERT INTO customers (id, created_at, updated_at) VALUES (?, ?, ?)",
            customer_id,
            now,
            now,
        )
    if plan.attach:
        await tx.executemany(
            "INSERT INTO identifiers (kind, value, customer_id, first_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, value) DO NOTHING",
            [(k.kind, k.value, customer_id, now) for k in plan.attach],
        )
    return customer_id, created
