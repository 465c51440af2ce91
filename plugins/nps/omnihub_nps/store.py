"""The plugin's state in the hub's store (``nps_*`` tables, see ``schema.py``), shared by
every hub process: SQLite embedded, PostgreSQL for several processes.

Several hubs run the plugin at once, so every decision that must hold across them is made
in one transaction under a lock (``locked``: per customer, plus one hub-wide key for the
daily cap), and every change of a survey's state is a conditional transition
(``UPDATE … WHERE status = ?``) whose row count says whether this hub made it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import astuple
from typing import Any

from hub import PluginDatabase, Tx, placeholders

from .records import CUSTOMER_COLUMNS, PENDING, SURVEY_COLUMNS, CustomerState, Survey

COLUMNS = ", ".join(SURVEY_COLUMNS)
DAILY_CAP_KEY = "nps:daily_cap"


def customer_key(customer_id: str) -> str:
    return f"nps:customer:{customer_id}"


class NpsTables:
    """The plugin's queries on one connection or transaction."""

    def __init__(self, tx: Tx):
        self.tx = tx

    async def customer(self, customer_id: str) -> CustomerState:
        row = await self.tx.fetchone(
            f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM nps_customers WHERE customer_id = ?",
            customer_id,
        )
        return CustomerState(customer_id, *row) if row else CustomerState(customer_id)

    async def customers(self, ids: list[str]) -> list[CustomerState]:
        rows = await self.tx.fetch(
            f"SELECT customer_id, {', '.join(CUSTOMER_COLUMNS)} FROM nps_customers "
            f"WHERE customer_id IN ({placeholders(len(ids))})",
            *ids,
        )
        return [CustomerState(*row) for row in rows]

    async def note(self, customer_id: str, **values: Any) -> None:
        """Remember what an event said about the customer (only the given columns change)."""
        names = list(values)
        await self.tx.execute(
            f"INSERT INTO nps_customers (customer_id, {', '.join(names)}) "
            f"VALUES (?, {placeholders(len(names))}) ON CONFLICT (customer_id) DO UPDATE "
            f"SET {', '.join(f'{n} = excluded.{n}' for n in names)}",
            customer_id,
            *values.values(),
        )

    async def forget_customers(self, ids: list[str]) -> int:
        return await self.tx.execute(
            f"DELETE FROM nps_customers WHERE customer_id IN ({placeholders(len(ids))})", *ids
        )

    async def add(self, survey: Survey) -> bool:
        return (
            await self.tx.execute(
                f"INSERT INTO nps_surveys ({COLUMNS}) VALUES ({placeholders(len(SURVEY_COLUMNS))}) "
                "ON CONFLICT (survey_id) DO NOTHING",
                *astuple(survey),
            )
            == 1
        )

    async def transition(self, survey_id: str, expect: Mapping[str, Any], **values: Any) -> bool:
        """Change the survey only if it still is as ``expect`` says (a tuple: any of those
        values); True if this call changed it, False if another hub or event came first."""
        conditions, args = ["survey_id = ?"], [survey_id]
        for name, expected in expect.items():
            if expected is None:
                conditions.append(f"{name} IS NULL")
            elif isinstance(expected, tuple):
                conditions.append(f"{name} IN ({placeholders(len(expected))})")
                args += expected
            else:
                conditions.append(f"{name} = ?")
                args.append(expected)
        changed = await self.tx.execute(
            f"UPDATE nps_surveys SET {', '.join(f'{n} = ?' for n in values)} "
            f"WHERE {' AND '.join(conditions)}",
            *values.values(),
            *args,
        )
        return changed == 1

    async def surveys(self, where: str, *args: Any) -> list[Survey]:
        rows = await self.tx.fetch(f"SELECT {COLUMNS} FROM nps_surveys WHERE {where}", *args)
        return [Survey(*row) for row in rows]

    async def exists(self, survey_id: str) -> bool:
        return bool(await self.tx.fetch("SELECT 1 FROM nps_surveys WHERE survey_id = ?", survey_id))

    async def pending_all(self, customer_id: str) -> list[Survey]:
        where = f"customer_id = ? AND status IN ({placeholders(len(PENDING))}) ORDER BY due_at DESC"
        return await self.surveys(where, customer_id, *PENDING)

    async def pending(self, customer_id: str) -> Survey | None:
        found = await self.pending_all(customer_id)
        return found[0] if found else None

    async def last_asked(self, customer_id: str) -> float | None:
        row = await self.tx.fetchone(
            "SELECT MAX(requested_at) FROM nps_surveys WHERE customer_id = ?", customer_id
        )
        return None if row is None or row[0] is None else float(row[0])

    async def asked_between(self, start: float, end: float) -> int:
        row = await self.tx.fetchone(
            "SELECT COUNT(*) FROM nps_surveys WHERE requested_at >= ? AND requested_at < ?",
            start,
            end,
        )
        return int(row[0]) if row else 0

    async def move_surveys(self, survivor: str, absorbed: list[str]) -> int:
        return await self.tx.execute(
            "UPDATE nps_surveys SET customer_id = ? "
            f"WHERE customer_id IN ({placeholders(len(absorbed))})",
            survivor,
            *absorbed,
        )

    async def count(self, kind: str, reason: str) -> None:
        await self.tx.execute(
            "INSERT INTO nps_counters (kind, reason, count) VALUES (?, ?, 1) "
            "ON CONFLICT (kind, reason) DO UPDATE SET count = nps_counters.count + 1",
            kind,
            reason,
        )

    async def counters(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for kind, reason, count in await self.tx.fetch(
            "SELECT kind, reason, count FROM nps_counters"
        ):
            found.setdefault(kind, {})[reason] = int(count)
        return found

    async def erase(self, ids: list[str]) -> int:
        """Forget the customers; their scores stay in the counts, anonymous and uncommented."""
        erased = await self.tx.execute(
            "UPDATE nps_surveys SET customer_id = '(erased)', comment = NULL, question = NULL, "
            f"status = CASE WHEN status IN ({placeholders(len(PENDING))}) THEN 'erased' "
            f"ELSE status END WHERE customer_id IN ({placeholders(len(ids))})",
            *PENDING,
            *ids,
        )
        return erased + await self.forget_customers(ids)


class NpsStore:
    """Opens :class:`NpsTables` on the hub's database: ``locked`` for decisions,
    ``reading`` (and the shortcuts below) for single statements."""

    def __init__(self, db: PluginDatabase):
        self.db = db

    @asynccontextmanager
    async def locked(self, *customer_ids: str, daily_cap: bool = False) -> AsyncIterator[NpsTables]:
        """One transaction holding the customers' locks (and the daily cap's): no other
        hub decides about them until it ends. Never publish inside it."""
        keys = [customer_key(c) for c in customer_ids] + ([DAILY_CAP_KEY] if daily_cap else [])
        async with self.db.transaction() as tx:
            await tx.lock_keys(keys)
            yield NpsTables(tx)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[NpsTables]:
        async with self.db.connection() as tx:
            yield NpsTables(tx)

    async def customer(self, customer_id: str) -> CustomerState:
        async with self.reading() as tables:
            return await tables.customer(customer_id)

    async def note(self, customer_id: str, **values: Any) -> None:
        async with self.reading() as tables:
            await tables.note(customer_id, **values)

    async def pending(self, customer_id: str) -> Survey | None:
        async with self.reading() as tables:
            return await tables.pending(customer_id)

    async def transition(self, survey_id: str, expect: Mapping[str, Any], **values: Any) -> bool:
        async with self.reading() as tables:
            return await tables.transition(survey_id, expect, **values)

    async def count(self, kind: str, reason: str) -> None:
        async with self.reading() as tables:
            await tables.count(kind, reason)

    async def counters(self) -> dict[str, dict[str, int]]:
        async with self.reading() as tables:
            return await tables.counters()

    async def surveys(self, where: str, *args: Any) -> list[Survey]:
        async with self.reading() as tables:
            return await tables.surveys(where, *args)

    async def due(self, now: float) -> list[Survey]:
        """Scheduled surveys now due, and claims whose hub went away before finishing."""
        return await self.surveys(
            "(status = 'scheduled' AND due_at <= ?) OR (status = 'asking' AND lease_until <= ?)"
            " ORDER BY due_at",
            now,
            now,
        )

    async def unanswered(self, now: float) -> list[Survey]:
        return await self.surveys("status = 'asked' AND expires_at <= ?", now)

    async def reason_overdue(self, now: float) -> list[Survey]:
        return await self.surveys("status = 'awaiting_reason' AND reason_due <= ?", now)

    async def requested(self, since: float, until: float) -> list[Survey]:
        return await self.surveys("requested_at >= ? AND requested_at <= ?", since, until)

    async def erase(self, customer_ids: Iterable[str]) -> int:
        ids = list(customer_ids)
        async with self.locked(*ids) as tables:
            return await tables.erase(ids)
