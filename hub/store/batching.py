"""Group commit: operations that arrive while a batch is being written wait for the next one.

Concurrent consumers each need a claim per event; written one by one, every claim costs a
round trip (a COMMIT's share for SQLite, a network trip for PostgreSQL). A batcher turns N
concurrent operations into one round trip without adding latency when load is light: a
lone operation is written at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Op = TypeVar("Op")
Result = TypeVar("Result")


class Batcher(Generic[Op, Result]):
    def __init__(
        self,
        apply: Callable[[Sequence[Op]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = 500,
    ):
        self._apply = apply
        self._max_batch = max_batch
        self._pending: list[tuple[Op, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, op: Op) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await self._apply([op for op, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # the caller may have been cancelled meanwhile
                    future.set_result(result)
