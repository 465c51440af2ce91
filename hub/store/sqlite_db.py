"""SQLite behind the SQL facade: one ``sqlite3`` connection in WAL mode, on the event loop.

The hub's statements are short indexed reads and writes: tens of microseconds each in
SQLite. Handing each to a worker thread (aiosqlite) cost more than the statement itself:
a queue put, a thread wake-up, the GIL changing hands and a self-pipe write to wake the
loop, per statement. The benchmark put that at two thirds of the hub's CPU per event, so
statements run on the loop thread, directly.

What could block the loop is waiting for a lock, so the connection never waits
(``busy_timeout`` 0): ``BEGIN IMMEDIATE`` and autocommit writes that find another
process's write lock retry after an ``asyncio.sleep`` until ``busy_timeout`` seconds have
passed. Inside a write transaction the file's write lock is held and WAL readers never
block, so the statements of a transaction run straight through. Within a process the
connection is shared: a lock keeps one transaction (or statement) on it at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from .base import StoreUnavailable
from .database import Row

T = TypeVar("T")

MAX_GROUP = 500  # transactions per COMMIT at most, to bound what one COMMIT writes
# Loop iterations a group stays open for others to join. A busy hub's loop turns for every
# confirm and delivery, so committing after one iteration made groups of one or two; an
# idle loop turns in microseconds, so waiting a few costs no latency there.
GROUP_ITERATIONS = 4
# ... unless another process shares the file: it waits for our write lock meanwhile, so
# after our BEGIN found the lock taken, groups commit after one iteration for a while.
SHARED_FOR = 5.0  # seconds


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.split("://", 1)[1]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise ValueError(f"store.url: expected sqlite:///path.db, got {url!r}")
    return rest[1:]


def _busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _unless_busy(run: Callable[[], T], timeout: float) -> T:
    """``run()``, retried while another process holds the lock: at once (the next loop
    iteration; uvloop rounds a shorter sleep to none), then every millisecond.

    The other process holds the write lock for one group commit, about a millisecond. A
    pause growing to 5 ms left the lock idle most of the wait: two hubs on one file did
    17-20 % more events/s with 1 ms (bench d2, run 2026-11-24); a failed attempt costs
    microseconds.
    """
    deadline, pause = time.monotonic() + timeout, 0.0005
    while True:
        try:
            return run()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = 0.001


class SqliteTx:
    dialect: Literal["sqlite"] = "sqlite"
    for_update = ""

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float):
        self._conn = conn
        self._busy_timeout = busy_timeout

    async def _run(self, run: Callable[[], T]) -> T:
        if self._conn.in_transaction:  # the write lock is ours: nothing to wait for
            return run()
        return await _unless_busy(run, self._busy_timeout)

    async def execute(self, sql: str, *args: Any) -> int:
        return await self._run(lambda: self._conn.execute(sql, args).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)  # a generator could not be run again after a busy retry
        await self._run(lambda: self._conn.executemany(sql, rows))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._run(lambda: self._conn.execute(sql, args).fetchall())

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = await self._run(lambda: self._conn.execute(sql, args).fetchone())
        return row

    async def lock_keys(self, keys: Iterable[str]) -> None:
        """Nothing to do: the write transaction already excludes every other writer."""


class _Group:
    """Transactions that share one COMMIT (group commit)."""

    def __init__(self) -> None:
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.members = 0
        self.flush_due = False


class SqliteDatabase:
    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, url: str, *, busy_timeout: float = 5.0):
        self.path = sqlite_path(url)
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._queued = 0  # callers waiting for the lock
        self._group: _Group | None = None  # the write transaction now open, if any
        self._shared_at = -SHARED_FOR  # monotonic time our BEGIN last found the lock taken

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("store is not open")
        return self._conn

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level None): transactions are the explicit BEGIN below.
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=0)
        try:
            # Switching a fresh file to WAL takes an exclusive lock: hubs opening the file
            # together retry.
            await _unless_busy(
                lambda: self.conn.execute("PRAGMA journal_mode=WAL"), self.busy_timeout
            )
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            async with self._lock:
                if self._group is not None:
                    self._commit(self._group)
                self._conn.close()
                self._conn = None

    async def _acquire(self) -> None:
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        """A savepoint in the group's write transaction; returns once that committed.

        A COMMIT writes every page the transaction touched to the WAL: most of what a
        short transaction costs. Transactions run within a few loop iterations (or queued
        behind one another) therefore share a COMMIT; each is a savepoint, so
        one that fails is undone alone. Nobody's block returns before its data is
        committed.
        """
        await self._acquire()
        try:
            group = self._group
            if group is None:
                await _unless_busy(self._begin, self.busy_timeout)
                group = self._group = _Group()
            group.members += 1
            self.conn.execute("SAVEPOINT member")
        except BaseException:
            self._leave()
            raise
        try:
            yield SqliteTx(self.conn, self.busy_timeout)
        except BaseException:
            try:
                self._undo(group)
            finally:
                self._leave()
            raise
        try:
            self.conn.execute("RELEASE member")
        finally:
            self._leave()
        await asyncio.shield(group.committed)

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                self._shared_at = time.monotonic()
            raise

    def _undo(self, group: _Group) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK TO member")
            self.conn.execute("RELEASE member")
        elif self._group is group:  # SQLite rolled the whole transaction back (I/O, full)
            self._group = None
            group.committed.set_exception(StoreUnavailable("the transaction was rolled back"))
            group.committed.exception()  # retrieved: a failed member may be the only one

    def _leave(self) -> None:
        """Release the lock; the open group commits GROUP_ITERATIONS loop iterations on,
        once the transactions started meanwhile have joined."""
        try:
            group = self._group
            if group is not None and group.members >= MAX_GROUP:
                self._commit(group)
            elif group is not None and not group.flush_due:
                group.flush_due = True
                shared = time.monotonic() - self._shared_at < SHARED_FOR
                iterations = 1 if shared else GROUP_ITERATIONS
                asyncio.get_running_loop().call_soon(self._flush, group, iterations)
        finally:
            self._lock.release()

    def _flush(self, group: _Group, iterations: int = 1) -> None:
        if self._group is not group:
            return  # committed already
        if iterations > 1:  # let the next iterations' transactions join
            asyncio.get_running_loop().call_soon(self._flush, group, iterations - 1)
            return
        if self._lock.locked():
            group.flush_due = False  # the holder's _leave schedules it again
        elif self._queued:  # a waiter is about to take the lock and join: next iteration
            asyncio.get_running_loop().call_soon(self._flush, group)
        else:
            self._commit(group)

    def _commit(self, group: _Group) -> None:
        self._group = None
        try:
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):  # the members must hear, whatever
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            group.committed.set_exception(exc)
            group.committed.exception()  # each member awaiting it still raises
        else:
            group.committed.set_result(None)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SqliteTx]:
        """Statements in autocommit mode (a group still open commits first)."""
        await self._acquire()
        try:
            if self._group is not None:
                self._commit(self._group)
            yield SqliteTx(self.conn, self.busy_timeout)
        finally:
            self._lock.release()
