"""Every real WhatsApp sample, signed with a test secret, becomes exactly these events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import omnihub_whatsapp
import pytest
from omnihub_meta import event_id
from omnihub_meta.testing import check_sample, config_table, load, webhook_events
from whatsapp_cases import BASE_CASES, PNID, RAW_KEPT, SENDER_NO_BSUID, at, received
from whatsapp_media_cases import MEDIA_CASES

from hub.testing import HubHarness

FIXTURES = Path(__file__).parent / "fixtures"
CASES = BASE_CASES | MEDIA_CASES
CONFIG = {"whatsapp": config_table(phone_number_id="configured-id")}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted([*CASES, *RAW_KEPT])


async def start(hub_factory: Any) -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"whatsapp": omnihub_whatsapp.plugin}, config=CONFIG
    )
    return harness


def item_time(payload: dict[str, Any]) -> str:
    value = payload["entry"][0]["changes"][0]["value"]
    item = (value.get("messages") or value.get("statuses") or value.get("user_preferences"))[0]
    return at(int(item["timestamp"]))


@pytest.mark.parametrize("name", sorted(CASES))
async def test_fixture_becomes_its_canonical_events(hub_factory: Any, name: str) -> None:
    payload = load(FIXTURES / name)
    account = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    harness = await start(hub_factory)
    events = await check_sample(harness, "whatsapp", payload, CASES[name], account)
    assert [e.time.isoformat().replace("+00:00", "Z") for e in events] == [item_time(payload)]


@pytest.mark.parametrize("name", sorted(RAW_KEPT))
async def test_unknown_kinds_keep_the_message_object(hub_factory: Any, name: str) -> None:
    payload = load(FIXTURES / name)
    harness = await start(hub_factory)
    events = await webhook_events(harness, "whatsapp", payload, RAW_KEPT[name][2])
    # Published together, they may arrive in any order: the message is resolved first.
    [event] = [e for e in events if e.type == "message.received"]
    rest = [e for e in events if e is not event]

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
