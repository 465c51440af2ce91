"""(a) Raw aio-pika, one process: publish with confirms → quorum queue → consume with acks.

The floor of what any Python service on this RabbitMQ can do per hop: no relay, no HTTP,
no parsing. Publisher and consumer use separate connections, as RabbitMQ advises (flow
control on a publisher must not stall the consumer).
"""

from __future__ import annotations

import contextlib

import aio_pika
from aio_pika import ExchangeType

from ..lib.procs import CpuMeter
from ..lib.rabbit import QUEUE_ARGUMENTS, bench_names, delete_names, named
from ..lib.settings import Settings
from ..lib.stats import Result
from .baseline import Producer, Receiver, measure, warm_up

TITLE = "(a) raw aio-pika publish→consume"


async def run(settings: Settings, cpu: CpuMeter) -> list[Result]:
    exchange_name, queue_name, _, _ = bench_names(settings.tag, "a")
    results: list[Result] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            publisher = await aio_pika.connect(named(settings.amqp_url, "bench a publisher"))
            stack.push_async_callback(publisher.close)
            consumer = await aio_pika.connect(named(settings.amqp_url, "bench a consumer"))
            stack.push_async_callback(consumer.close)

            channel = await publisher.channel(publisher_confirms=True, on_return_raises=True)
            exchange = await channel.declare_exchange(
                exchange_name, ExchangeType.DIRECT, durable=True
            )
            queue = await channel.declare_queue(queue_name, durable=True, arguments=QUEUE_ARGUMENTS)
            await queue.bind(exchange, "event")

            consuming = await consumer.channel()
            await consuming.set_qos(prefetch_count=settings.prefetch)
            receiver = Receiver()
            await receiver.start(await consuming.get_queue(queue_name))
            producer = Producer(exchange, "event")

            await warm_up(settings, producer, receiver, "a")
            for fixed_rate in (False, True):
                results.append(
                    await measure(
                        key="a",
                        title=TITLE,
                        settings=settings,
                        producer=producer,
                        receiver=receiver,
                        cpu=cpu,
                        fixed_rate=fixed_rate,
                    )
                )
    finally:
        await delete_names(settings.amqp_url, [queue_name], [exchange_name])
    return results
