"""Merging two profiles, and undoing it exactly.

A merge moves the absorbed profile's identifiers, timeline entries and redirects to the
survivor and records each moved row, plus both profiles' traits, so an unmerge puts
back precisely what came from the absorbed profile; what reached the survivor after the
merge stays there. An unmerged pair is remembered and never merged again automatically.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ..store import Tx
from .policy import Key
from .traits import (
    TraitRules,
    apply_traits,
    from_snapshot,
    read_traits,
    replace_traits,
    snapshot,
)

MERGE_COLUMNS = (
    "id, surviving_id, merged_id, rule, identifier_kind, identifier_value, event_key, at, "
    "undone_at, undo_reason"
)

# What a merge moves from the absorbed profile: (item, row key, table, column naming it).
MOVES = (
    ("identifier", "kind || ' ' || value", "identifiers", "customer_id"),
    ("timeline", "CAST(seq AS TEXT)", "timeline", "customer_id"),
    ("redirect", "id", "customers", "merged_into"),
    ("consent", "CAST(seq AS TEXT)", "consent_ledger", "customer_id"),
    ("conversation", "id", "conversations", "customer_id"),
)


@dataclass(frozen=True)
class MergeRecord:
    id: str
    surviving_id: str
    merged_id: str
    rule: str
    identifier: Key | None
    event_key: str | None
    at: float
    undone_at: float | None = None
    undo_reason: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> MergeRecord:
        mid, surviving, merged, rule, kind, value, event_key, at, undone_at, reason = row
        key = Key(kind, value) if kind is not None else None
        return cls(mid, surviving, merged, rule, key, event_key, at, undone_at, reason)


class MergeConflict(Exception):
    """The merge cannot be undone now; the message says why and what to do."""


async def merge(
    tx: Tx,
    survivor: str,
    merged: str,
    *,
    rule: str,
    via: Key | None,
    event_key: str | None,
    rules: TraitRules,
    now: float,
) -> MergeRecord:
    merge_id = "mrg_" + uuid.uuid4().hex
    survivor_traits, merged_traits = await read_traits(tx, survivor), await read_traits(tx, merged)
    for item, key_sql, table, column in MOVES:
        await tx.execute(
            f"INSERT INTO merge_moves (merge_id, item, key) "
            f"SELECT ?, ?, {key_sql} FROM {table} WHERE {column} = ?",
            merge_id,
            item,
            merged,
        )
        await tx.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", survivor, merged)
    await tx.execute(
        "UPDATE customers SET merged_into = ?, updated_at = ? WHERE id = ?", survivor, now, merged
    )
    await tx.execute("UPDATE customers SET updated_at = ? WHERE id = ?", now, survivor)
    await apply_traits(tx, survivor, merged_traits, rules, now)
    await tx.execute("DELETE FROM traits WHERE customer_id = ?", merged)
    record = MergeRecord(merge_id, survivor, merged, rule, via, event_key, now)
    await tx.execute(
        f"INSERT INTO merges ({MERGE_COLUMNS}, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        merge_id,
        survivor,
        merged,
        rule,
        via.kind if via else None,
        via.value if via else None,
        event_key,
        now,
        None,
        None,
        json.dumps({"survivor": snapshot(survivor_traits), "merged": snapshot(merged_traits)}),
    )
    return record


async def unmerge(tx: Tx, merge_id: str, *, reason: str | None, now: float) -> MergeRecord:
    row = await tx.fetchone(
        f"SELECT {MERGE_COLUMNS}, snapshot FROM merges WHERE id = ?{tx.for_update}", merge_id
    )
    if row is None:
        raise LookupError(merge_id)
    record, saved = MergeRecord.from_row(row[:-1]), json.loads(row[-1])
    if record.undone_at is not None:
        raise MergeConflict(f"merge {merge_id} was already undone")
    survivor = await tx.fetchone(
        f"SELECT merged_into FROM customers WHERE id = ?{tx.for_update}", record.surviving_id
    )
    if survivor is not None and survivor[0] is not None:
        raise MergeConflict(
            f"profile {record.surviving_id} was merged into {survivor[0]} since; "
            "undo that merge first"
        )
    for item, key_sql, table, column in MOVES:
        await tx.execute(
            f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND {key_sql} IN "
            "(SELECT key FROM merge_moves WHERE merge_id = ? AND item = ?)",
            record.merged_id,
            record.surviving_id,
            merge_id,
            item,
        )
    await tx.execute(
        "UPDATE customers SET merged_into = NULL, updated_at = ? WHERE id = ?",
        now,
        record.merged_id,
    )
    await tx.execute("UPDATE customers SET updated_at = ? WHERE id = ?", now, record.surviving_id)
    # The survivor keeps traits written after the merge; the rest return to their owner.
    await tx.execute(
        "DELETE FROM traits WHERE customer_id = ? AND updated_at <= ?",
        record.surviving_id,
        record.at,
    )
    await replace_traits(tx, record.surviving_id, from_snapshot(saved["survivor"]), now)
    await tx.execute("DELETE FROM traits WHERE customer_id = ?", record.merged_id)
    await replace_traits(tx, record.merged_id, from_snapshot(saved["merged"]), now)
    pair = sorted((record.surviving_id, record.merged_id))
    await tx.execute(
        "INSERT INTO merge_blocks (a, b) VALUES (?, ?) ON CONFLICT (a, b) DO NOTHING", *pair
    )
    await tx.execute(
        "UPDATE merges SET undone_at = ?, undo_reason = ? WHERE id = ?", now, reason, merge_id
    )
    return MergeRecord(**{**record.__dict__, "undone_at": now, "undo_reason": reason})
