"""(c) The same relay written the FastStream way (``faststream[rabbit]`` from PyPI).

A subscriber with a typed body (FastStream decodes the JSON and FastDepends checks the
type), republishing with ``broker.publish`` on FastStream's default channel (publisher
confirms on), persistent and ``mandatory``; FastStream acks after the handler returned.
Its per-message log lines are switched off (``logger=None``): Omnihub does not log per
event either, and log I/O is not what is being compared.

Run by the driver: ``python -m bench.relays.faststream_relay --url … --queue … --exchange …``;
prints ``ready`` once consuming, stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage

from .aiopika_relay import stopped


def build(args: argparse.Namespace) -> RabbitBroker:
    broker = RabbitBroker(args.url, logger=None, graceful_timeout=5.0)
    events = RabbitExchange(args.exchange, type=ExchangeType.TOPIC, declare=False)

    @broker.subscriber(
        RabbitQueue(args.queue, declare=False),  # declared by the driver (quorum)
        channel=Channel(prefetch_count=args.prefetch),
    )
    async def relay(body: dict[str, Any], message: RabbitMessage) -> None:
        await broker.publish(
            body,
            exchange=events,
            routing_key=f"{body['type']}.{body.get('channel') or 'none'}",
            message_id=message.message_id,
            persist=True,
            mandatory=True,
        )

    return broker


async def serve(args: argparse.Namespace) -> None:
    broker = build(args)
    await broker.start()
    try:
        print("ready", flush=True)
        await stopped()
    finally:
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--exchange", required=True)
    parser.add_argument("--prefetch", type=int, default=128)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
