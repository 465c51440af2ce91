"""The export holds every row the store keeps about the person (a direct look at the store)."""

from __future__ import annotations

from typing import Any

from hub.testing import HubFactory, HubHarness
from tests.identity.events import ids
from tests.identity.test_customers_api import three_channels
from tests.privacy.support import all_rows, consent_granted, strings

CUSTOMER_COLUMNS = {"customer_id", "surviving_id", "merged_id", "merged_into", "a", "b"}


async def export(harness: HubHarness, customer_id: str, **kwargs: Any) -> dict[str, Any]:
    response = await harness.client.get(
        f"/api/v1/customers/{customer_id}/export", headers=harness.auth, **kwargs
    )
    document: dict[str, Any] = await response.json()
    assert response.status == 200, document
    return document


def rows_about(
    rows: dict[str, list[dict[str, Any]]], person: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """Rows of every table with a customer-id-like column that name one of ``person``."""
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            columns = CUSTOMER_COLUMNS | ({"id"} if table == "customers" else set())
            if any(row.get(c) in person for c in columns):
                found.append((table, row))
    return found


async def test_the_export_holds_every_row_about_the_person(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url})
    ana, insta = await three_channels(harness)
    optin = consent_granted(ids(("whatsapp", "5511999999999")), minutes=5)
    await harness.publish(optin)
    response = await harness.client.get(f"/api/v1/customers/{ana}", headers=harness.auth)
    assert response.status == 200
    # Someone else's data does not end up in her export.
    await harness.publish(consent_granted(ids(("email", "bia@mail.com")), minutes=6))

    about_her = rows_about(await all_rows(harness.hub.store), {ana, insta})
    document = await export(harness, insta)  # a merged id exports the whole person

    assert document["customer_id"] == ana
    assert sorted(document["customer_ids"]) == sorted([ana, insta])
    exported = set(strings(document))
    event_keys = {f"{e['source']} {e['id']}" for e in document["timeline"]}
    tables = {table for table, _ in about_her}
    assert {"customers", "identifiers", "traits", "timeline", "merges", "consent_ledger"} <= tables
    assert "audit_log" in tables
    for table, row in about_her:
        for column, value in row.items():
            if column == "event_key":
                assert value in event_keys, (table, column)
                continue
            missing = [s for s in strings(value) if s not in exported]
            assert not missing, (table, column, missing)
    messages = [e for e in document["timeline"] if e["type"] == "message.received"]
    assert [e["channel"] for e in messages] == ["whatsapp", "email", "instagram"]  # oldest first
    assert "bia@mail.com" not in exported
    [consent] = document["consent"]
    assert (consent["purpose"], consent["status"], consent["legal_basis"]) == (
        "marketing",
        "granted",
        "consent",
    )


async def test_export_of_an_unknown_customer_is_404(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    response = await harness.client.get("/api/v1/customers/cus_nobody/export", headers=harness.auth)
    assert response.status == 404
