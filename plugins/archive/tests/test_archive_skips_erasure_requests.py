"""An erasure request carries the identifiers of the person it erases: never archived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import omnihub_archive
from archive_support import archived, eventually, updated, wait_archived


async def test_erasure_requests_are_not_archived(hub_factory: Any, tmp_path: Path) -> None:
    directory = tmp_path / "archive"
    harness = await hub_factory(
        plugins={"archive": omnihub_archive}, config={"archive": {"directory": str(directory)}}
    )
    await harness.publish(
        {
            "specversion": "1.0",
            "id": "crm-erase-1",
            "source": "/tests/archive",
            "type": "customer.erasure_requested",
            "data": {
                "request_id": "crm-77",
                "requested_by": "customer",
                "identifiers": [{"kind": "email", "value": "bia@mail.com"}],
            },
        }
    )
    await harness.publish(updated("cust-b", 1))
    registry = harness.hub.metrics.registry

    async def handled() -> bool:  # the request, the hub's customer.erased and the update
        ok = registry.get_sample_value(
            "omnihub_deliveries_total", {"consumer": "archive", "outcome": "ok"}
        )
        return (ok or 0) >= 3

    await eventually(handled)
    kept = await wait_archived(directory, 2)
    assert sorted(e["type"] for e in kept) == ["customer.erased", "customer.updated"]
    assert not any("bia@mail.com" in str(e) for e in archived(directory))
