"""The store over either database: connection, migrations, and processed-event claims."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .base import Claim, StoreUnavailable
from .batching import Batcher
from .database import Database, Tx, rows_of
from .migrations import migrate


@dataclass(frozen=True)
class ClaimOp:
    kind: Literal["claim", "complete", "release"]
    scope: str
    key: str
    lease: float = 0.0


class SqlStore:
    def __init__(self, url: str, db: Database):
        self.url = url
        self.db = db
        self.schema_version = 0
        self._claims: Batcher[ClaimOp, Claim | None] = Batcher(self._apply_claim_ops)

    async def open(self) -> None:
        await self.db.connect()
        try:
            self.schema_version = await migrate(self.db)
        except BaseException:
            await self.db.close()  # its threads and sockets would keep the process alive
            raise

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        try:
            async with self.db.connection() as tx:
                await tx.fetchone("SELECT 1")
        except Exception as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

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
        async with self.db.transaction() as tx:
            # executemany: every row in one round trip, each by primary key (a row-value
            # ``IN (VALUES …)`` would scan the whole table on SQLite).
            finished = [(now, op.scope, op.key) for op in ops if op.kind == "complete"]
            if finished:
                await tx.executemany(
                    "UPDATE claims SET done = 1, claimed_at = ? WHERE scope = ? AND key = ?",
                    finished,
                )
            released = [(op.scope, op.key) for op in ops if op.kind == "release"]
            if released:
                await tx.executemany(
                    "DELETE FROM claims WHERE scope = ? AND key = ? AND done = 0", released
                )
            claims = [op for op in ops if op.kind == "claim"]
            outcome = await _claim_all(tx, claims, now) if claims else {}
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

    async def purge_claims(self, older_than_seconds: float, *, chunk: int = 1000) -> int:
        """Forget finished claims older than the dedupe window, ``chunk`` rows per
        statement: one DELETE of a day's claims would hold the store (and, on SQLite, the
        event loop) for as long as it runs."""
        cutoff, purged = time.time() - older_than_seconds, 0
        while True:
            async with self.db.connection() as tx:
                deleted = await tx.execute(
                    "DELETE FROM claims WHERE (scope, key) IN (SELECT scope, key FROM claims "
                    "WHERE done = 1 AND claimed_at < ? LIMIT ?)",
                    cutoff,
                    chunk,
                )
            purged += deleted
            if deleted < chunk:
                return purged
            await asyncio.sleep(0)  # let events through between chunks


async def _claim_all(tx: Tx, claims: list[ClaimOp], now: float) -> dict[tuple[str, str], Claim]:
    # One statement takes every new or stale claim: the insert creates the row or takes
    # over an unfinished claim whose lease ran out; RETURNING names the winners.
    unique = {(op.scope, op.key): op for op in claims}
    params = [v for op in unique.values() for v in (op.scope, op.key, now, now + op.lease)]
    won = {
        (row[0], row[1])
        for row in await tx.fetch(
            "INSERT INTO claims (scope, key, claimed_at, expires_at) "
            f"VALUES {rows_of(len(unique), 4)} "
            "ON CONFLICT (scope, key) DO UPDATE SET "
            "claimed_at = excluded.claimed_at, expires_at = excluded.expires_at "
            "WHERE claims.done = 0 AND claims.expires_at < excluded.claimed_at "
            "RETURNING scope, key",
            *params,
        )
    }
    outcome = dict.fromkeys(won, Claim.NEW)
    lost = [key for key in unique if key not in won]
    if lost:
        rows = await tx.fetch(
            f"WITH wanted (scope, key) AS (VALUES {rows_of(len(lost), 2)}) "
            "SELECT c.scope, c.key, c.done FROM wanted "
            "JOIN claims AS c ON c.scope = wanted.scope AND c.key = wanted.key",
            *[part for pair in lost for part in pair],
        )
        for scope, key, done in rows:
            outcome[(scope, key)] = Claim.DONE if done else Claim.BUSY
    for key in lost:
        outcome.setdefault(key, Claim.BUSY)  # released between the two statements
    return outcome
