"""Conversation rows: one open conversation per customer, continued across channels."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ..identity.profiles import iso
from ..store import Tx

COLUMNS = (
    "id, customer_id, status, controller, agent, last_channel, opened_at, updated_at, "
    "closed_at, offer_to, offer_expires_at"
)


@dataclass(frozen=True)
class Conversation:
    id: str
    customer_id: str
    status: str  # open | closed
    controller: str  # bot | human | none
    agent: dict[str, Any] | None
    last_channel: str | None
    opened_at: float
    updated_at: float
    closed_at: float | None = None
    offer_to: str | None = None
    offer_expires_at: float | None = None

    @classmethod
    def from_row(cls, row: Any) -> Conversation:
        values = list(row)
        values[4] = json.loads(values[4]) if values[4] else None
        return cls(*values)

    def view(self) -> dict[str, Any]:
        offer = None
        if self.offer_to:
            offer = {"to": self.offer_to, "expires_at": iso(self.offer_expires_at)}
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "status": self.status,
            "controller": self.controller,
            "agent": self.agent,
            "last_channel": self.last_channel,
            "opened_at": iso(self.opened_at),
            "updated_at": iso(self.updated_at),
            "closed_at": iso(self.closed_at),
            "offer": offer,
        }


def new_conversation_id() -> str:
    return "conv_" + uuid.uuid4().hex


async def open_of(tx: Tx, customer_id: str) -> Conversation | None:
    row = await tx.fetchone(
        f"SELECT {COLUMNS} FROM conversations WHERE customer_id = ? AND status = 'open' "
        f"ORDER BY updated_at DESC LIMIT 1{tx.for_update}",
        customer_id,
    )
    return None if row is None else Conversation.from_row(row)


async def get(tx: Tx, conversation_id: str) -> Conversation | None:
    row = await tx.fetchone(f"SELECT {COLUMNS} FROM conversations WHERE id = ?", conversation_id)
    return None if row is None else Conversation.from_row(row)


async def insert(tx: Tx, conversation: Conversation) -> None:
    c = conversation
    await tx.execute(
        f"INSERT INTO conversations ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        c.id,
        c.customer_id,
        c.status,
        c.controller,
        json.dumps(c.agent) if c.agent else None,
        c.last_channel,
        c.opened_at,
        c.updated_at,
        c.closed_at,
        c.offer_to,
        c.offer_expires_at,
    )


async def update(tx: Tx, conversation_id: str, **fields: Any) -> None:
    if "agent" in fields:
        fields["agent"] = json.dumps(fields["agent"]) if fields["agent"] else None
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await tx.execute(
        f"UPDATE conversations SET {assignments} WHERE id = ?", *fields.values(), conversation_id
    )


async def listing(
    tx: Tx, *, status: str | None, controller: str | None, limit: int
) -> list[Conversation]:
    where, args = [], []
    for column, value in (("status", status), ("controller", controller)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = await tx.fetch(
        f"SELECT {COLUMNS} FROM conversations {clause}ORDER BY updated_at DESC LIMIT ?",
        *args,
        limit,
    )
    return [Conversation.from_row(row) for row in rows]


async def messages(tx: Tx, conversation_id: str) -> list[dict[str, Any]]:
    """Every event of the conversation, from every channel, in time order."""
    rows = await tx.fetch(
        "SELECT body FROM timeline WHERE conversation_id = ? ORDER BY time, seq",
        conversation_id,
    )
    return [json.loads(body) for (body,) in rows]
