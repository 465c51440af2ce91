"""Background work of a running hub: each job on its own period, failures logged, never fatal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("hub.maintenance")

CLAIM_PURGE_INTERVAL = 3600.0  # forget processed-event claims older than the dedupe window
OUTBOX_SWEEP_INTERVAL = 10.0  # publish announcements a crash or an outage left behind
EXTERNAL_SYNC_INTERVAL = 10.0  # run external consumers another process added
OFFER_CHECK_INTERVAL = 5.0  # hand offered conversations nobody accepted to the fallback
# Erasure deadlines are days apart: an hourly look is timely, and its warnings remind
# rather than flood.
ERASURE_DEADLINE_INTERVAL = 3600.0


def every(
    seconds: float, job: Callable[[], Awaitable[object]], name: str, *, at_once: bool = False
) -> asyncio.Task[None]:
    """Run ``job`` every ``seconds`` (``at_once``: first right away, e.g. so a gauge is
    not empty for a whole period after a start)."""

    async def loop() -> None:
        wait = not at_once
        while True:
            if wait:
                await asyncio.sleep(seconds)
            wait = True
            try:
                await job()
            except Exception:
                log.exception("maintenance_failed", job=name)

    return asyncio.create_task(loop(), name=f"omnihub:{name}")
