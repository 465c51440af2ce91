"""(d) Omnihub end to end: HTTP in → pipeline → ``omnihub.events`` → the bench consumer.

Real ``omnihub run`` processes (see ``hubs.py``), loaded over HTTP from this process:

* ``api-batch``  ``POST /api/v1/events`` with a JSON array of ``--batch`` events;
* ``api-single`` ``POST /api/v1/events`` with one event per request;
* ``webhook``    ``POST /webhooks/bench/inbound``, one signed message per request, as a
  channel such as WhatsApp delivers them (the bench plugin's stand-in route).

Latency is request start (or, at a fixed rate, the moment the request was due) → the
bench consumer's handler, both ``time.time()`` of this machine. Every event is valid,
names a customer, and passes the pipeline's dedupe, identity and consent stages as they
exist. ``d1`` is one hub as configured by default (the pipeline runs at the edge, before
one publish to ``omnihub.events``), ``d1i`` one hub with the pipeline as its own hop
through ``omnihub.ingress`` (the shape of the relay baselines), ``d1w`` one hub with
``[hub] workers`` (its processes share the port; the kernel spreads the connections),
``d2`` two default hubs sharing RabbitMQ and the SQLite file, with the requests spread
evenly over both. Senders and the bound on events outstanding scale with the processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp

from ..lib.events import (
    SIGNATURE_HEADER,
    customer_identified,
    encode,
    inbound_message,
    signature,
    webhook_body,
)
from ..lib.load import Ledger, chunks, closed_loop, open_loop
from ..lib.postgres import private_database
from ..lib.procs import CpuMeter
from ..lib.profile import Sampler, summarise
from ..lib.rabbit import private_vhost
from ..lib.report import progress
from ..lib.settings import Settings
from ..lib.stats import Result
from .hubs import HubProcess, HubSetup, Receipts, bench_plugin, running_hubs

WARM_UP = 500
MAX_IN_FLIGHT = 2000  # open loop: requests outstanding before the driver itself stalls


@dataclass(frozen=True)
class Load:
    name: str
    path: str
    per_request: int

    def prepare(
        self, setup: HubSetup, ids: Sequence[str]
    ) -> dict[str, tuple[bytes, dict[str, str]]]:
        """Request body and headers per batch, keyed by its first id; built before timing."""
        prepared: dict[str, tuple[bytes, dict[str, str]]] = {}
        for batch in chunks(ids, self.per_request):
            first = int(batch[0].rsplit("-", 1)[1])
            if self.path.startswith("/webhooks/"):
                body = webhook_body([inbound_message(i, first + k) for k, i in enumerate(batch)])
                headers = {SIGNATURE_HEADER: signature(setup.app_secret, body)}
            else:
                events = [customer_identified(i, first + k) for k, i in enumerate(batch)]
                body = encode(events if self.per_request > 1 else events[0])
                headers = {"Authorization": f"Bearer {setup.token}"}
            prepared[batch[0]] = (body, {**headers, "Content-Type": "application/json"})
        return prepared


API = "/api/v1/events"
WEBHOOK = "/webhooks/bench/inbound"


class Client:
    """Sends prepared requests round-robin over the hubs; a non-2xx answer is a refusal."""

    def __init__(self, session: aiohttp.ClientSession, hubs: list[HubProcess], path: str):
        self.session = session
        self.urls = itertools.cycle([hub.base_url + path for hub in hubs])
        self.prepared: dict[str, tuple[bytes, dict[str, str]]] = {}

    async def send(self, batch: Sequence[str]) -> None:
        body, headers = self.prepared[batch[0]]
        async with self.session.post(next(self.urls), data=body, headers=headers) as response:
            text = await response.text()
            if response.status not in (200, 202):
                raise RuntimeError(f"HTTP {response.status} {text[:160]}")


@dataclass
class HubRun:
    settings: Settings
    setup: HubSetup
    session: aiohttp.ClientSession
    hubs: list[HubProcess]
    receipts: Receipts
    cpu: CpuMeter
    prefix: str  # "d1" or "d2"
    title: str

    async def measure(
        self,
        load: Load,
        *,
        fixed_rate: bool = False,
        events: int | None = None,
        suffix: str = "",
    ) -> Result:
        s = self.settings
        key = f"{self.prefix}.{load.name}{suffix}" + ("@rate" if fixed_rate else "")
        count = events or (s.rate_events if fixed_rate else s.events)
        ids = [s.event_id(key.replace("@", "-"), n) for n in range(count)]
        client = Client(self.session, self.hubs, load.path)
        client.prepared = load.prepare(self.setup, ids)
        batches = chunks(ids, load.per_request)
        ledger = Ledger(time.time, len(ids))
        note = ""
        self.cpu.start()
        try:
            async with self.receipts.following(ledger), asyncio.timeout(s.timeout):
                if fixed_rate:
                    await open_loop(ledger, batches, client.send, s.rate, MAX_IN_FLIGHT)
                else:
                    senders = s.concurrency if load.per_request == 1 else s.batch_concurrency
                    processes = len(self.hubs) * self.setup.workers
                    senders *= processes
                    bound = s.outstanding * processes
                    await closed_loop(ledger, batches, client.send, senders, bound)
                await ledger.wait_all(s.timeout)
        except TimeoutError:
            note = f"timed out after {s.timeout:g}s"
        used = self.cpu.stop()
        mode = f"{s.rate:g}/s" if fixed_rate else "max"
        title = f"{self.title} {load.name}{suffix}"
        result = Result.of(key, title, mode, ledger, used, note)
        print(progress(result), flush=True)
        return result


def loads(settings: Settings) -> dict[str, Load]:
    return {
        "api-batch": Load("api-batch", API, settings.batch),
        "api-single": Load("api-single", API, 1),
        "webhook": Load("webhook", WEBHOOK, 1),
    }


async def amqp_usable(url: str) -> str | None:
    """None if the hub's amqp:// transport connects; otherwise why not."""
    from hub.broker import open_broker  # the hub's own transport, as `omnihub run` uses it

    broker = open_broker(url)
    try:
        await asyncio.wait_for(broker.connect(), 15)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await broker.close(0)
    return None


