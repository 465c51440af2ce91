"""Who read whose personal data, and when: one row per API read, never the data itself.

Rows hold the token's name, an action word, the customer id and a detail that names no
one (e.g. the kind of identifier a lookup used, never its value). When a customer is
erased their rows stay as evidence of the reads: the customer id makes way for the
erasure's id (in ``detail``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..identity.profiles import iso
from ..store import SqlStore, Tx
from ..store.database import placeholders


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    customer_id: str | None
    detail: str | None

    def view(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "customer_id": self.customer_id,
            "detail": self.detail,
        }


class AuditLog:
    def __init__(self, store: SqlStore):
        self.store = store

    async def record(
        self, actor: str, action: str, customer_id: str | None = None, detail: str | None = None
    ) -> None:
        async with self.store.db.connection() as tx:
            await tx.execute(
                "INSERT INTO audit_log (at, actor, action, customer_id, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                time.time(),
                actor,
                action,
                customer_id,
                detail,
            )

    async def entries(self, customer_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first; all customers when ``customer_id`` is None."""
        async with self.store.db.connection() as tx:
            return await entries_of(tx, [customer_id] if customer_id else None, limit)


async def entries_of(tx: Tx, customer_ids: list[str] | None, limit: int) -> list[AuditEntry]:
    where, args = "", list[Any]()
    if customer_ids is not None:
        where, args = f"WHERE customer_id IN ({placeholders(len(customer_ids))})", customer_ids
    rows = await tx.fetch(
        f"SELECT at, actor, action, customer_id, detail FROM audit_log {where} "
        "ORDER BY at DESC, seq DESC LIMIT ?",
        *args,
        limit,
    )
    return [AuditEntry(*row) for row in rows]


async def rekey_erased(tx: Tx, customer_ids: list[str], erasure_id: str) -> int:
    """Keep the reads of an erased person as evidence without naming them."""
    if not customer_ids:
        return 0
    return await tx.execute(
        f"UPDATE audit_log SET customer_id = NULL, detail = ? "
        f"WHERE customer_id IN ({placeholders(len(customer_ids))})",
        f"erasure {erasure_id}",
        *customer_ids,
    )
