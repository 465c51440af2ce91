"""Erasure deadlines are watched: gauges per system, a warning per late system, a listing."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from hub.metrics import Metrics
from hub.privacy.deadlines import DAY, ErasureDeadlines
from hub.testing import ADMIN_TOKEN, HubFactory, HubHarness, eventually
from tests.identity.test_customers_api import three_channels
from tests.privacy.support import FlakyCrm, PendingCrm
from tests.privacy.test_erasure import AUDITOR, READER, TOKENS, bearer, erasure_view
from tests.privacy.test_erasure import request_erasure as erase

GAUGES = ("omnihub_erasures_overdue", "omnihub_erasures_due_soon")


def gauge_values(text: str) -> dict[str, dict[str, float]]:
    """{gauge: {system: value}} in a Prometheus exposition."""
    found: dict[str, dict[str, float]] = {name: {} for name in GAUGES}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in GAUGES:
                found[sample.name][sample.labels["system"]] = sample.value
    return found


def rendered(metrics: Metrics) -> dict[str, dict[str, float]]:
    return gauge_values(metrics.render()[0].decode())


async def gauges(harness: HubHarness) -> dict[str, dict[str, float]]:
    response = await harness.client.get("/metrics")
    return gauge_values(await response.text())


async def move_deadline(harness: HubHarness, erasure_id: str, deadline: float) -> None:
    async with harness.hub.store.db.transaction() as tx:
        await tx.execute("UPDATE erasures SET deadline = ? WHERE id = ?", deadline, erasure_id)


async def listed(harness: HubHarness, status: str, token: str = AUDITOR) -> list[dict[str, Any]]:
    response = await harness.client.get(f"/api/v1/erasures?status={status}", headers=bearer(token))
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return list(body["erasures"])


async def test_systems_late_or_near_the_deadline_are_counted_and_warned_about(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(
        store={"url": store_url}, plugins={"crm": PendingCrm(), "desk": FlakyCrm()}
    )
    ana, _ = await three_channels(harness)
    erasure_id = (await erase(harness, ana))["erasure_id"]
    erasure = await harness.hub.erasures.get(erasure_id)
    assert erasure is not None
    # Its own metrics: the hub's job may refresh the hub's gauges at any moment.
    metrics = Metrics()
    check = ErasureDeadlines(harness.hub.store, metrics, harness.hub.config.privacy).check

    report = await check(at=erasure.requested_at)
    assert (report.overdue, report.due_soon) == ({}, {})
    report = await check(at=erasure.deadline - 2 * DAY)  # within erasure_due_soon_days = 3
    assert (report.overdue, report.due_soon) == ({}, {"crm": 1, "desk": 1})
    assert rendered(metrics) == {
        GAUGES[0]: {},
        GAUGES[1]: {"crm": 1, "desk": 1},
    }

    with capture_logs() as logs:
        report = await check(at=erasure.deadline + 1)
    assert (report.overdue, report.due_soon) == ({"crm": 1, "desk": 1}, {})
    assert rendered(metrics) == {
        GAUGES[0]: {"crm": 1, "desk": 1},
        GAUGES[1]: {},
    }
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert warnings == [  # the request and the system: nothing about the customer
        {"event": "erasure_overdue", "erasure": erasure_id, "system": s, "log_level": "warning"}
        for s in ("crm", "desk")
    ]

    await erase(harness, ana)  # the desk's retry succeeds; the CRM confirms
    response = await harness.client.post(
        f"/api/v1/erasures/{erasure_id}/receipts/crm", headers=harness.auth, json={"status": "done"}
    )
    assert response.status == 200
    with capture_logs() as logs:
        report = await check(at=erasure.deadline + 1)
    assert (report.overdue, report.late, logs) == ({}, [], [])
    assert rendered(metrics) == {GAUGES[0]: {}, GAUGES[1]: {}}


async def test_overdue_requests_show_in_the_view_and_the_listing(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url}, api=TOKENS, plugins={"crm": PendingCrm()})
    ana, _ = await three_channels(harness)
    late = (await erase(harness, ana))["erasure_id"]
    await harness.publish(  # someone the hub never knew: the CRM still has to answer
        {
            "specversion": "1.0",
            "source": "/plugins/hubspot",
            "type": "customer.erasure_requested",
            "data": {
                "request_id": "hubspot-9",
                "requested_by": "dpo",
                "identifiers": [{"kind": "email", "value": "bia@mail.com"}],
            },
        }
    )

    async def both_unfinished() -> list[dict[str, Any]]:
        found = await listed(harness, "unfinished")
        return found if len(found) == 2 else []

    first, other = await eventually(both_unfinished)  # the nearest deadline first
    assert first["id"] == late
    erasure = await harness.hub.erasures.get(late)
    assert erasure is not None
    view = await erasure_view(harness, late, AUDITOR)
    assert (view["overdue"], view["waiting_on"]) == (False, ["crm"])
    assert await listed(harness, "overdue") == []

    await move_deadline(harness, late, erasure.requested_at - DAY)

    view = await erasure_view(harness, late, AUDITOR)
    assert (view["status"], view["overdue"], view["waiting_on"]) == ("pending", True, ["crm"])
    assert await listed(harness, "overdue", ADMIN_TOKEN) == [view]
    assert await listed(harness, "due_soon") == []
    response = await harness.client.post(
        f"/api/v1/erasures/{other['id']}/receipts/crm",
        headers=harness.auth,
        json={"status": "done"},
    )
    assert response.status == 200
    [done] = await listed(harness, "done")
    assert (done["id"], done["overdue"], done["waiting_on"]) == (other["id"], False, [])
    assert [e["id"] for e in await listed(harness, "unfinished")] == [late]

    response = await harness.client.get("/api/v1/erasures?status=late", headers=harness.auth)
    assert response.status == 400
    response = await harness.client.get("/api/v1/erasures?limit=0", headers=harness.auth)
    assert response.status == 400
    response = await harness.client.get("/api/v1/erasures", headers=bearer(READER))
    assert response.status == 403
    response = await harness.client.get("/api/v1/audit?limit=1000", headers=bearer(AUDITOR))
    actions = {(e["action"], e["detail"]) for e in (await response.json())["entries"]}
    assert ("erasure.list", "status overdue") in actions


async def test_a_starting_hub_fills_the_gauges_at_once(hub_factory: HubFactory) -> None:
    first = await hub_factory(plugins={"crm": PendingCrm()})
    ana, _ = await three_channels(first)
    erasure_id = (await erase(first, ana))["erasure_id"]
    await move_deadline(first, erasure_id, 0.0)

    second = await hub_factory(alongside=first, plugins={"crm": PendingCrm()})

    async def counted() -> bool:
        return (await gauges(second))[GAUGES[0]] == {"crm": 1}

    assert await eventually(counted)  # the hourly job's first run is at the start


async def test_one_process_per_interval_warns_every_process_counts(
    hub_factory: HubFactory, store_url: str
) -> None:
    first = await hub_factory(store={"url": store_url}, plugins={"crm": PendingCrm()})
    second = await hub_factory(alongside=first, plugins={"crm": PendingCrm()})
    ana, _ = await three_channels(first)
    erasure = await first.hub.erasures.get((await erase(first, ana))["erasure_id"])
    assert erasure is not None
    hour = 3600.0
    checks = [
        ErasureDeadlines(h.hub.store, Metrics(), h.hub.config.privacy, hour)
        for h in (first, second)
    ]
    late = erasure.deadline + 1

    with capture_logs() as logs:
        for check in checks:
            await check.check(at=late)
        for check in checks:
            await check.check(at=late + 60)  # the same interval: nobody warns again
    assert [e["system"] for e in logs if e["event"] == "erasure_overdue"] == ["crm"]
    for check in checks:  # but every process's gauges are current
        assert rendered(check.metrics)[GAUGES[0]] == {"crm": 1}

    with capture_logs() as logs:
        await checks[1].check(at=late + hour)
    assert [e["system"] for e in logs if e["event"] == "erasure_overdue"] == ["crm"]
