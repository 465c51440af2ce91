"""Processed-event claims: the dedupe primitive of the pipeline and the consumers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.store import Claim, Store, StoreUnavailable, claim_or_wait, open_store
from hub.store.migrations import MIGRATIONS


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    instance = open_store(store_url)
    await instance.open()
    yield instance
    await instance.close()


async def test_claim_complete_then_duplicate(store: Store) -> None:
    assert await store.claim("s", "e1") is Claim.NEW
    assert await store.claim("s", "e1") is Claim.BUSY
    await store.complete("s", "e1")
    assert await store.claim("s", "e1") is Claim.DONE
    assert await store.claim("other-scope", "e1") is Claim.NEW


async def test_release_lets_a_retry_claim_again(store: Store) -> None:
    assert await store.claim("s", "e1") is Claim.NEW
    await store.release("s", "e1")
    assert await store.claim("s", "e1") is Claim.NEW


async def test_stale_claim_is_taken_over(store: Store) -> None:
    assert await store.claim("s", "e1", lease_seconds=0.0) is Claim.NEW
    await asyncio.sleep(0.01)
    assert await store.claim("s", "e1", lease_seconds=0.0) is Claim.NEW


async def test_concurrent_claims_have_one_winner(store: Store) -> None:
    results = await asyncio.gather(*(store.claim("s", "race") for _ in range(20)))
    assert results.count(Claim.NEW) == 1


async def test_purge_forgets_old_completed_claims_only(store: Store) -> None:
    await store.claim("s", "done")
    await store.complete("s", "done")
    await store.claim("s", "open")
    assert await store.purge_claims(older_than_seconds=-1) == 1
    assert await store.claim("s", "done") is Claim.NEW
    assert await store.claim("s", "open") is Claim.BUSY


async def test_migrations_are_idempotent(store_url: str) -> None:
    for _ in range(2):
        instance = open_store(store_url)
        await instance.open()
        await instance.ping()
        await instance.close()


async def test_closed_store_is_unavailable(store: Store) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.ping()


def test_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"store\.url: unsupported scheme 'mysql'"):
        open_store("mysql://x")


async def test_a_batch_mixing_keys_and_kinds(store: Store) -> None:
    await store.claim("s", "finishing")
    await store.claim("s", "failing")
    results = await asyncio.gather(
        store.complete("s", "finishing"),
        store.release("s", "failing"),
        *(store.claim("s", f"new-{i}") for i in range(50)),
        store.claim("s", "dup"),
        store.claim("s", "dup"),
    )
    claims = results[2:]
    assert claims[:50] == [Claim.NEW] * 50
    assert sorted(c.value for c in claims[50:]) == ["busy", "new"]
    assert await store.claim("s", "finishing") is Claim.DONE
    assert await store.claim("s", "failing") is Claim.NEW


async def test_claims_are_durable_across_reopen(store_url: str) -> None:
    url = store_url
    first = open_store(url)
    await first.open()
    await first.claim("s", "e")
    await first.complete("s", "e")
    await first.close()
    second = open_store(url)
    await second.open()
    assert await second.claim("s", "e") is Claim.DONE
    await second.close()


async def test_claim_or_wait_sees_the_other_workers_outcome(store: Store) -> None:
    assert await store.claim("s", "shared") is Claim.NEW

    async def other_worker_finishes() -> None:
        await asyncio.sleep(0.1)
        await store.complete("s", "shared")

    finishing = asyncio.create_task(other_worker_finishes())
    assert await claim_or_wait(store, "s", "shared", lease_seconds=5) is Claim.DONE
    await finishing


async def test_claim_or_wait_takes_over_a_crashed_workers_claim(store: Store) -> None:
    assert await store.claim("s", "orphan", lease_seconds=0.2) is Claim.NEW  # then "crashes"
    assert await claim_or_wait(store, "s", "orphan", lease_seconds=0.2) is Claim.NEW


async def test_stores_opening_a_fresh_database_together_migrate_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert await stores[0].claim("s", "e") is Claim.NEW
        assert await stores[1].claim("s", "e") is Claim.BUSY
        async with stores[0].db.connection() as tx:
            rows = await tx.fetch("SELECT version FROM schema_version ORDER BY 1")
    finally:
        for s in stores:
            await s.close()
    assert [v for (v,) in rows] == list(range(1, len(MIGRATIONS) + 1))


async def test_purge_goes_in_chunks_and_misses_nothing(store: Store) -> None:
    for n in range(25):
        await store.claim("s", f"done-{n}")
        await store.complete("s", f"done-{n}")
    await store.claim("s", "open")
    assert await store.purge_claims(older_than_seconds=-1, chunk=10) == 25
    assert await store.claim("s", "done-0") is Claim.NEW
    assert await store.claim("s", "open") is Claim.BUSY
