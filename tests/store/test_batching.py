from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from hub.store.batching import Batcher


async def test_concurrent_operations_share_a_round_trip() -> None:
    batches: list[list[int]] = []

    async def apply(ops: Sequence[int]) -> list[int]:
        batches.append(list(ops))
        await asyncio.sleep(0.01)
        return [op * 2 for op in ops]

    batcher: Batcher[int, int] = Batcher(apply, max_batch=10)
    assert await batcher.submit(1) == 2  # alone: written at once
    results = await asyncio.gather(*(batcher.submit(i) for i in range(25)))
    assert results == [i * 2 for i in range(25)]
    assert [len(b) for b in batches] == [1, 10, 10, 5]


async def test_a_failed_batch_fails_its_callers_only() -> None:
    async def apply(ops: Sequence[int]) -> list[int]:
        if 13 in ops:
            raise OSError("disk full")
        return list(ops)

    batcher: Batcher[int, int] = Batcher(apply, max_batch=1)
    outcomes = await asyncio.gather(batcher.submit(13), batcher.submit(1), return_exceptions=True)
    assert isinstance(outcomes[0], OSError)
    assert outcomes[1] == 1


async def test_a_cancelled_caller_does_not_break_the_batch() -> None:
    release = asyncio.Event()

    async def apply(ops: Sequence[int]) -> list[int]:
        await release.wait()
        return list(ops)

    batcher: Batcher[int, int] = Batcher(apply)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    second = asyncio.create_task(batcher.submit(2))
    third = asyncio.create_task(batcher.submit(3))
    await asyncio.sleep(0)
    second.cancel()
    release.set()
    assert await first == 1
    assert await third == 3
    with pytest.raises(asyncio.CancelledError):
        await second
