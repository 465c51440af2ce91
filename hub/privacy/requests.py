"""Erasure requests and their per-system receipts, as the store keeps them.

A request is ``pending`` while some receipt is, ``failed`` while some receipt failed (a
retry or a confirmation settles it), ``done`` once every receipt is final (``done`` or
``not_applicable``). Receipts say what a system did, never what it held.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..identity.profiles import iso
from ..store import Tx
from ..store.database import placeholders

RECEIPT_STATUSES = frozenset({"done", "pending", "failed", "not_applicable"})
FINAL = frozenset({"done", "not_applicable"})
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

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id or None,
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "deadline": iso(self.deadline),
            "status": self.status,
            "finished_at": iso(self.finished_at),
            "receipts": [r.view() for r in self.receipts],
        }


def settled_status(receipts: tuple[Receipt, ...]) -> str:
    statuses = {r.status for r in receipts}
    if "failed" in statuses:
        return "failed"
    return "done" if statuses <= FINAL else "pending"


async def load(tx: Tx, erasure_id: str) -> Erasure | None:
    row = await tx.fetchone(f"SELECT {COLUMNS} FROM erasures WHERE id = ?", erasure_id)
    if row is None:
        return None
    rows = await tx.fetch(
        "SELECT system, status, items, detail, updated_at FROM erasure_receipts "
        "WHERE erasure_id = ? ORDER BY system",
        erasure_id,
    )
    eid, customer_id, requested_by, requested_at, deadline, status, finished_at = row
    receipts = tuple(Receipt(*r) for r in rows)
    return Erasure(
        eid, customer_id, requested_by, requested_at, deadline, status, finished_at, receipts
    )


async def of_customers(tx: Tx, customer_ids: list[str]) -> list[Erasure]:
    """Requests naming any of ``customer_ids``, oldest first."""
    if not customer_ids:
        return []
    rows = await tx.fetch(
        f"SELECT id FROM erasures WHERE customer_id IN ({placeholders(len(customer_ids))}) "
        "ORDER BY requested_at, id",
        *customer_ids,
    )
    found = [await load(tx, r[0]) for r in rows]
    return [e for e in found if e is not None]


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
