"""The broker closes the hub processes' connections under load (issue 3, items 2 and 5).

Only this test's hubs lose their connections (``rabbitmqctl close_connection`` by the
client-provided name each hub gets in its generated ``hub.toml``), never anyone else's on
the shared broker. While a hub reconnects its API answers 503 with ``Retry-After`` or
takes the events; afterwards each queue has its consumers back and every accepted event
had its effect exactly once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.broker.rabbit import close_named_connections
from tests.broker.support import wait_until

from .cluster import PIPELINE, TOKEN, Cluster
from .load import Ledger, Poster

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

ROUNDS = 3


@pytest.mark.timeout(180)
async def test_closed_broker_connections_under_load(cluster: Cluster) -> None:
    hubs = await cluster.start(2)
    poster = Poster(cluster.session, hubs, cluster.tag, rate=100)
    ledger = Ledger(f"close_connection of both hubs x{ROUNDS} under load", poster, hubs)
    stop = asyncio.Event()
    load = asyncio.create_task(poster.post(100_000, stop))

    async def progress(more: int = 60) -> None:
        target = sum(ledger.effects().values()) + more
        await wait_until(lambda: sum(ledger.effects().values()) >= target, 60, "progress")

    async def recovered() -> None:
        for hub in hubs:
            await hub.wait_ready(cluster.session, within=60)
        await cluster.consumers_back(len(hubs))

    for _ in range(ROUNDS):
        await progress()
        assert await close_named_connections(cluster.connection_fragment) >= len(hubs)
        await recovered()
    await progress()
    stop.set()
    await load
    await wait_until(ledger.complete, 60, "every accepted event effected")
    queues = await cluster.quiet()

    listed = []
    for hub in hubs:
        async with cluster.session.get(
            f"{hub.url}/api/v1/consumers", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as response:
            assert response.status == 200
            listed.append((await response.json())["consumers"])
    lost_connection = [sum(e == "amqp_connection_lost" for e in h.log_events()) for h in hubs]
    reconnected = [sum(e == "amqp_reconnected" for e in h.log_events()) for h in hubs]
    ledger.notes += [
        f"connections lost / reconnected per hub: {lost_connection} / {reconnected}",
        f"consumers per queue after: { {q: c for q, (_, c) in queues.items() if c} }",
    ]
    ledger.check()
    assert not poster.down  # the HTTP side never went away
    assert all(n >= ROUNDS for n in reconnected), reconnected
    assert queues[PIPELINE][1] == queues[cluster.ledger.queue][1] == len(hubs)
    assert all(m == 0 for m, _ in queues.values()), queues  # no dead letters either
    for consumers in listed:
        [ledger_consumer] = consumers
        assert (ledger_consumer["queue"], ledger_consumer["ready"]) == (cluster.ledger.queue, 0)
    assert await cluster.stop() == {"hub0": 0, "hub1": 0}
