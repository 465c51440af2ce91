"""The plugin's own state, in SQLite under the plugin's ``data_dir``.

What the consumed events told us about each customer (language, time zone, last channel,
open conversation, whether surveys are allowed) and every survey from scheduled to answered.
One hub process owns this file: with several processes, enable the plugin in one only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, language TEXT, timezone TEXT, last_channel TEXT,
    open_conversation TEXT, surveys_allowed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS surveys (
    survey_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, trigger TEXT NOT NULL,
    status TEXT NOT NULL, due_at REAL NOT NULL, channel TEXT, conversation_id TEXT,
    order_id TEXT, resolved_by TEXT, agent TEXT, language TEXT, requested_at REAL,
    expires_at REAL, clarified INTEGER NOT NULL DEFAULT 0, score INTEGER, comment TEXT,
    themes TEXT, answer_channel TEXT, reason_due REAL, responded_at REAL);
CREATE INDEX IF NOT EXISTS surveys_customer ON surveys (customer_id, status);
CREATE INDEX IF NOT EXISTS surveys_due ON surveys (status, due_at);
CREATE TABLE IF NOT EXISTS counters (
    kind TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (kind, reason));
"""

PENDING = ("scheduled", "asked", "awaiting_reason")


@dataclass
class Survey:
    survey_id: str
    customer_id: str
    trigger: str
    status: str
    due_at: float
    channel: str | None = None
    conversation_id: str | None = None
    order_id: str | None = None
    resolved_by: str | None = None
    agent: str | None = None  # JSON of the contract's Agent
    language: str | None = None
    requested_at: float | None = None
    expires_at: float | None = None
    clarified: int = 0
    score: int | None = None
    comment: str | None = None
    themes: str | None = None  # JSON list
    answer_channel: str | None = None
    reason_due: float | None = None
    responded_at: float | None = None

    @property
    def agent_data(self) -> dict[str, Any] | None:
        return None if self.agent is None else dict(json.loads(self.agent))

    @property
    def theme_list(self) -> list[str]:
        return [] if self.themes is None else list(json.loads(self.themes))


COLUMNS = ", ".join(f.name for f in fields(Survey))


@dataclass
class CustomerState:
    customer_id: str
    language: str | None = None
    timezone: str | None = None
    last_channel: str | None = None
    open_conversation: str | None = None
    surveys_allowed: int = 0


class NpsStore:
    def __init__(self, db: aiosqlite.Connection):
        self.db = db

    @classmethod
    async def open(cls, path: Path) -> NpsStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        await db.executescript("PRAGMA journal_mode=WAL;" + SCHEMA)
        await db.commit()
        return cls(db)

    async def close(self) -> None:
        await self.db.close()

    async def customer(self, customer_id: str) -> CustomerState:
        cursor = await self.db.execute(
            "SELECT language, timezone, last_channel, open_conversation, surveys_allowed "
            "FROM customers WHERE customer_id = ?",
            (customer_id,),
        )
        row = await cursor.fetchone()
        return CustomerState(customer_id, *row) if row else CustomerState(customer_id)

    async def note(self, customer_id: str, **values: Any) -> None:
        """Remember what an event said about the customer (only the given columns change)."""
        names = list(values)
        await self.db.execute(
            f"INSERT INTO customers (customer_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' for _ in names)}) ON CONFLICT (customer_id) DO UPDATE "
            f"SET {', '.join(f'{n} = excluded.{n}' for n in names)}",
            (customer_id, *values.values()),
        )
        await self.db.commit()

    async def add(self, survey: Survey) -> bool:
        cursor = await self.db.execute(
            f"INSERT OR IGNORE INTO surveys ({COLUMNS}) VALUES ({', '.join('?' * 20)})",
            tuple(asdict(survey).values()),
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def update(self, survey_id: str, **values: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in values)
        await self.db.execute(
            f"UPDATE surveys SET {sets} WHERE survey_id = ?", (*values.values(), survey_id)
        )
        await self.db.commit()

    async def _surveys(self, where: str, *args: Any) -> list[Survey]:
        cursor = await self.db.execute(f"SELECT {COLUMNS} FROM surveys WHERE {where}", args)
        return [Survey(*row) for row in await cursor.fetchall()]

    async def pending(self, customer_id: str) -> Survey | None:
        found = await self._surveys(
            "customer_id = ? AND status IN (?, ?, ?) ORDER BY due_at DESC LIMIT 1",
            customer_id,
            *PENDING,
        )
        return found[0] if found else None

    async def last_asked(self, customer_id: str) -> float | None:
        cursor = await self.db.execute(
            "SELECT MAX(requested_at) FROM surveys WHERE customer_id = ?", (customer_id,)
        )
        row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def asked_between(self, start: float, end: float) -> int:
        cursor = await self.db.execute(
            "SELECT COUNT(*) FROM surveys WHERE requested_at >= ? AND requested_at < ?",
            (start, end),
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def due(self, now: float) -> list[Survey]:
        return await self._surveys("status = 'scheduled' AND due_at <= ? ORDER BY due_at", now)

    async def unanswered(self, now: float) -> list[Survey]:
        return await self._surveys("status = 'asked' AND expires_at <= ?", now)

    async def reason_overdue(self, now: float) -> list[Survey]:
        return await self._surveys("status = 'awaiting_reason' AND reason_due <= ?", now)

    async def requested(self, since: float, until: float) -> list[Survey]:
        return await self._surveys("requested_at >= ? AND requested_at <= ?", since, until)

    async def count(self, kind: str, reason: str) -> None:
        await self.db.execute(
            "INSERT INTO counters VALUES (?, ?, 1) "
            "ON CONFLICT (kind, reason) DO UPDATE SET count = count + 1",
            (kind, reason),
        )
        await self.db.commit()

    async def counters(self) -> dict[str, dict[str, int]]:
        cursor = await self.db.execute("SELECT kind, reason, count FROM counters")
        found: dict[str, dict[str, int]] = {}
        for kind, reason, count in await cursor.fetchall():
            found.setdefault(kind, {})[reason] = count
        return found

    async def erase(self, customer_ids: Iterable[str]) -> int:
        """Forget the customers; their scores stay in the counts, anonymous and uncommented."""
        ids = list(customer_ids)
        marks = ", ".join("?" for _ in ids)
        cursor = await self.db.execute(
            f"UPDATE surveys SET customer_id = '(erased)', comment = NULL, status = CASE WHEN "
            f"status IN ('scheduled', 'asked', 'awaiting_reason') THEN 'erased' ELSE status END "
            f"WHERE customer_id IN ({marks})",
            ids,
        )
        erased = cursor.rowcount
        cursor = await self.db.execute(f"DELETE FROM customers WHERE customer_id IN ({marks})", ids)
        await self.db.commit()
        return int(erased + cursor.rowcount)
