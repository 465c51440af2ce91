"""Erasure deadlines, enforced by being watched: a gauge and a warning per late system.

A maintenance job (``hub/runtime.py``) looks at every unfinished request: each system
whose part is not final (a ``pending`` or ``failed`` receipt, or the hub's own while
missing) counts under ``omnihub_erasures_overdue{system}`` once the deadline has passed,
under ``omnihub_erasures_due_soon{system}`` while it falls within ``[privacy]
erasure_due_soon_days``; every overdue (request, system) logs a warning naming the
request id and the system only, never the customer. Every hub process refreshes its own
gauges (whichever answers a scrape must be current), but one per interval warns: the
others would repeat the same lines (several ``omnihub run``, or ``[hub] workers``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import structlog

from ..config import PrivacySection
from ..metrics import Metrics
from ..store import Claim, SqlStore
from . import requests

log = structlog.get_logger("hub.privacy")

DAY = 86400.0
WARNINGS_SCOPE = "erasure-deadline-warnings"  # a claim per interval in the store


@dataclass
class DeadlineReport:
    """Per system, how many unfinished requests wait on it past or near their deadline."""

    overdue: Counter[str] = field(default_factory=Counter)
    due_soon: Counter[str] = field(default_factory=Counter)
    late: list[tuple[str, str]] = field(default_factory=list)  # (request id, system)


class ErasureDeadlines:
    def __init__(
        self, store: SqlStore, metrics: Metrics, section: PrivacySection, every: float = 3600.0
    ):
        self.store = store
        self.metrics = metrics
        self.window = section.erasure_due_soon_days * DAY
        self.every = every  # how often the job runs: one process warns per such interval

    async def check(self, at: float | None = None) -> DeadlineReport:
        """Refresh the gauges and warn about every overdue system, as of ``at`` (now)."""
        at = time.time() if at is None else at
        report = await self.report(at)
        self.metrics.update_erasure_deadlines(report.overdue, report.due_soon)
        if report.late and await self._warns(at):
            for erasure_id, system in report.late:
                log.warning("erasure_overdue", erasure=erasure_id, system=system)
        return report

    async def _warns(self, at: float) -> bool:
        """True for the first process to check in this interval."""
        key = str(int(at // self.every))
        if await self.store.claim(WARNINGS_SCOPE, key, lease_seconds=self.every) is Claim.NEW:
            await self.store.complete(WARNINGS_SCOPE, key)
            return True
        return False

    async def listing(
        self, status: str, limit: int, at: float | None = None
    ) -> list[requests.Erasure]:
        """Requests by ``status`` (``requests.LISTINGS``: ``overdue``, ``due_soon`` …)."""
        at = time.time() if at is None else at
        async with self.store.db.connection() as tx:
            return await requests.listing(tx, status, at, self.window, limit)

    async def report(self, at: float) -> DeadlineReport:
        async with self.store.db.connection() as tx:
            # Unfinished requests are few (each one is someone's open task): all of them.
            unfinished = await requests.listing(tx, "unfinished", at, self.window)
        report = DeadlineReport()
        for erasure in unfinished:
            for system in erasure.waiting_on:
                if erasure.overdue(at):
                    report.overdue[system] += 1
                    report.late.append((erasure.id, system))
                elif erasure.deadline < at + self.window:
                    report.due_soon[system] += 1
        return report
