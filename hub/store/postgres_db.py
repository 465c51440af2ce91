"""PostgreSQL behind the SQL facade: an asyncpg pool, for production and several hubs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import asyncpg

from .base import StoreUnavailable
from .database import Row, numbered


def _changed(status: str) -> int:
    """asyncpg answers a command tag such as ``UPDATE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The hub keeps no session state, so a connection back in the pool needs no reset
    query (a round trip per use); asyncpg still rolls back an unfinished transaction."""


class PostgresTx:
    dialect: Literal["postgresql"] = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, conn: asyncpg.Connection):
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        return _changed(await self._conn.execute(numbered(sql), *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(numbered(sql), rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._conn.fetch(numbered(sql), *args))

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row = await self._conn.fetchrow(numbered(sql), *args)
        return None if row is None else tuple(row)

    async def lock_keys(self, keys: Iterable[str]) -> None:
        # Sorted by hash, in one statement: every transaction takes its locks in the same
        # global order, so two resolutions never wait for each other in a cycle.
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(h) FROM ("
            " SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k"
            " ORDER BY h) AS ordered",
            sorted(set(keys)),
        )


class PostgresDatabase:
    dialect: Literal["postgresql"] = "postgresql"

    def __init__(self, url: str, *, max_connections: int = 10):
        self.url = url
        self.max_connections = max_connections
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreUnavailable("store is not open")
        return self._pool

    async def connect(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.max_connections,
                command_timeout=30,
                reset=_keep_session,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresTx(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PostgresTx]:
        async with self.pool.acquire() as conn:
            yield PostgresTx(conn)
