"""Identity resolution benchmark (issue 4): lookup latency and resolution throughput with
many profiles, on SQLite and on PostgreSQL, each beside a raw-driver baseline.

    .venv/bin/python bench/identity.py --backend sqlite,postgresql --profiles 1000000

Per backend: a fresh database seeded with N profiles (3 identifiers and 2 traits each,
straight into the tables), then sequential lookups through ``IdentityService`` and the
bare driver, then ``message.received`` events through ``IdentityResolver.resolve`` with a
fixed number of tasks in flight (with and without merges) and a raw transaction per event.
A benchmark, not a test: nothing here asserts a time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

import structlog
from omnihub_contracts import core_registry

from bench.lib import identity_data as data
from bench.lib.identity_cpu import watch_postgres
from bench.lib.identity_db import (
    RawDriver,
    RawPostgres,
    RawSqlite,
    postgres_database,
    seed_postgres,
    seed_sqlite,
)
from bench.lib.identity_report import as_json, merges, table, target
from bench.lib.identity_runs import lookups, raw_transactions, resolutions
from bench.lib.procs import interruptible
from bench.lib.settings import REPO
from bench.run import busy_cores, machine, revision, wait_quiet
from hub.identity import IdentityService
from hub.store import SqlStore, open_store

BACKENDS = ("sqlite", "postgresql")
POOL_SIZE = 10  # PostgresDatabase's default max_connections, for the raw baseline too


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", default=",".join(BACKENDS), help="comma list: sqlite, postgresql")
    p.add_argument("--profiles", type=int, default=1_000_000, help="profiles seeded")
    p.add_argument("--lookups", type=int, default=20_000, help="lookups per path")
    p.add_argument("--events", type=int, default=20_000, help="events per resolution run")
    p.add_argument("--concurrency", type=int, default=32, help="resolutions in flight")
    p.add_argument(
        "--postgres-server",
        default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/"),
        help="server URL without a database; omnihub_bench_<pid> is created and dropped",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="after seeding, wait up to this many seconds for an idle machine (< 0.3 cores)",
    )
    p.add_argument("--seed", type=int, default=4, help="random seed of samples and events")
    p.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    p.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="ANALYZE the seeded SQLite file (the hub never does; see bench/README.md)",
    )
    p.add_argument("--keep", action="store_true", help="keep the SQLite file and the database")
    args = p.parse_args(argv)
    args.backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if unknown := set(args.backends) - set(BACKENDS):
        p.error(f"--backend: unknown {sorted(unknown)}; choose from {', '.join(BACKENDS)}")
    if not 2 <= args.profiles <= data.MAX_PROFILES // 2:
        p.error(f"--profiles: from 2 to {data.MAX_PROFILES // 2}")
    return args


@asynccontextmanager
async def backend_store(
    backend: str, args: argparse.Namespace
) -> AsyncIterator[tuple[SqlStore, RawDriver, float]]:
    """A fresh, seeded store for ``backend``, its raw driver and the seconds seeding took;
    everything removed afterwards (unless ``--keep``)."""
    watch_postgres(None)
    if backend == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="omnihub-identity-bench-"))
        path = workdir / "hub.db"
        store = open_store(f"sqlite:///{path}")
        try:
            await store.open()
            seeded = await seed_sqlite(path, args.profiles, analyze=args.sqlite_analyze)
            raw: RawDriver = await RawSqlite.open(path)
            try:
                yield store, raw, seeded
            finally:
                await raw.close()
        finally:
            await store.close()
            if args.keep:
                print(f"  SQLite file kept: {path}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        return
    async with postgres_database(args.postgres_server, args.keep) as url:
        watch_postgres(url.rsplit("/", 1)[1])
        store = open_store(url)
        try:
            await store.open()
            seeded = await seed_postgres(url, args.profiles)
            raw = await RawPostgres.open(url, POOL_SIZE)
            try:
                yield store, raw, seeded
            finally:
                await raw.close()
        finally:
            await store.close()


async def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"-- {backend}: seeding {args.profiles:,} profiles", flush=True)
    async with backend_store(backend, args) as (store, raw, seeded):
        print(f"   seeded in {seeded:.1f} s", flush=True)
        if args.quiet_wait > 0:
            await wait_quiet(args.quiet_wait)
        registry = core_registry()
        service = IdentityService(store, registry)
        print(f"   {args.lookups:,} lookups per path, one at a time", flush=True)
        found = await lookups(service, raw, args.profiles, args.lookups, args.seed)
        factory = data.EventFactory(registry, args.profiles, args.seed)
        plain, linking = data.EventMix(args.profiles), data.EventMix(args.profiles, link=0.05)
        print(f"   {args.events:,} resolutions, {args.concurrency} in flight", flush=True)
        runs = [
            await resolutions(
                service, factory, plain, args.events, args.concurrency,
                "resolve: 80 % known, 20 % new",
            ),
            await resolutions(
                service, factory, linking, args.events, args.concurrency,
                "resolve: 5 % link two profiles (merge)",
            ),
            await raw_transactions(raw, factory, plain, args.events, args.concurrency),
        ]  # fmt: skip
    return {"backend": backend, "seed_seconds": seeded, "lookups": found, "resolutions": runs}


async def main_async(args: argparse.Namespace) -> int:
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # warnings+
    header = (
        f"Omnihub identity benchmark {stamp} · {machine()} · commit {revision()}\n"
        f"profiles {args.profiles:,} · lookups {args.lookups:,} per path · events "
        f"{args.events:,} per run · concurrency {args.concurrency} · SQLite ANALYZE "
        f"{'yes' if args.sqlite_analyze else 'no'}\n"
        f"busy elsewhere before start: {await busy_cores():.2f} cores · {platform.platform()}"
    )
    print(header, flush=True)
    results = []
    for backend in args.backends:
        started = time.perf_counter()
        result = await measure(backend, args)
        print(f"   {backend} done in {time.perf_counter() - started:.0f} s", flush=True)
        results.append(result)
    print(f"\n{header}")
    for result in results:
        print(table(result) + f"\nmerges done: {merges(result)}")
    print("\n" + target(results))
    folder = args.results / f"{stamp}-identity"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    body = {"header": header, "results": [as_json(r) for r in results], "target": target(results)}
    path.write_text(json.dumps(body, indent=2) + "\n")
    print(f"results: {path}")
    return 0


def main() -> int:
    return asyncio.run(
        interruptible(main_async(parse_args()), "cleaning up (database, SQLite file)")
    )


if __name__ == "__main__":
    sys.exit(main())
