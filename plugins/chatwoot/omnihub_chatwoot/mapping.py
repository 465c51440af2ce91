"""Which Chatwoot conversation a hub conversation was handed to, and whether it still is.

The table ``chatwoot_handoffs`` (``schema.py``) lives in the hub's store, so every hub
process sees one mapping: a webhook any process receives finds what another created.
``state`` is ``opening`` while a process holds the claim to open the Chatwoot
conversation (no Chatwoot id yet), then ``offered`` or ``active`` while the desk has it,
``returned`` once control went back.

Chatwoot stays the source of truth: each conversation the plugin opens carries
``omnihub_conversation_id`` and ``omnihub_customer_id`` in its ``additional_attributes``,
which every webhook repeats, and a lost row is found again in Chatwoot (the contact's
conversations) at the next handoff. The table is the fast path for "is this customer
message for an agent?", which must not cost an API call per message.

Every statement is short and no transaction awaits anything but the store (on SQLite the
hub's one connection is held for the length of a transaction).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hub import PluginDatabase, placeholders

LIVE = ("offered", "active")
COLUMNS = "conversation_id, customer_id, chatwoot_conversation_id, state, last_handoff_event"


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


@dataclass(frozen=True)
class Claim:
    """What :meth:`HandoffTable.claim` found: the claim is ``mine``, or the conversation
    is ``mapped`` already, or neither (another process is opening it)."""

    mine: bool = False
    mapped: Handoff | None = None


class HandoffTable:
    def __init__(self, db: PluginDatabase, clock: Callable[[], float] = time.time):
        self.db, self.clock = db, clock  # the clock of ``updated_at`` and of claims' leases

    async def get(self, conversation_id: str) -> Handoff | None:
        """The mapping, once the Chatwoot conversation exists (a claim is not one)."""
        async with self.db.connection() as tx:
            row = await tx.fetchone(
                f"SELECT {COLUMNS} FROM chatwoot_handoffs "
                "WHERE conversation_id = ? AND chatwoot_conversation_id IS NOT NULL",
                conversation_id,
            )
        return None if row is None else _handoff(row)

    async def claim(
        self, conversation_id: str, customer_id: str, token: str, lease: float
    ) -> Claim:
        """Claim the opening of the conversation in Chatwoot, unless it is mapped already or
        another process's claim is still within its lease. One short transaction: the
        primary key decides between processes (the insert's row count), and an expired claim
        passes to whoever's conditional update changes it."""
        now = self.clock()
        async with self.db.transaction() as tx:
            if await tx.execute(
                "INSERT INTO chatwoot_handoffs (conversation_id, customer_id, state, "
                "claimed_by, claim_until, updated_at) VALUES (?, ?, 'opening', ?, ?, ?) "
                "ON CONFLICT (conversation_id) DO NOTHING",
                conversation_id,
                customer_id,
                token,
                now + lease,
                now,
            ):
                return Claim(mine=True)
            if await tx.execute(
                "UPDATE chatwoot_handoffs SET claimed_by = ?, claim_until = ?, updated_at = ? "
                "WHERE conversation_id = ? AND chatwoot_conversation_id IS NULL "
                "AND claim_until <= ?",
                token,
                now + lease,
                now,
                conversation_id,
                now,
            ):
                return Claim(mine=True)
            row = await tx.fetchone(
                f"SELECT {COLUMNS} FROM chatwoot_handoffs WHERE conversation_id = ?",
                conversation_id,
            )
        # No row: erased between the statements, and the next attempt claims it.
        return Claim(mapped=_handoff(row) if row is not None and row[2] is not None else None)

    async def settle(
        self, conversation_id: str, token: str, chatwoot_conversation_id: int, state: str
    ) -> bool:
        """Record the conversation the claim opened; False if the claim is no longer ours."""
        async with self.db.connection() as tx:
            changed = await tx.execute(
                "UPDATE chatwoot_handoffs SET chatwoot_conversation_id = ?, state = ?, "
                "claimed_by = NULL, claim_until = NULL, updated_at = ? "
                "WHERE conversation_id = ? AND claimed_by = ?",
                chatwoot_conversation_id,
                state,
                self.clock(),
                conversation_id,
                token,
            )
        return changed == 1

    async def release(self, conversation_id: str, token: str) -> None:
        """Give up a claim whose opening failed, so a retry need not wait for its lease."""
        async with self.db.connection() as tx:
            await tx.execute(
                "DELETE FROM chatwoot_handoffs WHERE conversation_id = ? AND claimed_by = ? "
                "AND chatwoot_conversation_id IS NULL",
                conversation_id,
                token,
            )

    async def set_state(self, conversation_id: str, state: str) -> bool:
        """Move a live handoff to ``state``; False if it was not live (nothing changed)."""
        return await self._update(
            "state = ?, updated_at = ? WHERE conversation_id = ? AND state IN (?, ?)",
            state,
            self.clock(),
            conversation_id,
            *LIVE,
        )

    async def set_state_from(self, conversation_id: str, current: str, state: str) -> bool:
        return await self._update(
            "state = ?, updated_at = ? WHERE conversation_id = ? AND state = ?",
            state,
            self.clock(),
            conversation_id,
            current,
        )

    async def reopen(self, conversation_id: str, state: str) -> bool:
        """A mapped conversation is with the desk again (``offered`` or ``active``)."""
        return await self._update(
            "state = ?, updated_at = ? WHERE conversation_id = ? "
            "AND chatwoot_conversation_id IS NOT NULL",
            state,
            self.clock(),
            conversation_id,
        )

    async def noted(self, conversation_id: str, handoff_event: str) -> None:
        """The note of ``handoff_event`` is posted: a redelivery must not post it again."""
        await self._update(
            "last_handoff_event = ? WHERE conversation_id = ?", handoff_event, conversation_id
        )

    async def forget_customers(self, customer_ids: tuple[str, ...]) -> int:
        marks = placeholders(len(customer_ids))
        async with self.db.connection() as tx:
            return await tx.execute(
                f"DELETE FROM chatwoot_handoffs WHERE customer_id IN ({marks})", *customer_ids
            )

    async def _update(self, assignments_and_where: str, *args: object) -> bool:
        async with self.db.connection() as tx:
            changed = await tx.execute(
                f"UPDATE chatwoot_handoffs SET {assignments_and_where}", *args
            )
        return changed > 0


def _handoff(row: Sequence[Any]) -> Handoff:
    conversation_id, customer_id, chatwoot_id, state, last_event = row
    return Handoff(conversation_id, customer_id, int(chatwoot_id), state, last_event)
