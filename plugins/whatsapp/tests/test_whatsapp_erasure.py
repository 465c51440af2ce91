"""LGPD erasure seen from the channel: after it, the same WhatsApp sender is suppressed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from omnihub_meta.testing import load
from test_whatsapp_webhook import post, start

from hub.testing import eventually

FIXTURES = Path(__file__).parent / "fixtures"


async def test_a_webhook_after_erasure_is_suppressed(hub_factory: Any, broker_url: str) -> None:
    harness = await start(hub_factory, broker_url)
    seen = await harness.collect("crm", "message.received.whatsapp")
    sample = load(FIXTURES / "message_text.json")
    assert await post(harness, sample) == 200
    [first] = await seen.wait_for(1, timeout=15)
    assert first.customerid is not None

    erased = await harness.client.post(
        f"/api/v1/customers/{first.customerid}/erasure", json={}, headers=harness.auth
    )
    assert erased.status == 202, await erased.text()

    later = copy.deepcopy(sample)  # the same sender writes again, a new message
    message = later["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = "wamid.after-erasure"
    assert await post(harness, later) == 200  # Meta must not retry: accepted, then dropped
    metric = 'omnihub_events_suppressed_total{type="message.received"} 1.0'
    await eventually(lambda: metric in harness.hub.metrics.render()[0].decode())
    assert len(seen.events) == 1
