"""SQLite behind the SQL facade: one aiosqlite connection in WAL mode.

SQLite has one writer at a time per file. Within a process the connection is shared, so
a lock keeps one transaction (or statement) on it at a time; across processes
``BEGIN IMMEDIATE`` takes the file's write lock up front and ``busy_timeout`` waits for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from .base import StoreUnavailable
from .database import Row


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.split("://", 1)[1]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise ValueError(f"store.url: expected sqlite:///path.db, got {url!r}")
    return rest[1:]


class SqliteTx:
    dialect: Literal["sqlite"] = "sqlite"
    for_update = ""

    def __init__(self, db: aiosqlite.Connection):
        self._db = db

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._db.execute(sql, args)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        # One hop to the connection's thread (a cursor's execute and fetch are three).
        return list(await self._db.execute_fetchall(sql, args))

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        rows = list(await self._db.execute_fetchall(sql, args))
        return tuple(rows[0]) if rows else None

    async def lock_keys(self, keys: Iterable[str]) -> None:
        """Nothing to do: the write transaction already excludes every other writer."""


class SqliteDatabase:
    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, url: str):
        self.path = sqlite_path(url)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreUnavailable("store is not open")
        return self._db

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await self.db.execute("PRAGMA busy_timeout=5000")
            await self._enter_wal_mode()
            await self.db.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await self.close()  # its thread would otherwise keep the process alive
            raise

    async def _enter_wal_mode(self) -> None:
        # Switching a fresh file to WAL takes an exclusive lock and SQLite does not call
        # the busy handler for it: hubs opening the file together retry instead.
        deadline = time.monotonic() + 5.0
        while True:
            try:
                await self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self.db)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SqliteTx]:
        async with self._lock:
            yield SqliteTx(self.db)
