"""SQLite store (embedded default): one aiosqlite connection in WAL mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiosqlite

from .base import Claim, StoreUnavailable
from .batching import Batcher

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
    # A per-claim lease end, so claims with different leases can be taken in one statement.
    "ALTER TABLE claims ADD COLUMN expires_at REAL NOT NULL DEFAULT 0;",
]


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.split("://", 1)[1]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise ValueError(f"store.url: expected sqlite:///path.db, got {url!r}")
    return rest[1:]


@dataclass(frozen=True)
class ClaimOp:
    kind: Literal["claim", "complete", "release"]
    scope: str
    key: str
    lease: float = 0.0


def _values(count: int, width: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


class SqliteStore:
    def __init__(self, url: str):
        self.url = url
        self.path = sqlite_path(url)
        self._db: aiosqlite.Connection | None = None
        self._claims: Batcher[ClaimOp, Claim | None] = Batcher(self._apply_claim_ops)

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreUnavailable("store is not open")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await self.db.execute("PRAGMA busy_timeout=5000")
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA synchronous=NORMAL")
            await self._migrate()
        except BaseException:
            await self.close()  # its thread would otherwise keep the process alive
            raise

    async def _migrate(self) -> None:
        # BEGIN IMMEDIATE takes the write lock before reading the version, so hub processes
        # starting together on a fresh file migrate one after the other, never twice.
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            await self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            async with self.db.execute("SELECT max(version) FROM schema_version") as cursor:
                row = await cursor.fetchone()
            current = (row[0] if row else None) or 0
            for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, sql.split(";")):
                    await self.db.execute(statement)
                await self.db.execute("INSERT INTO schema_version VALUES (?)", (version,))
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

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
        result = await self._claims.submit(ClaimOp("claim", scope, key, lease_seconds))
        assert result is not None
        return result

    async def complete(self, scope: str, key: str) -> None:
        await self._claims.submit(ClaimOp("complete", scope, key))

    async def release(self, scope: str, key: str) -> None:
        await self._claims.submit(ClaimOp("release", scope, key))

    async def _apply_claim_ops(self, ops: Sequence[ClaimOp]) -> list[Claim | None]:
        """Apply a batch: finishes first, then claims (a valid order for concurrent callers;
        one caller never has two operations in one batch, as it awaits each)."""
        now = time.time()
        # executemany runs every row in one thread hop, each by primary key (a row-value
        # ``IN (VALUES …)`` would scan the whole table).
        finished = [(now, op.scope, op.key) for op in ops if op.kind == "complete"]
        if finished:
            await self.db.executemany(
                "UPDATE claims SET done = 1, claimed_at = ? WHERE scope = ? AND key = ?", finished
            )
        released = [(op.scope, op.key) for op in ops if op.kind == "release"]
        if released:
            await self.db.executemany(
                "DELETE FROM claims WHERE scope = ? AND key = ? AND done = 0", released
            )
        claims = [op for op in ops if op.kind == "claim"]
        outcome = await self._claim_all(claims, now) if claims else {}
        results: list[Claim | None] = []
        handed: set[tuple[str, str]] = set()
        for op in ops:
            if op.kind != "claim":
                results.append(None)
                continue
            key = (op.scope, op.key)
            result = outcome[key]
            if key in handed and result is Claim.NEW:  # the same event twice in one batch
                result = Claim.BUSY
            handed.add(key)
            results.append(result)
        return results

    async def _claim_all(self, claims: list[ClaimOp], now: float) -> dict[tuple[str, str], Claim]:
        # One statement takes every new or stale claim: the insert creates the row or takes
        # over an unfinished claim whose lease ran out; RETURNING names the winners.
        unique = {(op.scope, op.key): op for op in claims}
        params = [v for op in unique.values() for v in (op.scope, op.key, now, now + op.lease)]
        async with self.db.execute(
            "INSERT INTO claims (scope, key, claimed_at, expires_at) "
            f"VALUES {_values(len(unique), 4)} "
            "ON CONFLICT (scope, key) DO UPDATE SET "
            "claimed_at = excluded.claimed_at, expires_at = excluded.expires_at "
            "WHERE claims.done = 0 AND claims.expires_at < excluded.claimed_at "
            "RETURNING scope, key",
            params,
        ) as cursor:
            won = {(row[0], row[1]) for row in await cursor.fetchall()}
        outcome = dict.fromkeys(won, Claim.NEW)
        lost = [key for key in unique if key not in won]
        if lost:
            async with self.db.execute(
                f"WITH wanted (scope, key) AS (VALUES {_values(len(lost), 2)}) "
                "SELECT c.scope, c.key, c.done FROM wanted "
                "JOIN claims AS c ON c.scope = wanted.scope AND c.key = wanted.key",
                [part for pair in lost for part in pair],
            ) as cursor:
                for scope, key, done in await cursor.fetchall():
                    outcome[(scope, key)] = Claim.DONE if done else Claim.BUSY
        for key in lost:
            outcome.setdefault(key, Claim.BUSY)  # released between the two statements
        return outcome

    async def purge_claims(self, older_than_seconds: float) -> int:
        cursor = await self.db.execute(
            "DELETE FROM claims WHERE done = 1 AND claimed_at < ?",
            (time.time() - older_than_seconds,),
        )
        return cursor.rowcount
