"""(b) raw aio-pika and (c) FastStream: producer → relay process → consumer.

The relay runs in its own process (``bench/relays/``); producer and consumer run here, so
latency is measured on one monotonic clock although the message crosses two processes:
publish → queue ``…relay`` → relay (consume, republish with confirm, ack) → topic
exchange ``…events`` → queue ``…consumer`` → consumer. That is the shape of Omnihub's
ingress → pipeline → ``omnihub.events`` → consumer path, written by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import aio_pika
from aio_pika import ExchangeType

from ..lib.procs import CpuMeter, started, tail
from ..lib.rabbit import QUEUE_ARGUMENTS, bench_names, delete_names, named
from ..lib.settings import REPO, Settings
from ..lib.stats import Result
from .baseline import Producer, Receiver, measure, warm_up

RELAYS = {
    "b": ("bench.relays.aiopika_relay", "(b) raw aio-pika relay, 2 processes"),
    "c": ("bench.relays.faststream_relay", "(c) FastStream relay, 2 processes"),
}
READY_TIMEOUT = 30.0


async def wait_ready(log: Path, alive: Callable[[], bool]) -> None:
    """Until the relay printed ``ready``; fail with its output if it died or hung."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while loop.time() < deadline:
        if "ready" in tail(log).split():
            return
        if not alive():
            raise RuntimeError(f"relay exited before it was ready:\n{tail(log)}")
        await asyncio.sleep(0.1)
    raise RuntimeError(f"relay not ready within {READY_TIMEOUT:g}s:\n{tail(log)}")


async def run(settings: Settings, cpu: CpuMeter, key: str) -> list[Result]:
    module, title = RELAYS[key]
    in_name, relay_queue, events_name, consumer_queue = bench_names(settings.tag, key)
    results: list[Result] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            publisher = await aio_pika.connect(named(settings.amqp_url, f"bench {key} publisher"))
            stack.push_async_callback(publisher.close)
            consumer = await aio_pika.connect(named(settings.amqp_url, f"bench {key} consumer"))
            stack.push_async_callback(consumer.close)

            channel = await publisher.channel(publisher_confirms=True, on_return_raises=True)
            ingress = await channel.declare_exchange(in_name, ExchangeType.DIRECT, durable=True)
            events = await channel.declare_exchange(events_name, ExchangeType.TOPIC, durable=True)
            for queue_name, exchange, pattern in (
                (relay_queue, ingress, "event"),
                (consumer_queue, events, "customer.#"),
            ):
                queue = await channel.declare_queue(
                    queue_name, durable=True, arguments=QUEUE_ARGUMENTS
                )
                await queue.bind(exchange, pattern)

            consuming = await consumer.channel()
            await consuming.set_qos(prefetch_count=settings.prefetch)
            receiver = Receiver()
            await receiver.start(await consuming.get_queue(consumer_queue))

            argv = [
                sys.executable,
                "-m",
                module,
                "--url",
                named(settings.amqp_url, f"bench {key} relay"),
                "--queue",
                relay_queue,
                "--exchange",
                events_name,
                "--prefetch",
                str(settings.prefetch),
            ]
            log = settings.workdir / f"relay-{key}.log"
            process = stack.enter_context(
                started(argv, log=log, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
            )
            stack.callback(cpu.forget, "relay")
            await wait_ready(log, lambda: process.poll() is None)
            cpu.watch("relay", process.pid)

            producer = Producer(ingress, "event")
            await warm_up(settings, producer, receiver, key)
            for fixed_rate in (False, True):
                results.append(
                    await measure(
                        key=key,
                        title=title,
                        settings=settings,
                        producer=producer,
                        receiver=receiver,
                        cpu=cpu,
                        fixed_rate=fixed_rate,
                    )
                )
    finally:
        await delete_names(settings.amqp_url, [relay_queue, consumer_queue], [in_name, events_name])
    return results
