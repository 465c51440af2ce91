"""Erasure requests and their per-system receipts, as the store keeps them.

A request is ``pending`` while some receipt is, ``failed`` while some receipt failed (a
retry or a confirmation settles it), ``done`` once every receipt is final (``done`` or
``not_applicable``). Receipts say what a system did, never what it held.

A request also keeps every customer id it covers (``erasure_customers``: the surviving id
and the ids merged into it), so a retry after the hub's rows are gone still names them
all. Opaque hub ids only: identifiers (phones, e-mails) are never kept.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..identity.profiles import iso
from ..store import Tx
from ..store.database import placeholders

RECEIPT_STATUSES = frozenset({"done", "pending", "failed", "not_applicable"})
FINAL = frozenset({"done", "not_applicable"})
HUB_SYSTEM = "omnihub"  # the receipt of the hub's own rows
COLUMNS = "id, customer_id, requested_by, requested_at, deadline, status, finished_at"


def new_erasure_id() -> str:
    return "era_" + uuid.uuid4().hex


@dataclass(frozen=True)
class Receipt:
    system: str
    status: str
    items: int
    detail: str | None
    updated_at: float

    def view(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "status": self.status,
            "items": self.items,
            "detail": self.detail,
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class Erasure:
    id: str
    customer_id: str  # "" when the request named nobody the hub knew
    requested_by: str
    requested_at: float
    deadline: float
    status: str
    finished_at: float | None
    receipts: tuple[Receipt, ...] = ()
    merged_ids: tuple[str, ...] = ()  # ids merged into ``customer_id``: the person too

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return tuple(i for i in (self.customer_id, *self.merged_ids) if i)

    @property
    def waiting_on(self) -> tuple[str, ...]:
        """Systems whose part is not final; the hub's own while its receipt is missing
        (a run that stopped before deleting the hub's rows)."""
        if self.status == "done":
            return ()
        waiting = [r.system for r in self.receipts if r.status not in FINAL]
        if HUB_SYSTEM not in {r.system for r in self.receipts}:
            waiting.append(HUB_SYSTEM)
        return tuple(sorted(waiting))

    def overdue(self, at: float) -> bool:
        return self.status != "done" and self.deadline < at

    def view(self, at: float | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id or None,
            "merged_ids": list(self.merged_ids),
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "deadline": iso(self.deadline),
            "status": self.status,
            "overdue": self.overdue(time.time() if at is None else at),
            "waiting_on": list(self.waiting_on),
            "finished_at": iso(self.finished_at),
            "receipts": [r.view() for r in self.receipts],
        }


def settled_status(receipts: tuple[Receipt, ...]) -> str:
    statuses = {r.status for r in receipts}
    if "failed" in statuses:
        return "failed"
    return "done" if statuses <= FINAL else "pending"


async def load(tx: Tx, erasure_id: str) -> Erasure | None:
    found = await load_many(tx, [erasure_id])
    return found[0] if found else None


async def load_all(tx: Tx, rows: Iterable[Any]) -> list[Erasure]:
    """The requests whose id is the first column of ``rows``, in that order."""
    return await load_many(tx, [r[0] for r in rows])


LOAD_CHUNK = 500  # ids per IN (…): far below SQLite's and PostgreSQL's parameter limits


async def load_many(tx: Tx, ids: list[str]) -> list[Erasure]:
    """Requests by id, in the order given (unknown ids left out): three queries per
    ``LOAD_CHUNK`` ids, not three per request."""
    found: dict[str, Erasure] = {}
    for start in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[start : start + LOAD_CHUNK]
        marks = placeholders(len(chunk))
        rows = await tx.fetch(f"SELECT {COLUMNS} FROM erasures WHERE id IN ({marks})", *chunk)
        receipts: dict[str, list[Receipt]] = {}
        for erasure_id, *receipt in await tx.fetch(
            "SELECT erasure_id, system, status, items, detail, updated_at FROM erasure_receipts "
            f"WHERE erasure_id IN ({marks}) ORDER BY erasure_id, system",
            *chunk,
        ):
            receipts.setdefault(erasure_id, []).append(Receipt(*receipt))
        covered: dict[str, list[str]] = {}
        for erasure_id, customer_id in await tx.fetch(
            "SELECT erasure_id, customer_id FROM erasure_customers "
            f"WHERE erasure_id IN ({marks}) ORDER BY erasure_id, customer_id",
            *chunk,
        ):
            covered.setdefault(erasure_id, []).append(customer_id)
        for row in rows:
            eid, customer_id, requested_by, requested_at, deadline, status, finished_at = row
            found[eid] = Erasure(
                eid,
                customer_id,
                requested_by,
                requested_at,
                deadline,
                status,
                finished_at,
                receipts=tuple(receipts.get(eid, ())),
                merged_ids=tuple(c for c in covered.get(eid, ()) if c != customer_id),
            )
    return [found[i] for i in ids if i in found]


async def of_customers(tx: Tx, customer_ids: list[str]) -> list[Erasure]:
    """Requests covering any of ``customer_ids`` (surviving or merged), oldest first."""
    if not customer_ids:
        return []
    rows = await tx.fetch(
        "SELECT id FROM erasures WHERE id IN (SELECT erasure_id FROM erasure_customers "
        f"WHERE customer_id IN ({placeholders(len(customer_ids))})) ORDER BY requested_at, id",
        *customer_ids,
    )
    return await load_all(tx, rows)


async def cover(tx: Tx, erasure_id: str, customer_ids: Iterable[str]) -> None:
    """Record that the request covers ``customer_ids`` too (kept for its retries)."""
    await tx.executemany(
        "INSERT INTO erasure_customers (erasure_id, customer_id) VALUES (?, ?) "
        "ON CONFLICT (erasure_id, customer_id) DO NOTHING",
        [(erasure_id, c) for c in dict.fromkeys(customer_ids) if c],
    )


async def insert(tx: Tx, erasure: Erasure) -> None:
    await tx.execute(
        f"INSERT INTO erasures ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        erasure.id,
        erasure.customer_id,
        erasure.requested_by,
        erasure.requested_at,
        erasure.deadline,
        erasure.status,
        erasure.finished_at,
    )


async def put_receipt(
    tx: Tx, erasure_id: str, receipt: Receipt, *, add_items: bool = False
) -> None:
    """Insert or replace a system's receipt (``add_items``: count on from the last run)."""
    items = "erasure_receipts.items + excluded.items" if add_items else "excluded.items"
    await tx.execute(
        "INSERT INTO erasure_receipts (erasure_id, system, status, detail, items, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (erasure_id, system) DO UPDATE SET "
        f"status = excluded.status, detail = excluded.detail, items = {items}, "
        "updated_at = excluded.updated_at",
        erasure_id,
        receipt.system,
        receipt.status,
        receipt.detail,
        receipt.items,
        receipt.updated_at,
    )


async def set_status(tx: Tx, erasure_id: str, status: str, finished_at: float | None) -> None:
    await tx.execute(
        "UPDATE erasures SET status = ?, finished_at = ? WHERE id = ?",
        status,
        finished_at,
        erasure_id,
    )


# Listings: a request status, or ``unfinished`` (pending or failed), ``overdue``
# (unfinished past its deadline), ``due_soon`` (unfinished, due within the window).
LISTINGS: dict[str, str] = {
    "unfinished": "status <> 'done'",
    "overdue": "status <> 'done' AND deadline < ?",
    "due_soon": "status <> 'done' AND deadline >= ? AND deadline < ?",
    "pending": "status = 'pending'",
    "failed": "status = 'failed'",
    "done": "status = 'done'",
}


async def listing(
    tx: Tx, status: str, at: float, window: float, limit: int | None = None
) -> list[Erasure]:
    """Requests in ``status`` (a key of ``LISTINGS``) at time ``at``, ``window`` seconds
    being "soon"; the nearest deadline first, finished ones the newest first."""
    args: list[Any] = {"overdue": [at], "due_soon": [at, at + window]}.get(status, [])
    order = "finished_at DESC, id" if status == "done" else "deadline, id"
    sql = f"SELECT id FROM erasures WHERE {LISTINGS[status]} ORDER BY {order}"
    if limit is not None:
        sql, args = sql + " LIMIT ?", [*args, limit]
    return await load_all(tx, await tx.fetch(sql, *args))
