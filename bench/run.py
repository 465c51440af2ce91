"""Omnihub benchmark: every scenario measured in one run on this machine, then the ratios.

    .venv/bin/python bench/run.py                    # everything (make bench)
    .venv/bin/python bench/run.py --only a,b,c       # baselines only
    .venv/bin/python bench/run.py --only d1 --events 20000 --rate 300

Scenarios: (a) raw aio-pika publish→consume · (b) raw aio-pika relay in two processes ·
(c) FastStream relay · (d1) one ``omnihub run`` · (d1i) one, pipeline as its own hop ·
(d1w) one with ``[hub] workers`` · (d2) two · profile (py-spy on d1).
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
import subprocess
import sys
import tempfile
import traceback
import uuid
from dataclasses import replace
from pathlib import Path

from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

from bench.lib import report
from bench.lib.procs import CpuMeter, busy_seconds, find_rabbitmq, interruptible
from bench.lib.settings import REPO, Settings
from bench.lib.stats import Result, median_run
from bench.scenarios import omnihub, raw_aiopika, relay

PARTS = ("a", "b", "c", "d1", "d1i", "d1w", "d2", "profile")
QUIET_CORES = 0.3
HUB_PARTS = {"d1", "d1i", "d1w", "d2", "profile"}
ALIASES = {"d": tuple(sorted(HUB_PARTS))}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    p.add_argument("--events", type=int, default=10_000, help="events per max-throughput run")
    p.add_argument("--rate", type=float, default=300.0, help="offered events/s of latency runs")
    p.add_argument("--rate-seconds", type=float, default=10.0, help="length of a latency run")
    p.add_argument("--batch", type=int, default=50, help="events per request in api-batch")
    p.add_argument(
        "--concurrency", type=int, default=32, help="single-event requests in flight per hub"
    )
    p.add_argument(
        "--batch-concurrency", type=int, default=4, help="batch requests in flight per hub"
    )
    p.add_argument(
        "--hub-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="d1w: [hub] workers of its one omnihub run (default: one per core)",
    )
    p.add_argument(
        "--hub-store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the hubs' store: a SQLite file (default) or a database of its own on PostgreSQL",
    )
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="--hub-store postgresql: where the benchmark creates (and drops) its database",
    )
    p.add_argument("--window", type=int, default=256, help="baselines: unconfirmed publishes")
    p.add_argument("--prefetch", type=int, default=128, help="baselines: unacked deliveries")
    p.add_argument(
        "--outstanding",
        type=int,
        default=1000,
        help="closed loop: events sent but not yet received, at most (per hub)",
    )
    p.add_argument("--timeout", type=float, default=300.0, help="bound of each run, seconds")
    p.add_argument("--repeat", type=int, default=1, help="rounds of everything; median shown")
    p.add_argument("--only", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}, d")
    p.add_argument(
        "--hub-broker",
        choices=("auto", "amqp", "memory"),
        default="auto",
        help="auto: amqp:// when the hub's transport connects, else memory://",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=REPO / "bench" / "results",
        help="where the JSON and the profile go (a dated folder inside)",
    )
    p.add_argument("--keep-workdir", action="store_true", help="keep hub configs, logs, receipts")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each round, wait up to this many seconds for an idle machine (< 0.3 cores)",
    )
    return p.parse_args(argv)


def selected(only: str) -> list[str]:
    wanted: set[str] = set()
    for item in filter(None, (w.strip() for w in only.split(","))):
        if item not in PARTS and item not in ALIASES:
            raise SystemExit(f"--only: unknown scenario {item!r}; choose from {PARTS} or d")
        wanted.update(ALIASES.get(item, (item,)))
    return [p for p in PARTS if p in wanted]


async def choose_hub_broker(args: argparse.Namespace) -> str:
    if args.hub_broker != "auto":
        return str(args.hub_broker)
    problem = await omnihub.amqp_usable(args.amqp_url)
    if problem is None:
        return "amqp"
    print(f"! the hub's amqp:// transport is not usable ({problem}); (d) runs on memory://")
    return "memory"


async def rabbitmq_version(url: str) -> str:
    import aiormq

    try:
        connection = await asyncio.wait_for(aiormq.connect(url), 10)
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    try:
        version = connection.server_properties.get("version", b"?")
        return version.decode() if isinstance(version, bytes) else str(version)
    finally:
        await connection.close()


async def busy_cores(seconds: float = 3.0) -> float:
    """Cores the machine keeps busy while the benchmark does nothing: the noise floor."""
    before = busy_seconds()
    await asyncio.sleep(seconds)
    return (busy_seconds() - before) / seconds


async def wait_quiet(limit: float) -> float:
    """Sample until the machine is nearly idle or ``limit`` seconds passed; the last sample."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    busy = await busy_cores()
    while busy >= QUIET_CORES and loop.time() < deadline:
        print(f"  machine busy ({busy:.2f} cores elsewhere); waiting for it to settle", flush=True)
        await asyncio.sleep(10)
        busy = await busy_cores()
    return busy


