"""The profile store protocol. This issue's part: processed-event claims (dedupe).

A *claim* makes "do this once per event id" safe with redeliveries and several hub
processes: the first claimant gets ``NEW``, finishes the work and ``complete``s it; a
duplicate sees ``DONE`` and drops the event; a concurrent or crashed claimant's claim is
``BUSY`` until its lease runs out, after which the work may be claimed again.
"""

from __future__ import annotations

import asyncio
import enum
import time
from typing import Protocol


class Claim(enum.Enum):
    NEW = "new"
    DONE = "done"
    BUSY = "busy"


class StoreUnavailable(Exception):
    """The store cannot be reached now."""


class Store(Protocol):
    url: str

    async def open(self) -> None:
        """Connect and run pending schema migrations."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers now."""

    async def claim(self, scope: str, key: str, *, lease_seconds: float = 60.0) -> Claim: ...

    async def complete(self, scope: str, key: str) -> None: ...

    async def release(self, scope: str, key: str) -> None:
        """Give up a claim after a failure so a retry can claim it again."""

    async def purge_claims(self, older_than_seconds: float) -> int:
        """Forget completed claims older than this; returns how many went."""


async def claim_or_wait(store: Store, scope: str, key: str, *, lease_seconds: float) -> Claim:
    """Claim, and while another worker holds the claim wait for its outcome.

    ``BUSY`` means a concurrent duplicate is being handled elsewhere, or a crashed worker's
    lease has not run out: either way the answer comes within one lease (``DONE``, or
    ``NEW`` once the lease ends), so waiting beats burning a retry attempt. Returns
    ``BUSY`` only if the store still says so after the lease.
    """
    deadline = time.monotonic() + lease_seconds + 1.0
    pause = 0.05
    while True:
        claim = await store.claim(scope, key, lease_seconds=lease_seconds)
        if claim is not Claim.BUSY or time.monotonic() >= deadline:
            return claim
        await asyncio.sleep(pause)
        pause = min(pause * 2, 1.0)