D1_RUNS = [  # (load, at the fixed rate?)
    ("api-batch", False),
    ("api-single", False),
    ("webhook", False),
    ("api-single", True),
    ("webhook", True),
]
D2_RUNS = [("api-batch", False), ("webhook", False)]
# One `omnihub run` with `[hub] workers` (--hub-workers, default: one per core).
D1W_RUNS = [("api-batch", False), ("webhook", False), ("api-single", True), ("webhook", True)]
# The same hub with the pipeline as its own broker hop (`[pipeline] mode = "ingress"`):
# the shape of the relay baselines (b) and (c).
D1I_RUNS = [("api-batch", False), ("webhook", False), ("webhook", True)]
# Where the CPU goes at saturation, and per event at the fixed rate (less batching there).
PROFILED_RUNS = [("api-batch", False), ("webhook", True)]


async def run(settings: Settings, cpu: CpuMeter, parts: set[str]) -> tuple[list[Result], str]:
    """``parts`` ⊆ {"d1", "d1i", "d1w", "d2", "profile"}; the rows and the profile summary."""
    results: list[Result] = []
    profile = ""
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)  # the load generator bounds concurrency
    work = settings.workdir / f"round-{settings.round}"  # hub dirs, fresh per round
    with bench_plugin():
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            if settings.hub_broker == "memory":
                # Fallback while amqp:// is unusable: one process (memory:// cannot be shared).
                setup = HubSetup(work / "hub-memory", "memory://")
                title = "(d) Omnihub memory://"
                with_profile = "profile" in parts
                return await measure_hubs(
                    settings, setup, session, cpu, 1, "dm", title, D1_RUNS, profile=with_profile
                )
            async with (
                private_vhost(settings.amqp_url, settings.tag) as url,
                stores(settings) as new_store,
            ):
                problem = await amqp_usable(url)
                if problem:
                    raise RuntimeError(f"the hub's amqp:// transport is not usable: {problem}")
                if parts & {"d1", "profile"}:
                    setup = HubSetup(work / "hub-one", url, store_url=await new_store())
                    runs = D1_RUNS if "d1" in parts else []
                    title = "(d) Omnihub 1 hub"
                    with_profile = "profile" in parts
                    rows, profile = await measure_hubs(
                        settings, setup, session, cpu, 1, "d1", title, runs, profile=with_profile
                    )
                    results += rows
                if "d1i" in parts:
                    setup = HubSetup(
                        work / "hub-ingress",
                        url,
                        pipeline_mode="ingress",
                        store_url=await new_store(),
                    )
                    title = "(d) Omnihub 1 hub, ingress hop"
                    rows, _ = await measure_hubs(
                        settings, setup, session, cpu, 1, "d1i", title, D1I_RUNS
                    )
                    results += rows
                if "d1w" in parts:
                    workers = settings.hub_workers
                    setup = HubSetup(
                        work / "hub-workers", url, workers=workers, store_url=await new_store()
                    )
                    title = f"(d) Omnihub 1 hub, {workers} workers"
                    rows, _ = await measure_hubs(
                        settings, setup, session, cpu, 1, "d1w", title, D1W_RUNS
                    )
                    results += rows
                if "d2" in parts:
                    setup = HubSetup(work / "hub-two", url, store_url=await new_store())
                    rows, _ = await measure_hubs(
                        settings, setup, session, cpu, 2, "d2", "(d) Omnihub 2 hubs", D2_RUNS
                    )
                    results += rows
    return results, profile


