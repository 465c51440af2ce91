"""Load through the HTTP API of several hub processes, and the ledger of what came of it.

:class:`Poster` is a well-behaved API client: it posts batches of new events to the
processes in turn, honours ``503`` + ``Retry-After`` by resending later, and resends a
batch whose outcome it cannot know (the process went away mid-request) to another
process — the ingress drops the duplicate ids. Every answer is checked: anything but 202
or 503-with-Retry-After, and any request that hangs, is recorded as unexpected.

:class:`Ledger` reads the journals the ledger plugin wrote in every process (the dead
ones too) and compares them with what the API accepted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from tests import ledgers

from .cluster import TOKEN, HubProcess

REQUEST_TIMEOUT = 20.0  # a request taking longer counts as a hang
BATCH_DEADLINE = 120.0  # seconds a batch may take to be accepted somewhere


def event(event_id: str, source: str, n: int) -> dict[str, object]:
    return {
        "id": event_id,
        "source": source,
        "type": "customer.identified",
        "data": {"identifiers": [{"kind": "crm:test", "value": str(n)}]},
    }


@dataclass
class Poster:
    session: aiohttp.ClientSession
    targets: Sequence[HubProcess]
    tag: str
    batch: int = 20
    parallel: int = 4
    rate: float | None = None  # events per second, None: as fast as answered
    # A connection that breaks means the process went away: resend elsewhere. False: the
    # port stays served (hub.workers), resend to the same target.
    failover: bool = True

    attempted: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)  # per answer kind
    unexpected: list[str] = field(default_factory=list)
    down: set[int] = field(default_factory=set)  # targets that went away
    slowest: float = 0.0  # seconds, the longest answer
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def source(self) -> str:
        return f"/process-tests/{self.tag}"

    def _target(self) -> HubProcess:
        alive = [t for t in self.targets if t.index not in self.down]
        if not alive:
            raise AssertionError("no hub process left to post to")
        return alive[next(self._turn) % len(alive)]

    async def post(self, count: int, stop: asyncio.Event | None = None) -> None:
        """Post ``count`` new events in batches, ``parallel`` at once, paced by ``rate``."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(self.parallel)
        started = loop.time()
        tasks = []
        for k in range(0, count, self.batch):
            if stop is not None and stop.is_set():
                break
            if self.rate:
                # Pacing, not synchronisation: the load keeps coming while faults happen.
                await asyncio.sleep(max(0.0, started + k / self.rate - loop.time()))
            await gate.acquire()
            numbers = [next(self._numbers) for _ in range(min(self.batch, count - k))]
            task = asyncio.create_task(self._send(numbers))
            task.add_done_callback(lambda _: gate.release())
            tasks.append(task)
        await asyncio.gather(*tasks)

    async def _send(self, numbers: list[int]) -> None:
        ids = [f"{self.tag}-{n:05d}" for n in numbers]
        body = [event(i, self.source, n) for i, n in zip(ids, numbers, strict=True)]
        self.attempted.update(ids)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        deadline = asyncio.get_running_loop().time() + BATCH_DEADLINE
        while asyncio.get_running_loop().time() < deadline:
            target = self._target()
            sent = asyncio.get_running_loop().time()
            try:
                async with self.session.post(
                    f"{target.url}/api/v1/events", json=body, headers=headers, timeout=timeout
                ) as response:
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    text = await response.text()
                    answer = await response.json() if status == 202 else None
                self.slowest = max(self.slowest, asyncio.get_running_loop().time() - sent)
            except TimeoutError:
                self.outcomes["hang"] += 1
                self.unexpected.append(f"{target.name}: no answer within {REQUEST_TIMEOUT}s")
                continue
            except aiohttp.ClientConnectionError as exc:
                # Gone (stopped or killed): the batch may or may not have been taken, so
                # it goes to another process; the ingress drops ids it already has.
                self.outcomes["connection_error"] += 1
                if self.failover:
                    self.down.add(target.index)
                    self.outcomes[f"lost_target:{type(exc).__name__}"] += 1
                else:
                    await asyncio.sleep(0.1)
                continue
            if status == 202:
                assert answer == {"accepted": ids}, answer
                self.outcomes["202"] += 1
                self.accepted.update(ids)
                return
            if status == 503 and retry_after is not None and retry_after.isdigit():
                self.outcomes["503"] += 1
                await asyncio.sleep(min(int(retry_after), 5))  # what the header asks
                continue
            self.outcomes[str(status)] += 1
            self.unexpected.append(f"{target.name}: {status} {retry_after=} {text[:300]}")
            return  # a client bug or a server error: not resent, the ledger shows it
        self.unexpected.append(f"batch {ids[0]}…: not accepted within {BATCH_DEADLINE}s")


@dataclass
class Ledger:
    """attempted / accepted / effects / distinct / duplicates / lost, per test."""

    name: str
    poster: Poster
    processes: Sequence[HubProcess]
    notes: list[str] = field(default_factory=list)

    def effects(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for process in self.processes:
            for line in process.journal_lines():
                if line["phase"] == "effect":
                    counts[line["event_id"]] += 1
        return counts

    def effects_by_process(self) -> dict[str, int]:
        return {
            p.name: sum(line["phase"] == "effect" for line in p.journal_lines())
            for p in self.processes
        }

    def duplicated_ids(self) -> set[str]:
        return {i for i, n in self.effects().items() if n > 1}

    def lost(self) -> set[str]:
        return self.poster.accepted - set(self.effects())

    def complete(self) -> bool:
        return not self.lost()

    def report(self) -> str:
        effects = self.effects()
        duplicates = sum(n - 1 for n in effects.values())
        lines = [
            f"[ledger {self.name}] attempted={len(self.poster.attempted)} "
            f"accepted={len(self.poster.accepted)} effects={sum(effects.values())} "
            f"distinct_effects={len(effects)} duplicates={duplicates} "
            f"lost={len(self.poster.accepted - set(effects))}",
            f"  effects by process: {self.effects_by_process()}",
            f"  answers: {dict(sorted(self.poster.outcomes.items()))}, "
            f"slowest {self.poster.slowest:.2f}s",
            *(f"  {note}" for note in self.notes),
        ]
        return "\n".join(lines)

    def check(self, *, max_duplicates: int = 0) -> None:
        print(self.report())
        ledgers.record(self.report())
        effects = self.effects()
        assert not self.poster.unexpected, self.poster.unexpected[:10]
        assert self.poster.accepted == self.poster.attempted, "every attempted id accepted"
        assert not self.lost(), f"lost: {sorted(self.lost())[:10]}"
        assert set(effects) <= self.poster.accepted, "effects of events never accepted"
        duplicates = sum(n - 1 for n in effects.values())
        assert duplicates <= max_duplicates, f"{duplicates} duplicate effect(s)"
