"""Erasure removes every archived line that names the customer, in every file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import omnihub_archive
from archive_support import archived, identified, updated, wait_archived

from hub import ErasureRequest

PHONE = "+5511990000001"


async def test_erase_removes_the_customers_lines_and_counts_them(
    hub_factory: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "archive"
    config = {"archive": {"directory": str(directory), "max_bytes": 1200}}
    harness = await hub_factory(plugins={"archive": omnihub_archive}, config=config)
    events = [
        updated("cust-a", 1),
        identified("cust-a", PHONE),
        updated("cust-b", 2),
        identified("cust-old", PHONE),  # merges cust-a into cust-old: one person
        updated("cust-b", 3),
        updated("cust-a", 4),  # archived under cust-old, the surviving id
        updated("cust-c", 5, subject="cust-a"),  # names her outside customerid
    ]
    for n, event in enumerate(events):  # one by one, so that earlier files are rotated
        await harness.publish(event)
        await wait_archived(directory, n + 1)
    assert list(directory.glob("*.gz")), "the test needs rotated, compressed files"

    # Asked by her old id: the hub completes the request with the survivor and the phone.
    request = ErasureRequest("req-1", "cust-a")
    receipts = await harness.hub.erase_customer(request)

    assert receipts["archive"].status == "done"
    assert receipts["archive"].items == 6  # with the hub's customer.merged announcement
    remaining = archived(directory)
    assert [e["id"] for e in remaining] == ["cust-b-upd-2", "cust-b-upd-3"]
    assert not any(PHONE in str(e) or "cust-a" in str(e) for e in remaining)

    await harness.publish(updated("cust-b", 6))  # the archive goes on afterwards
    assert len(await wait_archived(directory, 3)) == 3


async def test_erasing_a_customer_the_archive_never_saw(hub_factory: Any) -> None:
    harness = await hub_factory(plugins={"archive": omnihub_archive})
    receipts = await harness.hub.erase_customer(ErasureRequest("req-2", "nobody"))
    assert receipts["archive"].status == "done"
    assert receipts["archive"].items == 0
