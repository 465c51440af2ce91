"""Every real WhatsApp sample, signed with a test secret, becomes exactly these events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import omnihub_whatsapp
import pytest
from omnihub_meta import event_id
from omnihub_meta.testing import config_table, load, signed
from whatsapp_cases import CASES, PNID, RAW_KEPT, SENDER_NO_BSUID, at, received

from hub import CloudEvent
from hub.testing import HubHarness

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = {"whatsapp": config_table(phone_number_id="configured-id")}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted([*CASES, *RAW_KEPT])


async def deliver(
    hub_factory: Any, name: str
) -> tuple[HubHarness, list[CloudEvent], dict[str, Any]]:
    harness = await hub_factory(plugins={"whatsapp": omnihub_whatsapp.plugin}, config=CONFIG)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / name)
    body, headers = signed(payload)
    response = await harness.client.post("/webhooks/whatsapp/", data=body, headers=headers)
    assert response.status == 200, await response.text()
    count = len(CASES[name]) if name in CASES else RAW_KEPT[name][2]
    assert await response.json() == {"accepted": count}
    return harness, await seen.wait_for(count), payload


def item_time(payload: dict[str, Any]) -> str:
    value = payload["entry"][0]["changes"][0]["value"]
    item = (value.get("messages") or value.get("statuses") or value.get("user_preferences"))[0]
    return at(int(item["timestamp"]))


@pytest.mark.parametrize("name", sorted(CASES))
async def test_fixture_becomes_its_canonical_events(hub_factory: Any, name: str) -> None:
    _, events, payload = await deliver(hub_factory, name)
    account = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]

    assert [(e.type, e.id) for e in events] == [
        (type_, event_id("whatsapp", key)) for type_, key, _ in CASES[name]
    ]
    for event, (_, _, data) in zip(events, CASES[name], strict=True):
        assert event.data.model_dump(mode="json", exclude_none=True) == data
        assert event.channel == "whatsapp"
        assert event.source == f"/plugins/whatsapp/{account}"
        assert event.customerid is None  # the hub's identity stage resolves it
        assert event.time.isoformat().replace("+00:00", "Z") == item_time(payload)


@pytest.mark.parametrize("name", sorted(RAW_KEPT))
async def test_unknown_kinds_keep_the_message_object(hub_factory: Any, name: str) -> None:
    _, [event, *rest], payload = await deliver(hub_factory, name)

    change = payload["entry"][0]["changes"][0]
    message = change["value"]["messages"][0]
    wamid, seconds, _ = RAW_KEPT[name]
    context = message.get("context", {})
    _, key, expected = received(wamid, seconds, SENDER_NO_BSUID, kind="unsupported", raw=message)
    expected |= {"reply_to": context["id"]} if "id" in context else {}
    assert event.data.model_dump(mode="json", exclude_none=True) == expected
    assert (event.type, event.id, event.source) == (
        "message.received",
        event_id("whatsapp", key),
        f"/plugins/whatsapp/{PNID}",
    )
    for kept in rest:  # Meta's errors about the change, whole
        assert (kept.type, kept.data.reason, kept.data.raw) == (
            "whatsapp.unmapped",
            "channel_errors",
            change,
        )
