"""Scale-out (issue 3, item 6): two ``omnihub run`` processes on one RabbitMQ share the work
as competing consumers — nothing lost, no effect twice, and both really work."""

from __future__ import annotations

import pytest

from tests.broker.support import wait_until

from .cluster import Cluster, scrape, total
from .load import Ledger, Poster

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

EVENTS = 400


@pytest.mark.timeout(150)
async def test_two_processes_share_the_work_as_competing_consumers(cluster: Cluster) -> None:
    hubs = await cluster.start(2)
    # Paced below what the two can do together (2 x 8 handlers x 10/s), above one alone.
    poster = Poster(cluster.session, hubs, cluster.tag, rate=120)
    ledger = Ledger("scale-out: two processes, one queue per consumer", poster, hubs)
    await poster.post(EVENTS)
    await wait_until(ledger.complete, 60, "every accepted event effected")
    queues = await cluster.quiet()

    pipeline_out = {}
    outcomes = {}
    for hub in hubs:
        samples = await scrape(cluster.session, hub)
        pipeline_out[hub.name] = total(samples, "omnihub_events_out_total")
        outcomes[hub.name] = {
            outcome: total(samples, "omnihub_deliveries_total", consumer="ledger", outcome=outcome)
            for outcome in ("ok", "duplicate", "retry", "dead_letter")
        }
    ledger.notes += [
        f"pipeline publishes by process: {pipeline_out}",
        f"ledger deliveries by process and outcome: {outcomes}",
        f"dead letters: { {q: m for q, (m, _) in queues.items() if q.endswith('.dlq')} }",
    ]
    ledger.check()
    assert all(m == 0 for m, _ in queues.values()), queues  # no dead letter either

    # Both did a real share of the handler work and of the pipeline's.
    shares = ledger.effects_by_process()
    assert all(n >= EVENTS // 4 for n in shares.values()), shares
    assert all(n >= EVENTS // 4 for n in pipeline_out.values()), pipeline_out
    assert sum(pipeline_out.values()) >= EVENTS

    assert await cluster.stop() == {"hub0": 0, "hub1": 0}
