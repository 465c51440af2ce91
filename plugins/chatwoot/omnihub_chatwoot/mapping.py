"""Which Chatwoot conversation a hub conversation was handed to, and whether it still is.

Chatwoot itself is the source of truth: each Chatwoot conversation the plugin opens carries
``omnihub_conversation_id`` and ``omnihub_customer_id`` in its ``additional_attributes``,
which Chatwoot repeats in every webhook, so the webhook side needs no state at all and a
lost table is rebuilt from Chatwoot (the contact's conversations) at the next handoff.

This table is the fast path for the hub → Chatwoot direction: "is this customer message
for an agent?" must not cost an API call per message. It is SQLite in the plugin's
``data_dir`` (WAL, short transactions, ``INSERT … ON CONFLICT``), so several hub processes
on one host share it safely; hub processes on several hosts need a shared ``data_dir`` or
the core change proposed in the README.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS handoffs (
    conversation_id TEXT PRIMARY KEY,          -- the hub's
    customer_id TEXT NOT NULL,
    chatwoot_conversation_id INTEGER NOT NULL, -- Chatwoot's display id (used in its URLs)
    state TEXT NOT NULL,                       -- offered | active | returned
    last_handoff_event TEXT,                   -- the handoff whose note was posted
    updated_at REAL NOT NULL
)
"""
LIVE = ("offered", "active")


@dataclass(frozen=True)
class Handoff:
    conversation_id: str
    customer_id: str
    chatwoot_conversation_id: int
    state: str
    last_handoff_event: str | None

    @property
    def live(self) -> bool:
        return self.state in LIVE


class HandoffTable:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, isolation_level=None)

    async def get(self, conversation_id: str) -> Handoff | None:
        return await asyncio.to_thread(self._get, conversation_id)

    def _get(self, conversation_id: str) -> Handoff | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT conversation_id, customer_id, chatwoot_conversation_id, state, "
                "last_handoff_event FROM handoffs WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
        return None if row is None else Handoff(*row)

    async def save(
        self,
        conversation_id: str,
        customer_id: str,
        chatwoot_conversation_id: int,
        state: str,
        last_handoff_event: str | None = None,
    ) -> None:
        await asyncio.to_thread(
            self._execute,
            "INSERT INTO handoffs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO "
            "UPDATE SET chatwoot_conversation_id = excluded.chatwoot_conversation_id, "
            "state = excluded.state, updated_at = excluded.updated_at, last_handoff_event = "
            "COALESCE(excluded.last_handoff_event, handoffs.last_handoff_event)",
            (
                conversation_id,
                customer_id,
                chatwoot_conversation_id,
                state,
                last_handoff_event,
                time.time(),
            ),
        )

    async def set_state(self, conversation_id: str, state: str) -> bool:
        """Move a live handoff to ``state``; False if it was not live (nothing changed)."""
        changed = await asyncio.to_thread(
            self._execute,
            "UPDATE handoffs SET state = ?, updated_at = ? "
            "WHERE conversation_id = ? AND state IN ('offered', 'active')",
            (state, time.time(), conversation_id),
        )
        return changed > 0

    async def noted(self, conversation_id: str, handoff_event: str) -> None:
        """The note of ``handoff_event`` is posted: a redelivery must not post it again."""
        await asyncio.to_thread(
            self._execute,
            "UPDATE handoffs SET last_handoff_event = ? WHERE conversation_id = ?",
            (handoff_event, conversation_id),
        )

    async def set_state_from(self, conversation_id: str, current: str, state: str) -> None:
        await asyncio.to_thread(
            self._execute,
            "UPDATE handoffs SET state = ?, updated_at = ? WHERE conversation_id = ? AND state = ?",
            (state, time.time(), conversation_id, current),
        )

    async def forget_customers(self, customer_ids: tuple[str, ...]) -> int:
        marks = ", ".join("?" for _ in customer_ids)
        return await asyncio.to_thread(
            self._execute, f"DELETE FROM handoffs WHERE customer_id IN ({marks})", customer_ids
        )

    def _execute(self, sql: str, args: tuple[object, ...]) -> int:
        with closing(self._connect()) as db:
            return db.execute(sql, args).rowcount