@contextlib.asynccontextmanager
async def stores(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[str | None]]]:
    """``new_store()`` per hub setup: None (a SQLite file of its own) or a fresh
    PostgreSQL schema (``--hub-store postgresql``)."""
    if settings.hub_store != "postgresql":

        async def sqlite() -> None:
            return None

        yield sqlite
        return
    async with private_database(settings.postgres_url, settings.tag) as new_store:
        yield new_store


async def measure_hubs(
    settings: Settings,
    setup: HubSetup,
    session: aiohttp.ClientSession,
    cpu: CpuMeter,
    count: int,
    prefix: str,
    title: str,
    runs: list[tuple[str, bool]],
    *,
    profile: bool = False,
) -> tuple[list[Result], str]:
    """Start ``count`` hubs, warm them up, measure ``runs``, optionally profile hub 0.

    A failure (a hub that does not start, a run that breaks) is printed and ends this
    group only: what was measured before it is kept.
    """
    setup.workdir.mkdir(parents=True)
    results: list[Result] = []
    summary = ""
    by_name = loads(settings)
    try:
        async with running_hubs(setup, count, session) as hubs:
            labels = cpu_labels(hubs)
            for label, pid in labels.items():
                cpu.watch(label, pid)
            try:
                receipts = Receipts([h.receipts for h in hubs])
                run = HubRun(settings, setup, session, hubs, receipts, cpu, prefix, title)
                await run.measure(by_name["api-batch"], events=WARM_UP, suffix="-warm-up")
                for name, fixed_rate in runs:
                    results.append(await run.measure(by_name[name], fixed_rate=fixed_rate))
                if profile:
                    summaries = []
                    for name, fixed_rate in PROFILED_RUNS:
                        row, text = await profiled(run, by_name[name], fixed_rate, hubs[0])
                        results.append(row)
                        summaries.append(f"-- {row.title} at {row.mode}:\n{text}")
                    summary = "\n".join(summaries)
            finally:
                for label in labels:
                    cpu.forget(label)
    except Exception:
        print(f"! {title} failed:\n{traceback.format_exc()}", flush=True)
    return results, summary


def cpu_labels(hubs: list[HubProcess]) -> dict[str, int]:
    """Label → pid of every process doing a hub's work: hub, hub0 …, or hub.w0 … (workers)."""
    labels = {}
    for hub in hubs:
        name = f"hub{hub.index}" if len(hubs) > 1 else "hub"
        pids = hub.worker_pids()
        for i, pid in enumerate(pids):
            labels[name if len(pids) == 1 else f"{name}.w{i}"] = pid
    return labels


async def profiled(
    run: HubRun, load: Load, fixed_rate: bool, hub: HubProcess
) -> tuple[Result, str]:
    """An extra run with py-spy sampling the hub; its figures are not reported."""
    name = f"profile-hub-{load.name}" + ("-rate" if fixed_rate else "")
    raw = run.settings.results_dir / f"{name}.raw.txt"
    sampler = Sampler(hub.pid, raw)
    try:
        await asyncio.sleep(1.0)  # py-spy attaches
        row = await run.measure(load, fixed_rate=fixed_rate, suffix="-profiled")
    finally:
        sampler.stop()
    row.note = "py-spy attached: for the profile only, not a reported figure"
    if not raw.exists():
        return row, f"py-spy wrote nothing; see {sampler.log}"
    summary = summarise(raw).render()
    raw.with_name(f"{name}.summary.txt").write_text(summary + "\n")
    return row, summary
