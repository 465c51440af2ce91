"""CPU per event of one in-process hub: a quick probe for optimising, not the benchmark.

    .venv/bin/python bench/probe.py --broker memory --repeat 3
    .venv/bin/python bench/probe.py --broker amqp --events 12000

Each round starts a fresh hub (SQLite in a temp dir, uvloop, edge pipeline, a trivial
purpose-free consumer on ``customer.#``), sends a warm-up, then ``--events`` of the
benchmark's payload through ``Hub.publish`` (what ``POST /api/v1/events`` calls) in
batches of ``--batch`` with ``--in-flight`` batches outstanding, and waits until the
consumer was handed every event. It prints ``time.process_time()`` per event (all
threads of this process: the hub's CPU, not RabbitMQ's) and events/s, then the medians.
``amqp`` runs in a private vhost (``rabbitmqctl``), deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

from bench.lib.events import customer_identified
from bench.lib.rabbit import private_vhost
from hub import CloudEvent, Consumer
from hub.logging import configure_logging
from hub.runtime import Hub
from hub.serve import tune_collector
from hub.testing.harness import make_config

WARM_UP = 500


class Counter:
    """The consumer: counts what it is handed, and says when ``target`` arrived."""

    def __init__(self) -> None:
        self.seen = 0
        self.target = 0
        self.done = asyncio.Event()

    async def __call__(self, event: CloudEvent) -> None:
        self.seen += 1
        if self.seen >= self.target:
            self.done.set()

    async def wait(self, target: int) -> None:
        self.target, self.done = target, asyncio.Event()
        if self.seen < target:
            await self.done.wait()


@contextlib.asynccontextmanager
async def broker_url(kind: str, amqp_url: str) -> AsyncIterator[str]:
    if kind == "memory":
        yield "memory://"
    else:
        async with private_vhost(amqp_url, f"probe.{uuid.uuid4().hex[:8]}") as url:
            yield url


async def send(hub: Hub, first: int, count: int, batch: int, in_flight: int) -> None:
    tag = uuid.uuid4().hex[:8]
    batches = iter(range(first, first + count, batch))

    async def worker() -> None:
        for start in batches:
            stop = min(start + batch, first + count)
            await hub.publish([customer_identified(f"{tag}-{n}", n) for n in range(start, stop)])

    await asyncio.gather(*(worker() for _ in range(in_flight)))


async def one_round(args: argparse.Namespace) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="omnihub-probe-") as tmp:
        async with broker_url(args.broker, args.amqp_url) as url:
            hub = Hub(make_config(Path(tmp), broker_url=url), discover=False)
            counter = Counter()
            await hub.start()
            try:
                consumer = Consumer("probe", ("customer.#",), counter, purposes=())
                await hub.add_consumer(consumer)
                tune_collector()  # as `omnihub run` does once the hub serves
                await send(hub, 0, WARM_UP, args.batch, args.in_flight)
                await counter.wait(WARM_UP)
                cpu, wall = time.process_time(), time.perf_counter()
                await send(hub, WARM_UP, args.events, args.batch, args.in_flight)
                await counter.wait(WARM_UP + args.events)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            finally:
                await hub.stop()
                gc.unfreeze()  # the next round's hub starts from a clean slate
    return cpu * 1000 / args.events, args.events / wall


async def main(args: argparse.Namespace) -> None:
    configure_logging(json=True, level="info")  # as `omnihub run` by default
    rounds = []
    for n in range(args.repeat):
        ms, rate = await one_round(args)
        rounds.append((ms, rate))
        print(f"{args.broker} round {n + 1}: {ms:.3f} ms CPU/event, {rate:,.0f} events/s")
    ms = statistics.median(r[0] for r in rounds)
    rate = statistics.median(r[1] for r in rounds)
    print(f"{args.broker} median of {len(rounds)}: {ms:.3f} ms CPU/event, {rate:,.0f} events/s")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", choices=("memory", "amqp"), default="memory")
    parser.add_argument("--events", type=int, default=12_000)
    parser.add_argument("--batch", type=int, default=50, help="events per publish call")
    parser.add_argument("--in-flight", type=int, default=4, help="publish calls outstanding")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the medians are printed")
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(parse()))
