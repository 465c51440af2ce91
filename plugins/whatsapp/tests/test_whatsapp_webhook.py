"""WhatsApp webhooks end to end: both brokers, Meta's retries, batches, and the safety net."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import omnihub_whatsapp
import omnihub_whatsapp.messages as messages
import pytest
from omnihub_meta import event_id
from omnihub_meta.testing import config_table, load, signed

from hub.testing import HubHarness

FIXTURES = Path(__file__).parent / "fixtures"


async def start(hub_factory: Any, broker_url: str = "memory://") -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"whatsapp": omnihub_whatsapp.plugin},
        config={"whatsapp": config_table(phone_number_id="1122334455667")},
        broker_url=broker_url,
    )
    return harness


async def post(harness: HubHarness, payload: dict[str, Any]) -> int:
    body, headers = signed(payload)
    response = await harness.client.post("/webhooks/whatsapp/", data=body, headers=headers)
    return response.status


async def test_webhook_to_consumer_on_both_brokers(hub_factory: Any, broker_url: str) -> None:
    harness = await start(hub_factory, broker_url)
    seen = await harness.collect("probe", "message.received.whatsapp")
    assert await post(harness, load(FIXTURES / "message_text.json")) == 200

    [event] = await seen.wait_for(1, timeout=15)
    assert event.id == event_id("whatsapp", "message:wamid.xyzxyz")
    assert event.data.text == "Body Text"
    assert [str(i.kind) for i in event.data.sender.identifiers] == ["whatsapp", "phone", "whatsapp"]


async def test_metas_retries_are_dropped_as_duplicates(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / "status_delivered.json")
    assert [await post(harness, payload) for _ in range(3)] == [200, 200, 200]
    await post(harness, load(FIXTURES / "status_read.json"))  # a later event as a marker

    events = await seen.wait_for(2)
    assert [e.type for e in events] == ["message.delivered", "message.read"]


async def test_every_entry_change_and_message_becomes_an_event(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    text, status = load(FIXTURES / "message_text.json"), load(FIXTURES / "status_sent.json")
    second = copy.deepcopy(text["entry"][0]["changes"][0]["value"]["messages"][0])
    second["id"] = "wamid.second"
    text["entry"][0]["changes"][0]["value"]["messages"].append(second)
    text["entry"].append(status["entry"][0])  # a second entry with a status
    text["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "X"}})
    assert await post(harness, text) == 200

    events = await seen.wait_for(4, where=lambda e: e.source.startswith("/plugins/whatsapp/"))
    assert sorted((e.type, getattr(e.data, "channel_message_id", None)) for e in events) == [
        ("message.received", "wamid.second"),
        ("message.received", "wamid.xyzxyz"),
        ("message.sent", "wamid.xyzxyz"),
        ("whatsapp.unmapped", None),
    ]


async def test_a_mapping_bug_keeps_the_message_as_unsupported(
    hub_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("a bug")

    monkeypatch.setattr(messages, "_content", broken)
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / "message_text.json")
    assert await post(harness, payload) == 200

    [event] = await seen.wait_for(1)
    assert (event.type, event.data.kind) == ("message.received", "unsupported")
    assert event.data.raw == payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert event.data.sender.display_name == "Test Name"


async def test_what_fits_no_contract_is_kept_whole(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / "message_text.json")
    change = payload["entry"][0]["changes"][0]
    del change["value"]["messages"][0]["id"]  # no message id: not even "unsupported" fits
    assert await post(harness, payload) == 200

    [event] = await seen.wait_for(1)
    assert event.type == "whatsapp.unmapped"
    assert event.data.reason == "mapping_failed"
    assert event.data.field == "messages"
    assert event.data.raw == change
    assert any(e.startswith("channel_message_id") for e in event.data.errors)


async def test_a_customer_behind_a_username_is_known_by_the_business_scoped_id(
    hub_factory: Any,
) -> None:
    # Meta's BSUID change: a user who adopted a username has no "from" and no "wa_id", only
    # "from_user_id" on the message and "user_id" on the contact.
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / "message_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    message, contact = value["messages"][0], value["contacts"][0]
    message["from_user_id"] = contact["user_id"] = "BR.1502576394655843"
    del message["from"], contact["wa_id"], contact["parent_user_id"]
    assert await post(harness, payload) == 200

    [event] = await seen.wait_for(1)
    sender = event.data.sender
    assert [(i.kind, i.value) for i in sender.identifiers] == [("whatsapp", "BR.1502576394655843")]
    assert sender.display_name == "Test Name"


async def test_a_name_is_not_taken_from_someone_elses_contact(hub_factory: Any) -> None:
    harness = await start(hub_factory)
    seen = await harness.collect("probe", "#")
    payload = load(FIXTURES / "message_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "5511988887777"
    assert await post(harness, payload) == 200

    [event] = await seen.wait_for(1)
    assert event.data.sender.display_name is None
    assert [i.value for i in event.data.sender.identifiers] == ["5511988887777", "+5511988887777"]
