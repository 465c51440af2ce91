"""A hub process's identity stage, run in a process of its own by the race test."""

from __future__ import annotations

import asyncio
from typing import Any

from omnihub_contracts import core_registry

from hub.identity import IdentityService
from hub.store import open_store
from tests.identity.events import ids, received


def person(n: int) -> list[dict[str, str]]:
    number = f"55119{87650000 + n:08d}"
    return ids(("whatsapp", number), ("phone", "+" + number), ("email", f"p{n}@mail.com"))


def resolve_all(store_url: str, worker: int, people: int, barrier: Any) -> dict[int, str]:
    async def run() -> dict[int, str]:
        store = open_store(store_url)
        await store.open()
        registry = core_registry()
        service = IdentityService(store, registry)
        try:
            barrier.wait()
            order = range(people) if worker % 2 else reversed(range(people))
            found: dict[int, str] = {}

            async def one(n: int) -> None:
                identifiers = person(n)[worker % 3 :] + person(n)[: worker % 3]
                event = received("whatsapp", identifiers, minutes=worker + n / 100)
                resolved = await service.resolver.resolve(registry.type_data(event))
                assert resolved.event.customerid is not None
                found[n] = resolved.event.customerid

            await asyncio.gather(*(one(n) for n in order))
            return found
        finally:
            await store.close()

    return asyncio.run(run())
