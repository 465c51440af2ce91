"""The measured parts of the identity benchmark: lookups one at a time, and resolutions
with a fixed number of tasks in flight; each beside its raw-driver baseline."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from omnihub_contracts import CloudEvent, Identifier

from hub.identity import IdentityService

from . import identity_data as data
from .identity_cpu import CpuSplit, CpuSplitMeter
from .identity_db import RawDriver
from .stats import percentile

BLOCK = 500  # lookups per block; the paths take turns block by block
WARMUP = 500  # per path or run, not measured; at most a quarter of the measured count


@dataclass
class Timings:
    """Seconds per operation of one path, and what went wrong."""

    name: str
    seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0  # wall time of the whole run (throughput runs)
    wrong: int = 0  # lookups that found no or another customer
    errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    cpu: CpuSplit | None = None  # of the whole run (lookups: of all paths together)

    def ms(self, q: float) -> float:
        return percentile(self.seconds, q) * 1000

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed if self.elapsed else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": len(self.seconds),
            "p50_ms": self.ms(50),
            "p90_ms": self.ms(90),
            "p99_ms": self.ms(99),
            "p999_ms": self.ms(99.9),
            "max_ms": max(self.seconds, default=0.0) * 1000,
            "elapsed_s": self.elapsed,
            "per_second": self.rate,
            "wrong": self.wrong,
            "errors": dict(self.errors),
            "outcomes": dict(self.outcomes),
            "cpu_seconds": None if self.cpu is None else vars(self.cpu),
            "cpu_ms_per_operation": self.cpu_ms(),
            "others_cores": None if self.cpu is None else self.cpu.others_cores,
        }

    def cpu_ms(self) -> dict[str, float]:
        return {} if self.cpu is None else self.cpu.per_operation_ms(len(self.seconds))


async def lookups(
    service: IdentityService, raw: RawDriver, profiles: int, total: int, seed: int
) -> list[Timings]:
    """``total`` sequential lookups per path, each of a random existing profile.

    The paths take turns in blocks of ``BLOCK``, so a neighbour's burst of work or a
    cache warming up hurts them alike; each draws its own indices (none reads a row
    another path just brought into the cache).
    """
    rng = random.Random(seed)
    runs = {
        "raw": Timings("raw driver: SELECT customer_id by (kind, value)"),
        "normalize": Timings("normalise only (phonenumbers, no I/O)"),
        "find": Timings("IdentityService.find(phone as typed)"),
        "lookup": Timings("normalise + IdentityService.lookup (GET /customers?identifier=)"),
    }

    async def raw_one(i: int) -> bool:
        return await raw.customer_of("phone", data.phone_e164(i)) == data.customer_id(i)

    async def normalize_one(i: int) -> bool:
        return service.normalize("phone", data.phone_display(i)).value == data.phone_e164(i)

    async def find_one(i: int) -> bool:
        found = await service.find(Identifier(kind="phone", value=data.phone_display(i)))
        return found == data.customer_id(i)

    async def lookup_one(i: int) -> bool:
        view = await service.lookup(service.normalize("phone", data.phone_display(i)))
        return view is not None and view["id"] == data.customer_id(i)

    paths: dict[str, Callable[[int], Awaitable[bool]]] = {
        "raw": raw_one,
        "normalize": normalize_one,
        "find": find_one,
        "lookup": lookup_one,
    }
    for one in paths.values():  # warm caches and statement caches, not measured
        for i in data.sample(rng, profiles, min(WARMUP, total // 4)):
            await one(i)
    meter, done = CpuSplitMeter(), 0
    meter.start()
    while done < total:
        size = min(BLOCK, total - done)
        for name, one in paths.items():
            timings = runs[name]
            for i in data.sample(rng, profiles, size):
                started = time.perf_counter()
                try:
                    ok = await one(i)
                except Exception as exc:
                    timings.errors[type(exc).__name__] += 1
                    continue
                timings.seconds.append(time.perf_counter() - started)
                timings.wrong += not ok
        done += size
    split = meter.stop()
    for timings in runs.values():
        timings.cpu = split
    return list(runs.values())


async def closed_loop(
    name: str,
    items: list[Any],
    concurrency: int,
    work: Callable[[Any], Awaitable[str]],
) -> Timings:
    """``concurrency`` tasks take the next item as soon as their last one is done."""
    timings = Timings(name)
    pending: Iterator[Any] = iter(items)

    async def worker() -> None:
        for item in pending:  # shared: each item goes to exactly one task
            started = time.perf_counter()
            try:
                outcome = await work(item)
            except Exception as exc:
                timings.errors[type(exc).__name__] += 1
                continue
            timings.seconds.append(time.perf_counter() - started)
            timings.outcomes[outcome] += 1

    meter = CpuSplitMeter()
    meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    timings.elapsed = time.perf_counter() - started
    timings.cpu = meter.stop()
    return timings


async def resolutions(
    service: IdentityService,
    factory: data.EventFactory,
    mix: data.EventMix,
    total: int,
    concurrency: int,
    name: str,
) -> Timings:
    async def resolve(event: CloudEvent) -> str:
        resolved = await service.resolver.resolve(event)
        kinds = [e.type for e in resolved.announcements]
        if "customer.merged" in kinds:
            return f"merged:{kinds.count('customer.merged')}"
        return "created" if "customer.identified" in kinds else "known"

    warmup = factory.batch(min(WARMUP, total // 4), mix)
    await closed_loop("warm-up", warmup, concurrency, resolve)
    return await closed_loop(name, factory.batch(total, mix), concurrency, resolve)


async def raw_transactions(
    raw: RawDriver, factory: data.EventFactory, mix: data.EventMix, total: int, concurrency: int
) -> Timings:
    """The same events' first identifier, one raw transaction each: SELECT + INSERT."""

    def first_key(event: CloudEvent) -> tuple[str, str, str]:
        ids = event.data.sender.identifiers
        kind = ids[-1].kind  # phone, already in the stored (E.164) form
        return event.id, kind, ids[-1].value

    async def transact(item: tuple[str, str, str]) -> str:
        await raw.transact(*item)
        return "done"

    warmup = [first_key(e) for e in factory.batch(min(WARMUP, total // 4), mix)]
    await closed_loop("warm-up", warmup, concurrency, transact)
    items = [first_key(e) for e in factory.batch(total, mix)]
    return await closed_loop(
        "raw driver: SELECT + INSERT, one transaction per event", items, concurrency, transact
    )
