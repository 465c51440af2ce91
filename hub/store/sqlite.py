"""SQLite store (embedded default): one aiosqlite connection in WAL mode."""

from __future__ import annotations

import time
from pathlib import Path

import aiosqlite

from .base import Claim, StoreUnavailable

MIGRATIONS: list[str] = [
    """
    CREATE TABLE claims (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        claimed_at REAL NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    CREATE INDEX claims_age ON claims (done, claimed_at);
    """,
]


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.split("://", 1)[1]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise ValueError(f"store.url: expected sqlite:///path.db, got {url!r}")
    return rest[1:]


class SqliteStore:
    def __init__(self, url: str):
        self.url = url
        self.path = sqlite_path(url)
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreUnavailable("store is not open")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.execute("PRAGMA busy_timeout=5000")
        await self._migrate()

    async def _migrate(self) -> None:
        await self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        async with self.db.execute("SELECT max(version) FROM schema_version") as cursor:
            row = await cursor.fetchone()
        current = (row[0] if row else None) or 0
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            await self.db.executescript(
                f"BEGIN; {sql}; INSERT INTO schema_version VALUES ({version}); COMMIT;"
            )

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def ping(self) -> None:
        try:
            await self.db.execute("SELECT 1")
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def claim(self, scope: str, key: str, *, lease_seconds: float = 60.0) -> Claim:
        now = time.time()
        # One statement, so two claimants can never both win: the insert either creates the
        # row or takes over a stale unfinished claim; otherwise it changes nothing.
        cursor = await self.db.execute(
            "INSERT INTO claims (scope, key, done, claimed_at) VALUES (?, ?, 0, ?) "
            "ON CONFLICT (scope, key) DO UPDATE SET claimed_at = excluded.claimed_at "
            "WHERE claims.done = 0 AND claims.claimed_at < ?",
            (scope, key, now, now - lease_seconds),
        )
        if cursor.rowcount == 1:
            return Claim.NEW
        async with self.db.execute(
            "SELECT done FROM claims WHERE scope = ? AND key = ?", (scope, key)
        ) as rows:
            row = await rows.fetchone()
        return Claim.DONE if row and row[0] else Claim.BUSY

    async def complete(self, scope: str, key: str) -> None:
        await self.db.execute(
            "UPDATE claims SET done = 1, claimed_at = ? WHERE scope = ? AND key = ?",
            (time.time(), scope, key),
        )

    async def release(self, scope: str, key: str) -> None:
        await self.db.execute(
            "DELETE FROM claims WHERE scope = ? AND key = ? AND done = 0", (scope, key)
        )

    async def purge_claims(self, older_than_seconds: float) -> int:
        cursor = await self.db.execute(
            "DELETE FROM claims WHERE done = 1 AND claimed_at < ?",
            (time.time() - older_than_seconds,),
        )
        return cursor.rowcount
