"""Erasure requests as the store keeps them: loading many at once keeps each its own."""

from __future__ import annotations

import pytest

from hub.privacy import requests
from hub.privacy.requests import Erasure, Receipt
from hub.store import open_store


async def test_requests_load_in_the_order_asked_each_with_its_receipts_and_ids(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests, "LOAD_CHUNK", 2)  # three requests: two chunks
    store = open_store(store_url)
    await store.open()
    try:
        made = [
            Erasure(requests.new_erasure_id(), f"cus_{n}", "test", 1000.0 + n, 2000.0 + n,
                    "pending", None)
            for n in range(3)
        ]  # fmt: skip
        async with store.db.transaction() as tx:
            for n, erasure in enumerate(made):
                await requests.insert(tx, erasure)
                await requests.cover(tx, erasure.id, [erasure.customer_id, f"cus_merged_{n}"])
                for system in ("omnihub", f"crm{n}"):
                    receipt = Receipt(system, "done" if n else "failed", n, None, 3000.0)
                    await requests.put_receipt(tx, erasure.id, receipt)
        asked = [made[2].id, "era_unknown", made[0].id, made[1].id]
        async with store.db.connection() as tx:
            loaded = await requests.load_many(tx, asked)
            single = await requests.load(tx, made[1].id)
    finally:
        await store.close()

    assert [e.id for e in loaded] == [made[2].id, made[0].id, made[1].id]
    for erasure in loaded:
        n = int(erasure.customer_id.removeprefix("cus_"))
        assert erasure.merged_ids == (f"cus_merged_{n}",)
        assert [(r.system, r.status, r.items) for r in erasure.receipts] == [
            (f"crm{n}", "done" if n else "failed", n),
            ("omnihub", "done" if n else "failed", n),
        ]
    assert single == loaded[2]
