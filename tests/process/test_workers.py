"""``[hub] workers``: one ``omnihub run`` whose processes share its port and the work —
nothing lost, no effect twice, metrics that count every worker, a dead worker replaced,
no worker outliving its supervisor."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import aiohttp
import pytest
from prometheus_client.samples import Sample

from tests.broker.support import wait_until

from .cluster import Cluster, HubProcess, scrape, total
from .load import Ledger, Poster

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

EVENTS = 400
RATE = 120.0  # events/s: more than one worker's handlers take (8 x 10/s), less than two


def worker_pids(hub: HubProcess) -> list[int]:
    """Every worker the supervisor started so far, from its log."""
    return [line["pid"] for line in hub.log_lines() if line.get("event") == "worker_started"]


def effects_by_pid(hub: HubProcess, after: float = 0.0) -> Counter[int]:
    return Counter(
        line["pid"]
        for line in hub.journal_lines()
        if line["phase"] == "effect" and line["t"] > after
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def scrape_fresh(hub: HubProcess) -> list[Sample]:
    """One scrape on a new connection, so the kernel may hand it to either worker."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await scrape(session, hub)


@pytest.mark.timeout(150)
async def test_workers_share_one_port_and_the_work(cluster: Cluster) -> None:
    (hub,) = await cluster.start(1, workers=2)
    poster = Poster(cluster.session, [hub], cluster.tag, rate=RATE, failover=False)
    ledger = Ledger("hub.workers = 2: one command, two processes", poster, [hub])
    await poster.post(EVENTS)
    await wait_until(ledger.complete, 60, "every accepted event effected")
    await cluster.quiet()

    by_pid = effects_by_pid(hub)
    ledger.notes.append(f"effects by worker pid: {dict(by_pid)}")
    ledger.check()
    assert len(by_pid) == 2, by_pid
    assert set(by_pid) == set(worker_pids(hub)), (by_pid, hub.pid)
    assert all(n >= EVENTS // 4 for n in by_pid.values()), by_pid  # both really worked
    # Whichever worker answers a scrape, it counts what every worker did.
    for _ in range(8):
        samples = await scrape_fresh(hub)
        assert total(samples, "omnihub_events_in_total") == EVENTS
        assert total(samples, "omnihub_deliveries_total", consumer="ledger", outcome="ok") == EVENTS

    assert await cluster.stop() == {"hub0": 0}
    assert not any(alive(pid) for pid in worker_pids(hub))


@pytest.mark.timeout(180)
async def test_a_killed_worker_is_replaced_and_nothing_is_lost(cluster: Cluster) -> None:
    (hub,) = await cluster.start(1, workers=2)
    poster = Poster(cluster.session, [hub], cluster.tag, rate=RATE, failover=False)
    ledger = Ledger("kill -9 of one worker of two mid-batch", poster, [hub])
    load = asyncio.create_task(poster.post(EVENTS))
    await wait_until(lambda: len(effects_by_pid(hub)) == 2, 60, "both workers at work")
    await wait_until(lambda: sum(effects_by_pid(hub).values()) >= 60, 60, "60 effects")

    victim = worker_pids(hub)[0]
    killed = time.time()
    os.kill(victim, signal.SIGKILL)
    await wait_until(lambda: len(worker_pids(hub)) == 3, 30, "a replacement worker")
    replacement = worker_pids(hub)[2]
    await load
    # The victim's claims hold their events until their leases end (ledger: 6 s,
    # pipeline: 30 s); the other workers then finish them.
    await wait_until(ledger.complete, 90, "every accepted event effected")
    await cluster.quiet(90)

    after = effects_by_pid(hub, killed)
    ledger.notes += [
        f"victim {victim}, replacement {replacement}; effects after the kill by pid: {dict(after)}",
        f"supervisor log: {[e for e in hub.log_events() if e.startswith('worker_')]}",
    ]
    # As with a killed process: only a handler between its effect and marking its claim
    # done can be redone, at most the victim's in-flight capacity.
    ledger.check(max_duplicates=cluster.ledger.concurrency)
    assert victim not in after, after
    assert after[replacement] > 0, after
    assert "worker_died" in hub.log_events()
    assert await cluster.stop() == {"hub0": 0}


@pytest.mark.timeout(120)
async def test_workers_stop_when_their_supervisor_is_killed(cluster: Cluster) -> None:
    (hub,) = await cluster.start(1, workers=2)
    workers = worker_pids(hub)
    assert len(workers) == 2
    assert all(map(alive, workers))
    hub.signal(signal.SIGKILL)
    assert await hub.wait_exit(10) == -signal.SIGKILL
    # An orphan would keep serving a port nobody supervises: each drains and exits.
    await wait_until(lambda: not any(map(alive, workers)), 30, "workers gone")
