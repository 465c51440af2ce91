"""The SQLite database: statements on the loop, group commit, lock waits that never block."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.store.sqlite_db import GROUP_ITERATIONS, SqliteDatabase


@pytest.fixture
async def db(tmp_path: Path):
    database = SqliteDatabase(f"sqlite:///{tmp_path / 'hub.db'}")
    await database.connect()
    async with database.transaction() as tx:
        await tx.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    yield database
    await database.close()


def committed(path: str) -> set[int]:
    """What another connection (another process) sees."""
    with sqlite3.connect(path) as other:
        return {n for (n,) in other.execute("SELECT n FROM t")}


async def test_every_block_returns_after_its_rows_are_committed(db: SqliteDatabase) -> None:
    seen_on_return: dict[int, set[int]] = {}

    async def insert(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)
            await asyncio.sleep(0)  # let the others queue behind this one
        seen_on_return[n] = committed(db.path)

    await asyncio.gather(*(insert(n) for n in range(20)))
    assert all(n in seen for n, seen in seen_on_return.items())
    assert committed(db.path) == set(range(20))


async def test_concurrent_transactions_share_commits(db: SqliteDatabase) -> None:
    commits = count_commits(db)

    async def insert(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)
            await asyncio.sleep(0)

    await asyncio.gather(*(insert(n) for n in range(50)))
    assert committed(db.path) == set(range(50))
    assert 1 <= commits() < 10


async def test_transactions_of_the_next_iterations_join_the_open_group(
    db: SqliteDatabase,
) -> None:
    # As on a busy hub, where every confirm or delivery starts a transaction in a loop
    # iteration of its own.
    commits = count_commits(db)

    async def insert(n: int, after: int) -> None:
        for _ in range(after):
            await asyncio.sleep(0)
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)

    await asyncio.gather(*(insert(n, n) for n in range(GROUP_ITERATIONS - 1)))
    assert committed(db.path) == set(range(GROUP_ITERATIONS - 1))
    assert commits() == 1


async def test_groups_commit_at_once_while_another_process_shares_the_file(
    db: SqliteDatabase,
) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writes: our BEGIN finds it taken
    first = asyncio.create_task(_insert(db, 0))
    await asyncio.sleep(0.05)
    other.execute("COMMIT")
    other.close()
    await first
    commits = count_commits(db)

    async def insert(n: int, after: int) -> None:
        for _ in range(after):
            await asyncio.sleep(0)
        await _insert(db, n)

    # Not held open for the next iterations: the other process would wait for our lock.
    await asyncio.gather(insert(1, 0), insert(2, 2))
    assert committed(db.path) == {0, 1, 2}
    assert commits() == 2


async def test_a_failed_transaction_is_undone_alone(db: SqliteDatabase) -> None:
    async def insert(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)
            await asyncio.sleep(0)
            if n % 3 == 0:
                raise ValueError(n)

    results = await asyncio.gather(*(insert(n) for n in range(12)), return_exceptions=True)
    failed = {n for n, r in enumerate(results) if isinstance(r, ValueError)}
    assert failed == {0, 3, 6, 9}
    assert committed(db.path) == set(range(12)) - failed


async def test_a_cancelled_waiter_does_not_stall_the_group(db: SqliteDatabase) -> None:
    async def insert(n: int, pause: float) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)
            await asyncio.sleep(pause)

    first = asyncio.create_task(insert(1, 0.05))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(insert(2, 0))  # queued behind the first, then given up
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.wait_for(first, 5)
    assert committed(db.path) == {1}


async def test_a_writer_in_another_process_is_waited_for_without_blocking(
    db: SqliteDatabase,
) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(_insert(db, 7))
    await asyncio.sleep(0.2)
    assert not writer.done()  # waiting for the lock,
    assert ticks > 10  # and the loop kept running meanwhile
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 5)
    ticker.cancel()
    other.close()
    assert committed(db.path) == {7}


async def test_a_lock_held_too_long_is_an_error(tmp_path: Path) -> None:
    db = SqliteDatabase(f"sqlite:///{tmp_path / 'hub.db'}", busy_timeout=0.2)
    await db.connect()
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.transaction():
            pass
    other.execute("ROLLBACK")
    other.close()
    async with db.transaction() as tx:  # usable again
        await tx.execute("CREATE TABLE t (n INTEGER)")
    await db.close()


def count_commits(db: SqliteDatabase) -> Callable[[], int]:
    """From now on, how many COMMITs ``db`` has run."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    return lambda: seen.count("COMMIT")


async def _insert(db: SqliteDatabase, n: int) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (?)", n)


async def test_a_failed_commit_fails_every_member_of_the_group(db: SqliteDatabase) -> None:
    # A deferred constraint is checked at COMMIT: the one way SQLite refuses a COMMIT.
    db.conn.execute("PRAGMA foreign_keys = ON")
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TABLE child (n INTEGER REFERENCES t (n) DEFERRABLE INITIALLY DEFERRED)"
        )

    async def insert(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?)", n)
            if n == 3:
                await tx.execute("INSERT INTO child VALUES (99)")  # no such parent

    results = await asyncio.gather(*(insert(n) for n in range(6)), return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
    assert committed(db.path) == set()  # nobody was told "committed" for a lost row
    await _insert(db, 10)  # and the database goes on
    assert committed(db.path) == {10}
