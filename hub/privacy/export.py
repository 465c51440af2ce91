"""Everything the hub holds on a customer, as one JSON document (LGPD Art. 18 II and V).

The person is the surviving profile and every profile merged into it: rows that name any
of those ids are theirs. Read in one transaction so the document is consistent.
"""

from __future__ import annotations

import json
from typing import Any

from ..identity import profiles
from ..identity.merges import MergeRecord
from ..identity.profiles import iso
from ..store import SqlStore, Tx
from ..store.database import placeholders
from . import requests
from .audit import entries_of
from .forget import person_ids

EXPORT_VERSION = 1
AUDIT_LIMIT = 10_000


async def export(store: SqlStore, customer_id: str) -> dict[str, Any] | None:
    """None when ``customer_id`` names no live or merged profile."""
    async with store.db.transaction() as tx:
        live = await profiles.surviving_id(tx, customer_id)
        if live is None:
            return None
        ids = await person_ids(tx, [live])
        marks = placeholders(len(ids))
        return {
            "export_version": EXPORT_VERSION,
            "customer_id": live,
            "customer_ids": ids,
            "profile": await profiles.profile(tx, live),
            "profiles": await _rows(
                tx,
                f"SELECT id, created_at, updated_at, merged_into FROM customers "
                f"WHERE id IN ({marks}) ORDER BY id",
                ids,
                times=("created_at", "updated_at"),
            ),
            "identifiers": await _rows(
                tx,
                f"SELECT customer_id, kind, value, first_seen FROM identifiers "
                f"WHERE customer_id IN ({marks}) ORDER BY kind, value",
                ids,
                times=("first_seen",),
            ),
            "traits": await _traits(tx, ids),
            "timeline": await _timeline(tx, ids),
            "consent": await _consent(tx, ids),
            "conversations": await _rows(
                tx,
                "SELECT id, customer_id, status, controller, agent, last_channel, opened_at, "
                f"updated_at, closed_at FROM conversations WHERE customer_id IN ({marks}) "
                "ORDER BY opened_at",
                ids,
                times=("opened_at", "updated_at", "closed_at"),
            ),
            "merges": await _merges(tx, ids),
            "kept_apart_from": await _blocks(tx, ids),
            "erasure_requests": [e.view() for e in await requests.of_customers(tx, ids)],
            "audit": [e.view() for e in await entries_of(tx, ids, AUDIT_LIMIT)],
        }


async def _rows(
    tx: Tx, sql: str, args: list[Any], *, times: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    names = [c.strip().split(" ")[-1] for c in sql[len("SELECT ") : sql.index(" FROM ")].split(",")]
    out = []
    for row in await tx.fetch(sql, *args):
        item = dict(zip(names, row, strict=True))
        for name in times:
            item[name] = iso(item[name])
        out.append(item)
    return out


async def _traits(tx: Tx, ids: list[str]) -> list[dict[str, Any]]:
    rows = await _rows(
        tx,
        "SELECT customer_id, key, value, source, observed_at, updated_at FROM traits "
        f"WHERE customer_id IN ({placeholders(len(ids))}) ORDER BY key",
        ids,
        times=("observed_at", "updated_at"),
    )
    return [{**r, "value": json.loads(r["value"])} for r in rows]


async def _timeline(tx: Tx, ids: list[str]) -> list[dict[str, Any]]:
    rows = await tx.fetch(
        f"SELECT body FROM timeline WHERE customer_id IN ({placeholders(len(ids))}) "
        "ORDER BY time, seq",
        *ids,
    )
    return [json.loads(body) for (body,) in rows]


async def _consent(tx: Tx, ids: list[str]) -> list[dict[str, Any]]:
    rows = await _rows(
        tx,
        "SELECT customer_id, purpose, status, legal_basis, source, evidence, at, expires_at "
        f"FROM consent_ledger WHERE customer_id IN ({placeholders(len(ids))}) ORDER BY at, seq",
        ids,
        times=("at", "expires_at"),
    )
    return [{**r, "evidence": _json_or_text(r["evidence"])} for r in rows]


async def _merges(tx: Tx, ids: list[str]) -> list[dict[str, Any]]:
    """Merges involving the person, with the traits each side had (kept for an unmerge)."""
    seen: dict[str, MergeRecord] = {}
    for customer_id in ids:
        for record in await profiles.merges_of(tx, customer_id):
            seen[record.id] = record
    records = sorted(seen.values(), key=lambda m: (m.at, m.id))
    views = []
    for record in records:
        row = await tx.fetchone("SELECT snapshot FROM merges WHERE id = ?", record.id)
        snapshot = json.loads(row[0]) if row else None
        views.append({**profiles.merge_view(record), "traits_at_merge": snapshot})
    return views


async def _blocks(tx: Tx, ids: list[str]) -> list[str]:
    marks = placeholders(len(ids))
    rows = await tx.fetch(
        f"SELECT a, b FROM merge_blocks WHERE a IN ({marks}) OR b IN ({marks})", *ids, *ids
    )
    return sorted({x for pair in rows for x in pair} - set(ids))


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
