"""Erasure: one person across WhatsApp, e-mail and Instagram leaves no trace but the request."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import omnihub_archive
from omnihub_archive.segments import iter_lines, list_segments

from hub.testing import ADMIN_TOKEN, HubFactory, HubHarness, eventually
from tests.identity.events import ids
from tests.identity.test_customers_api import lookup, three_channels
from tests.privacy.support import (
    FlakyCrm,
    PendingCrm,
    consent_granted,
    names_anyone,
    rows_naming,
)

VALUES = ["5511999999999", "+5511999999999", "ana@mail.com", "501", "17841400000000001"]
WORDS = ["Ana", "Sobre meu pedido", "Oi!", "Olá, tudo bem?", "wamid.opt-in-1"]
AUDITOR = "audit-reader-token-0001"
READER = "customers-reader-token-0001"
TOKENS = {
    "tokens": [
        {"name": "admin", "token": ADMIN_TOKEN, "scopes": ["admin"]},
        {"name": "auditor", "token": AUDITOR, "scopes": ["audit:read"]},
        {"name": "reader", "token": READER, "scopes": ["customers:read"]},
    ]
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def archived_lines(directory: Path) -> list[bytes]:
    return [line for path in list_segments(directory) for line, _ in iter_lines(path)]


async def request_erasure(harness: HubHarness, customer_id: str, **body: Any) -> dict[str, Any]:
    response = await harness.client.post(
        f"/api/v1/customers/{customer_id}/erasure", headers=harness.auth, json=body
    )
    answer: dict[str, Any] = await response.json()
    assert response.status == 202, answer
    assert response.headers["Location"] == f"/api/v1/erasures/{answer['erasure_id']}"
    return answer


async def erasure_view(harness: HubHarness, erasure_id: str, token: str) -> dict[str, Any]:
    response = await harness.client.get(f"/api/v1/erasures/{erasure_id}", headers=bearer(token))
    view: dict[str, Any] = await response.json()
    assert response.status == 200, view
    return view


async def test_erasure_leaves_no_row_no_timeline_and_no_archive_line(
    hub_factory: HubFactory, store_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "archive"
    crm = PendingCrm()
    harness = await hub_factory(
        store={"url": store_url},
        api=TOKENS,
        plugins={"archive": omnihub_archive, "crm": crm},
        config={"archive": {"directory": str(directory)}},
    )
    announced = await harness.collect("listener", "customer.#")
    ana, insta = await three_channels(harness)
    optin = consent_granted(ids(("whatsapp", "5511999999999")), minutes=5)
    await harness.publish(optin)
    needles = [ana, insta, *VALUES, *WORDS]
    named = await rows_naming(harness.hub.store, needles)
    assert {"customers", "identifiers", "traits", "timeline", "merges", "consent_ledger"} <= set(
        named
    )
    # Everything the person did reached the archive before the request.
    await eventually(
        lambda: sum(b"Oi!" in line or b"opt-in" in line for line in archived_lines(directory)) == 2
    )

    answer = await request_erasure(harness, insta, requested_by="customer")  # a merged id

    # Only the erasure record names her: its surviving id and the merged one it covers.
    assert await rows_naming(harness.hub.store, needles) == {"erasures": 1, "erasure_customers": 2}
    assert not [line for line in archived_lines(directory) if names_anyone(line.decode(), needles)]
    assert await lookup(harness, "phone:+5511999999999") == []
    response = await harness.client.get(f"/api/v1/customers/{ana}/timeline", headers=harness.auth)
    assert response.status == 404
    [sent] = crm.requests
    assert sent.customer_id == ana
    assert sent.merged_ids == (insta,)
    assert {(i.kind, i.value) for i in sent.identifiers} >= {("phone", "+5511999999999")}

    # Every consumer is told, with the identifiers it needs to find her.
    [requested] = await announced.wait_for(
        1, where=lambda e: e.type == "customer.erasure_requested"
    )
    assert (requested.customerid, requested.data.request_id) == (ana, answer["erasure_id"])
    assert requested.data.requested_by == "customer"
    assert "ana@mail.com" in {i.value for i in requested.data.identifiers}

    view = await erasure_view(harness, answer["erasure_id"], AUDITOR)
    assert (view["status"], view["customer_id"]) == ("pending", ana)
    requested_at = datetime.fromisoformat(view["requested_at"])
    assert datetime.fromisoformat(view["deadline"]) - requested_at == timedelta(days=15)
    receipts = {r["system"]: r for r in view["receipts"]}
    assert {s: r["status"] for s, r in receipts.items()} == {
        "archive": "done",
        "crm": "pending",
        "omnihub": "done",
    }
    assert receipts["archive"]["items"] >= 6
    assert receipts["omnihub"]["items"] >= 15
    assert all(r["updated_at"] for r in receipts.values())

    # The CRM confirms later; then the request is done and announced as erased.
    response = await harness.client.post(
        f"/api/v1/erasures/{answer['erasure_id']}/receipts/crm",
        headers=harness.auth,
        json={"status": "done", "items": 1, "detail": "contact deleted"},
    )
    assert response.status == 200, await response.json()
    view = await erasure_view(harness, answer["erasure_id"], ADMIN_TOKEN)
    assert view["status"] == "done"
    assert view["finished_at"]
    [erased] = await announced.wait_for(1, where=lambda e: e.type == "customer.erased")
    assert erased.data.request_id == answer["erasure_id"]
    assert {r.system: r.status for r in erased.data.receipts} == {
        "archive": "done",
        "crm": "done",
        "omnihub": "done",
    }
    assert not names_anyone(erased.to_json().decode(), needles)
    await eventually(lambda: any(b"customer.erased" in line for line in archived_lines(directory)))
    assert not [line for line in archived_lines(directory) if names_anyone(line.decode(), needles)]
    assert not any(b"customer.erasure_requested" in line for line in archived_lines(directory))


async def test_a_failing_plugin_yields_a_failed_receipt_and_a_retry_finishes(
    hub_factory: HubFactory, store_url: str
) -> None:
    crm = FlakyCrm()
    harness = await hub_factory(store={"url": store_url}, plugins={"crm": crm})
    announced = await harness.collect("listener", "customer.erased.#")
    ana, _ = await three_channels(harness)

    first = await request_erasure(harness, ana)
    view = await erasure_view(harness, first["erasure_id"], ADMIN_TOKEN)
    assert view["status"] == "failed"
    receipts = {r["system"]: r for r in view["receipts"]}
    assert receipts["crm"]["status"] == "failed"
    assert receipts["crm"]["detail"] == "ConnectionError"  # the kind of failure, no data
    assert receipts["omnihub"]["status"] == "done"  # the hub's own data went anyway

    again = await request_erasure(harness, ana)  # the same request, run again
    assert again["erasure_id"] == first["erasure_id"]
    assert again["status"] == "done"
    assert crm.calls == 2
    [erased] = await announced.wait_for(1)
    assert erased.data.request_id == first["erasure_id"]

    third = await request_erasure(harness, ana)  # done: answered, not redone
    assert (third["erasure_id"], crm.calls) == (first["erasure_id"], 2)


async def test_a_crm_event_with_identifiers_only_erases_the_person(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url})
    announced = await harness.collect("listener", "customer.#")
    ana, insta = await three_channels(harness)
    await harness.publish(
        {
            "specversion": "1.0",
            "id": "hubspot-gdpr-1",
            "source": "/plugins/hubspot",
            "type": "customer.erasure_requested",
            "data": {
                "request_id": "hubspot-77",
                "requested_by": "customer",
                "identifiers": [{"kind": "crm:hubspot", "value": "501"}],
            },
        }
    )
    named = await rows_naming(harness.hub.store, [ana, insta, *VALUES])
    assert named == {"erasures": 1, "erasure_customers": 2}
    [requested] = await announced.wait_for(
        1, where=lambda e: e.type == "customer.erasure_requested"
    )
    assert requested.source == "/hub/privacy"
    assert requested.customerid == ana
    assert requested.data.request_id.startswith("era_")
    assert (requested.causationid, requested.correlationid) == ("hubspot-gdpr-1",) * 2
    assert "+5511999999999" in {i.value for i in requested.data.identifiers}
    [erased] = await announced.wait_for(1, where=lambda e: e.type == "customer.erased")
    assert erased.data.request_id == requested.data.request_id


async def test_a_request_for_someone_unknown_is_done_and_still_suppresses(
    hub_factory: HubFactory,
) -> None:
    harness = await hub_factory()
    announced = await harness.collect("listener", "customer.erased.#")
    await harness.publish(
        {
            "specversion": "1.0",
            "source": "/plugins/hubspot",
            "type": "customer.erasure_requested",
            "data": {
                "request_id": "hubspot-78",
                "requested_by": "dpo",
                "identifiers": [{"kind": "email", "value": "Bia@Mail.com"}],
            },
        }
    )
    [erased] = await announced.wait_for(1)
    view = await erasure_view(harness, erased.data.request_id, ADMIN_TOKEN)
    assert view["status"] == "done"
    assert view["customer_id"] is None
    assert [(r["system"], r["items"]) for r in view["receipts"]] == [("omnihub", 0)]
    async with harness.hub.store.db.connection() as tx:
        [(count,)] = await tx.fetch("SELECT count(*) FROM suppressed")
    assert count == 1


async def test_erasure_api_scopes_and_unknown_ids(hub_factory: HubFactory) -> None:
    harness = await hub_factory(api=TOKENS)
    ana, _ = await three_channels(harness)
    url = f"/api/v1/customers/{ana}/erasure"
    response = await harness.client.post(url, headers=bearer(READER))
    assert response.status == 403
    response = await harness.client.post(url, headers=bearer(AUDITOR))
    assert response.status == 403
    response = await harness.client.post(
        "/api/v1/customers/cus_nobody/erasure", headers=harness.auth
    )
    assert response.status == 404
    response = await harness.client.post(url, headers=harness.auth, json={"requested_by": ""})
    assert response.status == 400
    answer = await request_erasure(harness, ana)  # no body: requested by "api"
    response = await harness.client.get(
        f"/api/v1/erasures/{answer['erasure_id']}", headers=bearer(READER)
    )
    assert response.status == 403
    view = await erasure_view(harness, answer["erasure_id"], AUDITOR)
    assert view["requested_by"] == "api"
    response = await harness.client.post(
        f"/api/v1/erasures/{answer['erasure_id']}/receipts/crm",
        headers=harness.auth,
        json={"status": "maybe"},
    )
    assert response.status == 400
    response = await harness.client.post(
        "/api/v1/erasures/era_nope/receipts/crm", headers=harness.auth, json={"status": "done"}
    )
    assert response.status == 404
    assert json.dumps(view).count(ana) == 1  # the record names the customer, nothing else
