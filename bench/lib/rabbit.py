"""RabbitMQ housekeeping: baseline names, cleanup, and a private vhost for the hubs.

The RabbitMQ here is shared with the test suite. Baselines declare only ``bench.<tag>.*``
names and delete them afterwards. The hub declares fixed names (``omnihub.pipeline``,
``omnihub.<consumer>`` …); in the default vhost its consumers would compete with a test
hub's for the same queues, so the hub scenarios get a vhost of their own, deleted (with
everything in it) when they finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterable
from typing import Any

import aio_pika
from yarl import URL

# The same queue type and delivery limit the hub's amqp transport declares, so the
# baselines pay for the same guarantees (replicated log, fsync) as the hub does.
QUEUE_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum", "x-delivery-limit": 20}
RABBITMQCTL_TIMEOUT = 60.0


def bench_names(tag: str, scenario: str) -> tuple[str, str, str, str]:
    """(ingress exchange, ingress queue, events exchange, consumer queue) of a scenario."""
    prefix = f"bench.{tag}.{scenario}"
    return f"{prefix}.in", f"{prefix}.relay", f"{prefix}.events", f"{prefix}.consumer"


def named(url: str, name: str) -> str:
    """``url`` with a connection name RabbitMQ shows, so a stray one is easy to spot."""
    return str(URL(url).update_query(name=name))


async def delete_names(url: str, queues: Iterable[str], exchanges: Iterable[str]) -> None:
    """Delete what a baseline declared; each on its own channel (a 404 closes a channel)."""
    connection = await aio_pika.connect(named(url, "bench cleanup"), timeout=10)
    try:
        for kind, names in (("queue", queues), ("exchange", exchanges)):
            for name in names:
                with contextlib.suppress(Exception):
                    channel = await connection.channel()
                    if kind == "queue":
                        await channel.queue_delete(name)
                    else:
                        await channel.exchange_delete(name)
                    await channel.close()
    finally:
        await connection.close()


def _rabbitmqctl(*args: str) -> None:
    command = shutil.which("rabbitmqctl")
    if command is None:
        raise RuntimeError("rabbitmqctl is not on PATH: cannot make a private vhost")
    subprocess.run([command, *args], check=True, capture_output=True, timeout=RABBITMQCTL_TIMEOUT)


@contextlib.asynccontextmanager
async def private_vhost(url: str, tag: str) -> AsyncIterator[str]:
    """A vhost ``bench.<tag>`` for the URL's user; yields the URL pointing into it."""
    vhost = f"bench.{tag}"
    user = URL(url).user or "guest"
    await asyncio.to_thread(_rabbitmqctl, "add_vhost", vhost)
    try:
        await asyncio.to_thread(
            _rabbitmqctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"
        )
        yield str(URL(url).with_path("/" + vhost))
    finally:
        await asyncio.to_thread(_rabbitmqctl, "delete_vhost", vhost)
