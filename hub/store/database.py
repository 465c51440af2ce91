"""One SQL facade over SQLite and PostgreSQL, so store logic is written once.

Statements use ``?`` placeholders (translated to ``$n`` for PostgreSQL) and SQL both
dialects share: ``ON CONFLICT … DO UPDATE``, ``RETURNING``, row values. What differs is
behind small methods: ``lock_keys`` (advisory locks; SQLite's write transaction already
excludes every other writer) and ``for_update`` (row locks).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Row = Sequence[Any]

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``?`` → ``$1, $2 …`` (our SQL never holds a literal question mark)."""
    counter = iter(range(1, 10_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


def rows_of(count: int, width: int) -> str:
    row = "(" + placeholders(width) + ")"
    return ", ".join([row] * count)


class Tx(Protocol):
    """Statements on one connection; inside ``transaction()`` they commit together."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; returns the number of rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...

    async def lock_keys(self, keys: Iterable[str]) -> None:
        """Hold a lock per key until the transaction ends (taken in one global order)."""

    @property
    def for_update(self) -> str:
        """`` FOR UPDATE`` where row locks exist (PostgreSQL), else empty."""


class PluginDatabase(Protocol):
    """The hub's store as a plugin sees it (``context.database``): statements and
    transactions, without the store's life cycle, which belongs to the hub."""

    @property
    def dialect(self) -> Dialect: ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises."""

    def connection(self) -> AbstractAsyncContextManager[Tx]:
        """Single statements in autocommit mode (reads, idempotent writes)."""


class Database(PluginDatabase, Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...


class SharedDatabase:
    """A :class:`Database` handed to a plugin: it can run statements, never close it."""

    def __init__(self, db: Database):
        self._db = db

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self._db.transaction()

    def connection(self) -> AbstractAsyncContextManager[Tx]:
        return self._db.connection()


async def first_value(tx: Tx, sql: str, *args: Any) -> Any:
    row = await tx.fetchone(sql, *args)
    return None if row is None else row[0]


async def iterate(tx: Tx, sql: str, *args: Any) -> AsyncIterator[Row]:
    for row in await tx.fetch(sql, *args):
        yield row
