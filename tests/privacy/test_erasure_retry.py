"""A retry after the hub's rows are gone: every customer id again, no identifier kept."""

from __future__ import annotations

import pytest

from hub.privacy import requests
from hub.store import migrations as schema
from hub.store import open_store
from hub.testing import ADMIN_TOKEN, HubFactory
from tests.identity.test_customers_api import three_channels
from tests.privacy.support import FlakyCrm, rows_naming
from tests.privacy.test_erasure import erasure_view, request_erasure

# Every identifier three_channels links, as the events carried them and as normalised.
IDENTIFIERS = [
    "5511999999999",
    "+5511999999999",
    "+55 11 99999-9999",
    "ana@mail.com",
    "501",
    "17841400000000001",
]


async def test_a_failed_plugin_is_retried_with_the_merged_ids_and_no_identifier(
    hub_factory: HubFactory, store_url: str
) -> None:
    crm = FlakyCrm()
    harness = await hub_factory(store={"url": store_url}, plugins={"crm": crm})
    ana, insta = await three_channels(harness)

    first = await request_erasure(harness, ana)
    assert first["status"] == "failed"  # the CRM was down; the hub's rows are gone anyway
    # Retried by the merged id: the request covers it, though no profile names it now.
    again = await request_erasure(harness, insta)

    assert again == {**first, "status": "done"}
    before, retry = crm.requests
    assert (before.customer_id, before.merged_ids) == (ana, (insta,))
    assert {i.value for i in before.identifiers} >= {"+5511999999999", "ana@mail.com"}
    assert (retry.request_id, retry.customer_id, retry.merged_ids) == (
        first["erasure_id"],
        ana,
        (insta,),
    )
    assert retry.identifiers == ()  # the hub holds none any more, in clear or otherwise
    view = await erasure_view(harness, first["erasure_id"], ADMIN_TOKEN)
    assert (view["customer_id"], view["merged_ids"]) == (ana, [insta])
    # Every table: no identifier in clear; the ids only in the erasure record.
    assert await rows_naming(harness.hub.store, IDENTIFIERS) == {}
    assert await rows_naming(harness.hub.store, [ana, insta]) == {
        "erasures": 1,
        "erasure_customers": 2,
    }


async def test_the_migration_covers_the_ids_of_earlier_requests(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    erasure_ids = next(i for i, sql in enumerate(schema.MIGRATIONS) if "erasure_customers" in sql)
    with monkeypatch.context() as before:
        before.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:erasure_ids])
        store = open_store(store_url)
        await store.open()
        async with store.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO erasures (id, customer_id, requested_by, requested_at, deadline, "
                "status) VALUES ('era_old', 'cus_old', 'dpo', 0, 1, 'failed'), "
                "('era_nobody', '', 'dpo', 0, 1, 'done')"
            )
        await store.close()
    store = open_store(store_url)
    await store.open()
    try:
        async with store.db.connection() as tx:
            [found] = await requests.of_customers(tx, ["cus_old"])
            rows = await tx.fetch("SELECT erasure_id, customer_id FROM erasure_customers")
    finally:
        await store.close()
    assert (found.id, found.customer_ids) == ("era_old", ("cus_old",))
    assert [tuple(r) for r in rows] == [("era_old", "cus_old")]  # nobody named: no row
