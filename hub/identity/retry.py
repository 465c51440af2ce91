"""Retrying a transaction that lost a race (PostgreSQL deadlock or serialization failure)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "23505"})  # deadlock, serialization, unique


def is_conflict(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES


async def retry_conflicts(attempt: Callable[[], Awaitable[T]], *, attempts: int = 8) -> T:
    for n in range(attempts):
        try:
            return await attempt()
        except Exception as exc:
            if not is_conflict(exc) or n == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**n))
    raise AssertionError("unreachable")
