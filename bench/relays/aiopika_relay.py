"""(b) The hand-written relay: consume queue A, republish to a topic exchange, then ack.

The equivalent of Omnihub's ingress → pipeline → events hop with nothing in between:
the body is forwarded as is (routed by the AMQP ``type`` property, no parsing), the
publish waits for its confirm before the ack (nothing lost), and aio-pika runs one task
per delivery, so up to ``--prefetch`` messages are relayed at once.

Run by the driver: ``python -m bench.relays.aiopika_relay --url … --queue … --exchange …``;
prints ``ready`` once consuming, stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, DeliveryMode


async def relay(args: argparse.Namespace) -> None:
    connection = await aio_pika.connect(args.url, timeout=10)
    try:
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=args.prefetch)
        publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await publishing.get_exchange(args.exchange)  # declared by the driver
        queue = await consuming.get_queue(args.queue)

        async def forward(incoming: AbstractIncomingMessage) -> None:
            message = aio_pika.Message(
                incoming.body,
                message_id=incoming.message_id,
                content_type=incoming.content_type,
                type=incoming.type,
                headers=incoming.headers,
                delivery_mode=DeliveryMode.PERSISTENT,
            )
            await exchange.publish(message, f"{incoming.type}.none", mandatory=True)
            await incoming.ack()

        await queue.consume(forward)
        print("ready", flush=True)
        await stopped()
    finally:
        await connection.close()


async def stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--exchange", required=True)
    parser.add_argument("--prefetch", type=int, default=128)
    asyncio.run(relay(parser.parse_args()))


if __name__ == "__main__":
    main()
