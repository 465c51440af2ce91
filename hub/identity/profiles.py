"""Reading profiles: the 360° view, lookups, the timeline, merge history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..store import Tx
from .graph import survivors
from .merges import MERGE_COLUMNS, MergeRecord
from .policy import Key
from .traits import read_traits


def iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


@dataclass(frozen=True)
class Cursor:
    """A timeline position: entries strictly before (time, seq)."""

    time: float
    seq: int

    def encode(self) -> str:
        return f"{self.time!r}~{self.seq}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """``<epoch>~<seq>`` (from a ``next`` link) or an ISO 8601 time."""
        if "~" in text:
            time_text, seq_text = text.split("~", 1)
            return cls(float(time_text), int(seq_text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-23T10:00:00Z")
        return cls(moment.timestamp(), -1)


async def surviving_id(tx: Tx, customer_id: str) -> str | None:
    """For reads: no row lock."""
    return (await survivors(tx, [customer_id], lock=False)).get(customer_id)


async def merged_into(tx: Tx, customer_id: str) -> list[str]:
    """The ids that now redirect to ``customer_id`` (merges keep redirects one hop deep)."""
    rows = await tx.fetch("SELECT id FROM customers WHERE merged_into = ? ORDER BY id", customer_id)
    return [str(row[0]) for row in rows]


async def find(tx: Tx, key: Key) -> str | None:
    # One round trip in the common case: the identifier's profile is live.
    row = await tx.fetchone(
        "SELECT i.customer_id, c.merged_into FROM identifiers AS i "
        "JOIN customers AS c ON c.id = i.customer_id WHERE i.kind = ? AND i.value = ?",
        key.kind,
        key.value,
    )
    if row is None:
        return None
    return str(row[0]) if row[1] is None else await surviving_id(tx, row[1])


async def identifiers_of(tx: Tx, customer_id: str) -> list[tuple[str, str, float]]:
    return [
        (kind, value, first_seen)
        for kind, value, first_seen in await tx.fetch(
            "SELECT kind, value, first_seen FROM identifiers WHERE customer_id = ? "
            "ORDER BY kind, value",
            customer_id,
        )
    ]


async def timeline(
    tx: Tx, customer_id: str, *, limit: int, before: Cursor | None = None
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """Newest first; the cursor of the next page, if there may be one."""
    where, args = "customer_id = ?", list[Any]([customer_id])
    if before is not None:
        where += " AND (time < ? OR (time = ? AND seq < ?))"
        args += [before.time, before.time, before.seq]
    rows = await tx.fetch(
        f"SELECT seq, time, body FROM timeline WHERE {where} ORDER BY time DESC, seq DESC LIMIT ?",
        *args,
        limit,
    )
    events = [json.loads(body) for _, _, body in rows]
    more = Cursor(rows[-1][1], rows[-1][0]) if len(rows) == limit else None
    return events, more


async def last_time(tx: Tx, customer_id: str, event_type: str, channel: str) -> float | None:
    row = await tx.fetchone(
        "SELECT max(time) FROM timeline WHERE customer_id = ? AND type = ? AND channel = ?",
        customer_id,
        event_type,
        channel,
    )
    return None if row is None else row[0]


async def merges_of(tx: Tx, customer_id: str) -> list[MergeRecord]:
    rows = await tx.fetch(
        f"SELECT {MERGE_COLUMNS} FROM merges WHERE surviving_id = ? OR merged_id = ? ORDER BY at",
        customer_id,
        customer_id,
    )
    return [MergeRecord.from_row(row) for row in rows]


def merge_view(record: MergeRecord) -> dict[str, Any]:
    via = record.identifier
    return {
        "merge_id": record.id,
        "surviving_id": record.surviving_id,
        "merged_id": record.merged_id,
        "rule": record.rule,
        "identifier": {"kind": via.kind, "value": via.value} if via else None,
        "event": record.event_key,
        "at": iso(record.at),
        "undone_at": iso(record.undone_at),
        "undo_reason": record.undo_reason,
    }


async def profile(tx: Tx, customer_id: str) -> dict[str, Any] | None:
    """The 360° view of a live profile (callers resolve merged ids first)."""
    row = await tx.fetchone(
        "SELECT id, created_at, updated_at FROM customers WHERE id = ? AND merged_into IS NULL",
        customer_id,
    )
    if row is None:
        return None
    traits = await read_traits(tx, customer_id)
    merged_ids = await merged_into(tx, customer_id)
    count = await tx.fetchone("SELECT count(*) FROM timeline WHERE customer_id = ?", customer_id)
    return {
        "id": customer_id,
        "created_at": iso(row[1]),
        "updated_at": iso(row[2]),
        "identifiers": [
            {"kind": kind, "value": value, "first_seen": iso(seen)}
            for kind, value, seen in await identifiers_of(tx, customer_id)
        ],
        "traits": {
            key: {"value": t.value, "source": t.source, "observed_at": iso(t.observed_at)}
            for key, t in sorted(traits.items())
        },
        "consent": {},
        "conversations": await _open_conversations(tx, customer_id),
        "last_nps": await _last_nps(tx, customer_id),
        "merged_ids": merged_ids,
        "merges": [merge_view(m) for m in await merges_of(tx, customer_id)],
        "timeline": {"count": int(count[0]) if count else 0},
    }


async def _open_conversations(tx: Tx, customer_id: str) -> list[dict[str, Any]]:
    rows = await tx.fetch(
        "SELECT body FROM timeline WHERE customer_id = ? AND type IN "
        "('conversation.opened', 'conversation.handoff', 'conversation.assigned', "
        "'conversation.closed') ORDER BY time, seq",
        customer_id,
    )
    conversations: dict[str, dict[str, Any]] = {}
    for (body,) in rows:
        event = json.loads(body)
        data = event.get("data") or {}
        cid = str(data.get("conversation_id"))
        current = conversations.setdefault(cid, {"id": cid, "opened_at": event["time"]})
        current["channel"] = event.get("channel") or current.get("channel")
        current["controller"] = data.get("to_controller", data.get("controller")) or current.get(
            "controller"
        )
        current["updated_at"] = event["time"]
        current["status"] = "closed" if event["type"] == "conversation.closed" else "open"
        if data.get("agent"):
            current["agent"] = data["agent"]
    return [c for c in conversations.values() if c["status"] == "open"]


async def _last_nps(tx: Tx, customer_id: str) -> dict[str, Any] | None:
    row = await tx.fetchone(
        "SELECT body FROM timeline WHERE customer_id = ? AND type = 'survey.responded' "
        "ORDER BY time DESC, seq DESC LIMIT 1",
        customer_id,
    )
    if row is None:
        return None
    event = json.loads(row[0])
    data = event["data"]
    return {
        "score": data["score"],
        "category": data.get("category"),
        "comment": data.get("comment"),
        "channel": event.get("channel"),
        "responded_at": event["time"],
    }
