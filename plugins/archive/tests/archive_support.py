"""Helpers for the archive tests (not a conftest: all plugins share one test namespace)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from omnihub_archive.segments import iter_lines, list_segments

T = TypeVar("T")


def updated(customer: str, n: int, **extra: Any) -> dict[str, Any]:
    """A valid ``customer.updated`` event, numbered by ``n``."""
    return {
        "specversion": "1.0",
        "id": f"{customer}-upd-{n}",
        "source": "/tests/archive",
        "type": "customer.updated",
        "channel": "web",
        "customerid": customer,
        "data": {
            "traits": {"plan": {"value": f"plan-{n}", "source": "crm:test"}},
            "changed": ["plan"],
        },
        **extra,
    }


def identified(customer: str, phone: str, n: int = 0) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{customer}-idf-{n}",
        "source": "/tests/archive",
        "type": "customer.identified",
        "channel": "whatsapp",
        "customerid": customer,
        "data": {"identifiers": [{"kind": "phone", "value": phone}]},
    }


def archived(directory: Path) -> list[dict[str, Any]]:
    """Every archived event, in write order."""
    return [json.loads(line) for path in list_segments(directory) for line, _ in iter_lines(path)]


async def eventually(check: Callable[[], Awaitable[T]], within: float = 5.0) -> T:
    """The first truthy result of ``check``, polled until ``within`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (result := await check()):
        if loop.time() > deadline:
            raise TimeoutError(f"still {result!r} after {within}s")
        await asyncio.sleep(0.02)
    return result


async def wait_archived(directory: Path, count: int, within: float = 5.0) -> list[dict[str, Any]]:
    """The archived events once there are at least ``count``."""

    async def enough() -> list[dict[str, Any]]:
        events = await asyncio.to_thread(archived, directory)
        return events if len(events) >= count else []

    return await eventually(enough, within)
