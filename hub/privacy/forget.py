"""Deleting what the hub itself holds about a person, in one transaction.

Profiles (the survivor and every id merged into it), identifiers, traits, the timeline,
the consent ledger, conversations, merges and their moves, unmerge blocks and outbox
announcements that name them. What remains is the erasure record, its receipts, the
suppression digests and the audit of past reads (re-keyed to the erasure). Identifier
rows are locked first, as the identity stage locks them, so an event resolving at the
same moment waits and then meets the suppression instead of a half-deleted profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..identity.policy import Key
from ..store import Tx
from ..store.database import placeholders
from .audit import rekey_erased


async def person_ids(tx: Tx, ids: Iterable[str]) -> list[str]:
    """``ids`` and every profile merged into one of them (a chain is one hop deep)."""
    known = sorted(set(ids))
    if not known:
        return []
    marks = placeholders(len(known))
    rows = await tx.fetch(
        f"SELECT id FROM customers WHERE id IN ({marks}) OR merged_into IN ({marks})",
        *known,
        *known,
    )
    return sorted({*known, *(r[0] for r in rows)})


async def identifier_keys(tx: Tx, ids: list[str]) -> list[Key]:
    rows = await tx.fetch(
        f"SELECT kind, value FROM identifiers WHERE customer_id IN ({placeholders(len(ids))})",
        *ids,
    )
    return [Key(kind, value) for kind, value in rows]


async def forget(tx: Tx, ids: list[str], erasure_id: str) -> int:
    """Delete the hub's rows about the profiles ``ids``; returns how many rows went."""
    if not ids:
        return 0
    marks = placeholders(len(ids))
    involving = f"surviving_id IN ({marks}) OR merged_id IN ({marks})"
    merges = f"SELECT id FROM merges WHERE {involving}"
    statements: list[tuple[str, list[str]]] = [
        (f"DELETE FROM identifiers WHERE customer_id IN ({marks})", ids),
        (f"DELETE FROM traits WHERE customer_id IN ({marks})", ids),
        (f"DELETE FROM timeline WHERE customer_id IN ({marks})", ids),
        (f"DELETE FROM consent_ledger WHERE customer_id IN ({marks})", ids),
        (f"DELETE FROM conversations WHERE customer_id IN ({marks})", ids),
        (f"DELETE FROM merge_moves WHERE merge_id IN ({merges})", ids + ids),
        (f"DELETE FROM merges WHERE {involving}", ids + ids),
        (f"DELETE FROM merge_blocks WHERE a IN ({marks}) OR b IN ({marks})", ids + ids),
        (f"DELETE FROM customers WHERE id IN ({marks})", ids),
    ]
    removed = 0
    for sql, args in statements:
        removed += await tx.execute(sql, *args)
    removed += await _forget_outbox(tx, ids)
    await rekey_erased(tx, ids, erasure_id)
    return removed


async def _forget_outbox(tx: Tx, ids: list[str]) -> int:
    """Announcements not yet published that name them (they would re-create the person)."""
    wanted = set(ids)
    doomed = [
        outbox_id
        for outbox_id, body in await tx.fetch("SELECT id, body FROM outbox")
        if any(s in wanted for s in json_strings(json.loads(body)))
    ]
    if doomed:
        await tx.execute(f"DELETE FROM outbox WHERE id IN ({placeholders(len(doomed))})", *doomed)
    return len(doomed)


def json_strings(value: Any) -> Iterator[str]:
    """Every string value in a decoded JSON document (keys are field names, not data):
    what to compare with a person's ids and identifiers when erasing stored events."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