def revision() -> str:
    """The commit measured (read-only git), marked when the tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "hub", "contracts"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return head + (" + uncommitted hub/contracts changes" if dirty else "")


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


async def one_round(
    settings: Settings, parts: list[str], cpu: CpuMeter
) -> tuple[list[Result], str]:
    """Every selected scenario once; a failing one is reported and the others still run."""
    results: list[Result] = []
    profile = ""
    steps = [
        ("a", lambda: raw_aiopika.run(settings, cpu)),
        ("b", lambda: relay.run(settings, cpu, "b")),
        ("c", lambda: relay.run(settings, cpu, "c")),
    ]
    for part, step in steps:
        if part not in parts:
            continue
        print(f"-- scenario ({part})", flush=True)
        try:
            rows = await step()
        except Exception:
            print(f"! scenario ({part}) failed:\n{traceback.format_exc()}")
            continue
        for row in rows:
            print(report.progress(row))
        results += rows
    hub_parts = set(parts) & HUB_PARTS
    if hub_parts:
        names = ", ".join(sorted(hub_parts))
        print(f"-- scenario (d) on {settings.hub_broker}://: {names}", flush=True)
        try:
            rows, profile = await omnihub.run(settings, cpu, hub_parts)
            results += rows
        except Exception:
            print(f"! scenario (d) failed:\n{traceback.format_exc()}")
    return results, profile


async def measure(settings: Settings, parts: list[str]) -> tuple[list[Result], str]:
    """``settings.repeat`` rounds of all scenarios, then the median round per figure.

    Rounds rather than repeating each scenario in place: the machine is shared, and a
    burst of someone else's work then hurts one round of every scenario instead of every
    run of one scenario.
    """
    cpu = CpuMeter()
    cpu.watch("driver", os.getpid())
    cpu.watch("rabbitmq", find_rabbitmq(URL(settings.amqp_url).port or 5672))
    runs: dict[str, list[Result]] = {}
    profile = ""
    for number in range(settings.repeat):
        if settings.repeat > 1:
            print(f"== round {number + 1} of {settings.repeat}", flush=True)
        if number > 0 and settings.quiet_wait > 0:
            await wait_quiet(settings.quiet_wait)
        # One profile is enough, and it is not a reported figure.
        todo = parts if number == 0 else [p for p in parts if p != "profile"]
        rows, text = await one_round(replace(settings, round=number), todo, cpu)
        profile = profile or text
        for row in rows:
            runs.setdefault(row.key, []).append(row)
    results = [median_run(rows, fixed_rate="@" in key) for key, rows in runs.items()]
    return results, profile


async def settings_from(args: argparse.Namespace, parts: list[str], results_dir: Path) -> Settings:
    hub_broker = await choose_hub_broker(args) if set(parts) & HUB_PARTS else "amqp"
    return Settings(
        amqp_url=args.amqp_url,
        events=args.events,
        rate=args.rate,
        rate_seconds=args.rate_seconds,
        batch=args.batch,
        concurrency=args.concurrency,
        batch_concurrency=args.batch_concurrency,
        window=args.window,
        prefetch=args.prefetch,
        outstanding=args.outstanding,
        timeout=args.timeout,
        repeat=max(1, args.repeat),
        quiet_wait=args.quiet_wait,
        tag=uuid.uuid4().hex[:8],
        workdir=Path(tempfile.mkdtemp(prefix="omnihub-bench-")),
        results_dir=results_dir,
        hub_broker=hub_broker,
        hub_workers=max(1, args.hub_workers),
        hub_store=args.hub_store,
        postgres_url=args.postgres_url,
    )


async def describe(settings: Settings, stamp: str, idle: float) -> str:
    return (
        f"Omnihub benchmark {stamp} · {machine()} · RabbitMQ "
        f"{await rabbitmq_version(settings.amqp_url)} · commit {revision()} · tag {settings.tag}\n"
        f"busy elsewhere before start: {idle:.2f} cores · events/run {settings.events} · "
        f"fixed rate {settings.rate:g}/s for {settings.rate_seconds:g}s · batch "
        f"{settings.batch} · window {settings.window} · prefetch {settings.prefetch} · "
        f"outstanding ≤ {settings.outstanding} · hub store {settings.hub_store} · "
        f"hub workers (d1w) {settings.hub_workers} · repeat {settings.repeat}"
    )


async def main_async(args: argparse.Namespace) -> int:
    parts = selected(args.only)
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    results_dir = args.results / stamp
    results_dir.mkdir(parents=True, exist_ok=True)
    settings = await settings_from(args, parts, results_dir)
    try:
        header = await describe(settings, stamp, await wait_quiet(args.quiet_wait))
        print(header, flush=True)
        results, profile = await measure(settings, parts)
    finally:
        if args.keep_workdir:
            print(f"work dir kept: {settings.workdir}")
        else:
            shutil.rmtree(settings.workdir, ignore_errors=True)
    print(f"\n{header}\n{report.full(results, profile)}")
    path = results_dir / "results.json"
    path.write_text(
        json.dumps({"header": header, "results": [r.as_json() for r in results]}, indent=2) + "\n"
    )
    print(f"\nresults: {path}" + (f" · profile: {results_dir}/profile-hub.*" if profile else ""))
    return 0 if results else 1


def main() -> int:
    return asyncio.run(
        interruptible(main_async(parse_args()), "stopping processes and deleting queues first")
    )


if __name__ == "__main__":
    sys.exit(main())
