"""Fresh databases for the identity benchmark, bulk seeding, and the raw-driver baselines.

Seeding goes around the hub (COPY on PostgreSQL, ``executemany`` on SQLite): it is the
setting of the benchmark, not what it measures.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from . import identity_data as data

CHUNK = 50_000  # profiles per seeding transaction / COPY batch
LOOKUP_SQL = "SELECT customer_id FROM identifiers WHERE kind = {} AND value = {}"
SCRATCH_SQL = "CREATE TABLE bench_scratch (id TEXT PRIMARY KEY, customer_id TEXT, at {})"
SCRATCH_INSERT = "INSERT INTO bench_scratch (id, customer_id, at) VALUES ({}, {}, {})"


@asynccontextmanager
async def postgres_database(server: str, keep: bool) -> AsyncIterator[str]:
    """``CREATE DATABASE omnihub_bench_<pid>`` on ``server``; dropped afterwards."""
    name = f"omnihub_bench_{os.getpid()}"
    admin = await asyncpg.connect(server.rstrip("/") + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.rstrip("/") + "/" + name
    finally:
        if keep:
            print(f"  database kept: {name}")
        else:
            admin = await asyncpg.connect(server.rstrip("/") + "/postgres")
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def _chunks(profiles: int) -> Iterator[range]:
    for start in range(0, profiles, CHUNK):
        yield range(start, min(start + CHUNK, profiles))


def _customers(ids: Iterable[int]) -> Iterator[tuple[str, float, float]]:
    for i in ids:
        at = data.SEED_TIME + i % 86_400
        yield data.customer_id(i), at, at


def _identifiers(ids: Iterable[int]) -> Iterator[tuple[str, str, str, float]]:
    for i in ids:
        yield from data.identifier_rows(i)


def _traits(ids: Iterable[int]) -> Iterator[tuple[str, str, str, str, float, float]]:
    for i in ids:
        yield from data.trait_rows(i)


TABLES: list[tuple[str, list[str], Any]] = [
    ("customers", ["id", "created_at", "updated_at"], _customers),
    ("identifiers", ["kind", "value", "customer_id", "first_seen"], _identifiers),
    ("traits", ["customer_id", "key", "value", "source", "observed_at", "updated_at"], _traits),
]


async def seed_postgres(url: str, profiles: int) -> float:
    """COPY the population in; VACUUM ANALYZE, as a settled production database would be."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        for chunk in _chunks(profiles):
            async with conn.transaction():
                for table, columns, rows in TABLES:
                    await conn.copy_records_to_table(table, records=rows(chunk), columns=columns)
        await conn.execute(SCRATCH_SQL.format("DOUBLE PRECISION"))
        await conn.execute("VACUUM ANALYZE customers, identifiers, traits")
    finally:
        await conn.close()
    return time.perf_counter() - started


def _seed_sqlite_sync(path: str, profiles: int, analyze: bool) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=OFF")  # this connection only, for the seed
        for chunk in _chunks(profiles):
            db.execute("BEGIN IMMEDIATE")
            for table, columns, rows in TABLES:
                marks = ", ".join("?" * len(columns))
                db.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows(chunk)
                )
            db.execute("COMMIT")
        db.execute(SCRATCH_SQL.format("REAL"))
        if analyze:
            db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


async def seed_sqlite(path: Path, profiles: int, *, analyze: bool) -> float:
    """Without ``analyze`` the file has no planner statistics, as the hub leaves it."""
    started = time.perf_counter()
    await asyncio.to_thread(_seed_sqlite_sync, str(path), profiles, analyze)
    return time.perf_counter() - started


class RawDriver:
    """The floor: what the bare driver needs for the same reads and writes."""

    async def customer_of(self, kind: str, value: str) -> str | None:
        raise NotImplementedError

    async def transact(self, event_id: str, kind: str, value: str) -> None:
        """One transaction: the SELECT by primary key and one INSERT into a scratch table."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class RawPostgres(RawDriver):
    """A dedicated connection with a prepared statement for lookups; for transactions a
    pool as large as the hub's (10), shared by the same number of tasks."""

    def __init__(self, conn: asyncpg.Connection, pool: asyncpg.Pool, lookup: Any):
        self.conn, self.pool, self.lookup = conn, pool, lookup

    @classmethod
    async def open(cls, url: str, pool_size: int) -> RawPostgres:
        conn = await asyncpg.connect(url)
        lookup = await conn.prepare(LOOKUP_SQL.format("$1", "$2"))
        pool = await asyncpg.create_pool(url, min_size=pool_size, max_size=pool_size)
        return cls(conn, pool, lookup)

    async def customer_of(self, kind: str, value: str) -> str | None:
        result: str | None = await self.lookup.fetchval(kind, value)
        return result

    async def transact(self, event_id: str, kind: str, value: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            found = await conn.fetchval(LOOKUP_SQL.format("$1", "$2"), kind, value)
            await conn.execute(
                SCRATCH_INSERT.format("$1", "$2", "$3"), event_id, found, time.time()
            )

    async def close(self) -> None:
        await self.conn.close()
        await self.pool.close()


class RawSqlite(RawDriver):
    """One ``sqlite3`` connection in WAL mode with ``synchronous=NORMAL``, its statements on
    the event loop and one transaction at a time: the same shape as the hub's SQLite store
    (without its group commit)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> RawSqlite:
        db = sqlite3.connect(str(path), isolation_level=None, timeout=5.0)
        db.execute("PRAGMA synchronous=NORMAL")
        return cls(db)

    async def customer_of(self, kind: str, value: str) -> str | None:
        rows = self.db.execute(LOOKUP_SQL.format("?", "?"), (kind, value)).fetchall()
        return next((str(r[0]) for r in rows), None)

    async def transact(self, event_id: str, kind: str, value: str) -> None:
        async with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                rows = self.db.execute(LOOKUP_SQL.format("?", "?"), (kind, value)).fetchall()
                found = next((r[0] for r in rows), None)
                self.db.execute(
                    SCRATCH_INSERT.format("?", "?", "?"), (event_id, found, time.time())
                )
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    async def close(self) -> None:
        self.db.close()
