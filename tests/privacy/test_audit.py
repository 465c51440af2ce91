"""Every API read of personal data is audited: who, what, when, whom, never the data."""

from __future__ import annotations

from typing import Any

from hub.testing import ADMIN_TOKEN, HubFactory, HubHarness
from tests.identity.events import received
from tests.identity.test_customers_api import WHATSAPP
from tests.privacy.support import all_rows, names_anyone

READER = "customers-reader-token-0001"
AUDITOR = "audit-reader-token-0001"
TOKENS = {
    "tokens": [
        {"name": "admin", "token": ADMIN_TOKEN, "scopes": ["admin"]},
        {"name": "support-desk", "token": READER, "scopes": ["customers:read"]},
        {"name": "dpo-office", "token": AUDITOR, "scopes": ["audit:read"]},
    ]
}
PHONE_FORMS = ["+5511999999999", "5511999999999", "+55 11 99999-9999", "99999-9999"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def audit(harness: HubHarness, token: str = AUDITOR, **params: Any) -> list[dict[str, Any]]:
    response = await harness.client.get("/api/v1/audit", headers=bearer(token), params=params)
    body = await response.json()
    assert response.status == 200, body
    entries: list[dict[str, Any]] = body["entries"]
    return entries


async def test_reads_are_audited_without_the_data(hub_factory: HubFactory, store_url: str) -> None:
    harness = await hub_factory(store={"url": store_url}, api=TOKENS)
    await harness.publish(received("whatsapp", WHATSAPP, minutes=0, name="Ana"))
    reader = bearer(READER)
    response = await harness.client.get(
        "/api/v1/customers", headers=reader, params={"identifier": "phone:+55 11 99999-9999"}
    )
    [ana] = (await response.json())["customers"]
    response = await harness.client.get(
        "/api/v1/customers", headers=reader, params={"identifier": "email:nobody@mail.com"}
    )
    assert (await response.json())["customers"] == []
    for suffix in ("", "/timeline", "/export"):
        response = await harness.client.get(
            f"/api/v1/customers/{ana['id']}{suffix}", headers=reader
        )
        assert response.status == 200

    entries = await audit(harness, customer_id=ana["id"])
    assert [(e["actor"], e["action"]) for e in entries] == [  # newest first
        ("support-desk", "customer.export"),
        ("support-desk", "customer.timeline"),
        ("support-desk", "customer.read"),
        ("support-desk", "customer.lookup"),
    ]
    assert all(e["at"] and e["customer_id"] == ana["id"] for e in entries)
    everyone = await audit(harness, limit=10)
    assert len(everyone) == 5
    assert everyone[3] == {**everyone[3], "customer_id": None, "detail": "by email"}

    # The identifier a lookup used is nowhere in the audit log, in any form.
    rows = (await all_rows(harness.hub.store))["audit_log"]
    assert len(rows) == 5
    assert not [
        r for r in rows if names_anyone(list(r.values()), [*PHONE_FORMS, "nobody@mail.com", "Ana"])
    ]


async def test_the_audit_needs_its_scope(hub_factory: HubFactory) -> None:
    harness = await hub_factory(api=TOKENS)
    response = await harness.client.get("/api/v1/audit", headers=bearer(READER))
    assert response.status == 403
    response = await harness.client.get(
        "/api/v1/audit", headers=bearer(AUDITOR), params={"limit": "0"}
    )
    assert response.status == 400
    assert await audit(harness) == []
