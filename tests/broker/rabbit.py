"""Helpers for tests against the real RabbitMQ: connection names and cleanup by test tag."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess

import aio_pika
from yarl import URL

from hub.broker import Broker
from hub.broker.amqp import AmqpBroker

# Tags of tests that declared something on RabbitMQ, swept once more at session end.
USED_TAGS: set[str] = set()


def named_url(url: str, name: str) -> str:
    """``url`` with a connection name RabbitMQ shows (and ``close_connection`` can target)."""
    return str(URL(url).update_query(name=name))


def declared_names(broker: Broker, tag: str) -> tuple[set[str], set[str]]:
    if not isinstance(broker, AmqpBroker):
        return set(), set()
    exchanges = {n for n in broker.declared_exchanges if tag in n}
    queues = {n for n in broker.declared_queues if tag in n}
    return exchanges, queues


async def delete_names(url: str, exchanges: set[str], queues: set[str]) -> None:
    if not (exchanges or queues):
        return
    connection = await aio_pika.connect(url)
    try:
        for name in sorted(queues):
            with contextlib.suppress(Exception):
                channel = await connection.channel()
                await channel.queue_delete(name)
                await channel.close()
        for name in sorted(exchanges):
            with contextlib.suppress(Exception):
                channel = await connection.channel()
                await channel.exchange_delete(name)
                await channel.close()
    finally:
        await connection.close()


async def delete_declared(url: str, broker: Broker, tag: str) -> None:
    """Delete what ``broker`` declared under this test's tag."""
    USED_TAGS.add(tag)
    exchanges, queues = declared_names(broker, tag)
    await delete_names(url, exchanges, queues)


def _rabbitmqctl_names(what: str) -> set[str]:
    command = shutil.which("rabbitmqctl")
    if command is None:
        return set()
    try:
        out = subprocess.run(
            [command, what, "-q", "--no-table-headers", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines() if line.strip()}


def leftovers(tags: set[str]) -> tuple[set[str], set[str]]:
    """Names on the local RabbitMQ that carry one of ``tags`` (needs ``rabbitmqctl``)."""
    if not tags:
        return set(), set()
    exchanges = {n for n in _rabbitmqctl_names("list_exchanges") if any(t in n for t in tags)}
    queues = {n for n in _rabbitmqctl_names("list_queues") if any(t in n for t in tags)}
    return exchanges, queues


_CONNECTION_NAME = re.compile(r'\{"connection_name","([^"]*)"\}')


def _ctl(*args: str, env: dict[str, str] | None = None, ctl: str | None = None) -> str:
    command = ctl or shutil.which("rabbitmqctl")
    if command is None:
        raise RuntimeError("rabbitmqctl is not installed")
    return subprocess.run(
        [command, *args], capture_output=True, text=True, timeout=60, check=True, env=env
    ).stdout


def close_named_connections_sync(
    fragment: str,
    *,
    node_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    ctl: str | None = None,
) -> int:
    """Close (server side) every connection whose client-provided name contains ``fragment``.

    Only this test's connections: the broker is shared with the rest of the suite, so
    ``close_all_connections`` would break other tests' connections too.
    """
    listing = _ctl(
        *node_args,
        "list_connections",
        "-q",
        "--no-table-headers",
        "pid",
        "client_properties",
        env=env,
        ctl=ctl,
    )
    closed = 0
    for line in listing.splitlines():
        pid, _, properties = line.partition("\t")
        match = _CONNECTION_NAME.search(properties)
        if match and fragment in match.group(1):
            with contextlib.suppress(subprocess.CalledProcessError):
                _ctl(*node_args, "close_connection", pid, "fault test", env=env, ctl=ctl)
                closed += 1
    return closed


async def close_named_connections(fragment: str) -> int:
    # rabbitmqctl takes about a second: run it off the loop, heartbeats must keep flowing.
    return await asyncio.to_thread(close_named_connections_sync, fragment)


async def consumer_count(broker: AmqpBroker, queue: str) -> int:
    async with broker.raw_channel() as channel:
        ok = await broker.guard(channel.queue_declare(queue, passive=True), queue)
        return ok.consumer_count or 0
