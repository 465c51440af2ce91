"""Traits with source and time: newer wins, unless a higher-ranked source said otherwise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..store import Tx
from ..store.database import placeholders
from .extract import TraitChange


class TraitRules:
    def __init__(self, source_priority: Mapping[str, int] | None = None):
        self.source_priority = dict(source_priority or {})

    def rank(self, source: str) -> int:
        return self.source_priority.get(source, 0)

    def wins(self, incoming: TraitChange, current: TraitChange) -> bool:
        """Whether ``incoming`` replaces ``current``: a higher-ranked source wins; at equal
        rank the strictly newer observation does (a tie keeps what is there)."""
        rank_in, rank_now = self.rank(incoming.source), self.rank(current.source)
        if rank_in != rank_now:
            return rank_in > rank_now
        return incoming.observed_at > current.observed_at


async def read_traits(tx: Tx, customer_id: str) -> dict[str, TraitChange]:
    rows = await tx.fetch(
        "SELECT key, value, source, observed_at FROM traits WHERE customer_id = ?", customer_id
    )
    return {key: TraitChange(json.loads(value), source, at) for key, value, source, at in rows}


async def apply_traits(
    tx: Tx,
    customer_id: str,
    changes: Mapping[str, TraitChange],
    rules: TraitRules,
    now: float,
) -> dict[str, TraitChange]:
    """Write the changes that win; returns those whose value actually changed."""
    if not changes:
        return {}
    keys = sorted(changes)
    rows = await tx.fetch(
        "SELECT key, value, source, observed_at FROM traits "
        f"WHERE customer_id = ? AND key IN ({placeholders(len(keys))})",
        customer_id,
        *keys,
    )
    current = {k: TraitChange(json.loads(v), s, at) for k, v, s, at in rows}
    changed: dict[str, TraitChange] = {}
    for key in keys:
        incoming, existing = changes[key], current.get(key)
        if existing is not None and not rules.wins(incoming, existing):
            continue
        if incoming.value is None:
            await tx.execute(
                "DELETE FROM traits WHERE customer_id = ? AND key = ?", customer_id, key
            )
        else:
            await tx.execute(
                "INSERT INTO traits (customer_id, key, value, source, observed_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, key) DO UPDATE SET "
                "value = excluded.value, source = excluded.source, "
                "observed_at = excluded.observed_at, updated_at = excluded.updated_at",
                customer_id,
                key,
                _json(incoming.value),
                incoming.source,
                incoming.observed_at,
                now,
            )
        if existing is None and incoming.value is None:
            continue
        if existing is None or existing.value != incoming.value:
            changed[key] = incoming
    return changed


async def replace_traits(
    tx: Tx, customer_id: str, traits: Mapping[str, TraitChange], now: float
) -> None:
    """Write ``traits`` as they are (restoring a snapshot), keeping newer rows in place."""
    await tx.executemany(
        "INSERT INTO traits (customer_id, key, value, source, observed_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, key) DO NOTHING",
        [(customer_id, k, _json(t.value), t.source, t.observed_at, now) for k, t in traits.items()],
    )


def snapshot(traits: Mapping[str, TraitChange]) -> dict[str, list[Any]]:
    return {k: [t.value, t.source, t.observed_at] for k, t in traits.items()}


def from_snapshot(data: Mapping[str, list[Any]]) -> dict[str, TraitChange]:
    return {k: TraitChange(v[0], v[1], v[2]) for k, v in data.items()}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
