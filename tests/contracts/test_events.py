"""Every core event type parses its valid examples and rejects bad input naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from omnihub_contracts import CORE_EVENT_TYPES, CloudEvent, InvalidEvent, core_registry
from omnihub_contracts.survey import NpsCategory

from .examples import EXAMPLES, all_examples, envelope

REGISTRY = core_registry()


def test_every_core_type_has_examples() -> None:
    assert sorted(EXAMPLES) == sorted(t.name for t in CORE_EVENT_TYPES)


@pytest.mark.parametrize(("type_", "data"), all_examples())
def test_valid_example_parses_to_its_model(type_: str, data: dict[str, Any]) -> None:
    event = REGISTRY.parse(envelope(type_, data, channel="whatsapp"))

    assert isinstance(event.data, REGISTRY[type_].data_model)
    assert event.dataschema == f"urn:omnihub:schema:{type_}:v1"
    assert event.routing_key == f"{type_}.whatsapp"


@pytest.mark.parametrize(("type_", "data"), all_examples())
def test_json_round_trip_is_lossless(type_: str, data: dict[str, Any]) -> None:
    event = REGISTRY.parse(envelope(type_, data, customerid="c-1", consent="service,surveys"))

    again = REGISTRY.parse(event.to_json())

    assert again == event
    assert again.to_json() == event.to_json()


def test_routing_key_without_channel_says_none() -> None:
    event = REGISTRY.parse(envelope("customer.merged", EXAMPLES["customer.merged"][0]))
    assert event.routing_key == "customer.merged.none"


def test_nps_category_is_derived_from_score() -> None:
    event = REGISTRY.parse(envelope("survey.responded", {"score": 8}))
    assert event.data.category is NpsCategory.PASSIVE


def test_money_keeps_every_digit() -> None:
    event = REGISTRY.parse(envelope("order.placed", EXAMPLES["order.placed"][0]))
    assert event.data.items[0].unit_price.as_tuple().exponent == -2
    assert b'"unit_price":"49.95"' in event.to_json()
    assert b'"discount":"0"' in event.to_json()


def _set(path: str, value: Any) -> Any:
    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = event
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value

    return change


def _drop(path: str) -> Any:
    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = event
        for key in parents:
            target = target[key]
        del target[last]

    return change


INVALID = [
    ("survey.responded", 0, _set("data.score", 11), "data.score"),
    ("survey.responded", 0, _set("data.score", "9"), "data.score"),
    ("survey.responded", 0, _set("data.score", True), "data.score"),
    ("survey.responded", 0, _set("data.category", "promoter"), None),  # 9 is a promoter: ok
    ("survey.responded", 2, _set("data.category", "promoter"), "data.category"),
    ("survey.detractor", 0, _set("data.score", 8), "data.score"),
    ("survey.responded", 0, _set("data.colour", "red"), "data.colour"),
    ("survey.responded", 0, _set("colour", "red"), "colour"),
    ("survey.responded", 0, _set("type", "survey.answered"), "type"),
    ("survey.responded", 0, _set("type", "Survey"), "type"),
    ("survey.responded", 0, _set("dataschema", "urn:omnihub:schema:survey.responded:v9"),
     "dataschema"),
    ("survey.responded", 0, _set("time", "2024-05-01T12:00:00"), "time"),
    ("survey.responded", 0, _set("channel", "WhatsApp"), "channel"),
    ("survey.responded", 0, _set("consent", "marketing;surveys"), "consent"),
    ("survey.responded", 0, _set("specversion", "0.3"), "specversion"),
    ("survey.responded", 0, _drop("source"), "source"),
    ("message.received", 0, _drop("data.text"), "data.text"),
    ("message.received", 3, _drop("data.media"), "data.media"),
    ("message.received", 0, _set("data.kind", "poll"), "data.kind"),
    ("message.received", 0, _set("data.sender.identifiers", []), "data.sender.identifiers"),
    ("message.received", 0, _set("data.sender.identifiers.0.kind", "WA"),
     "data.sender.identifiers.0.kind"),
    ("message.received", 7, _set("data.location.latitude", 91), "data.location.latitude"),
    ("message.received", 7, _set("data.location.latitude", "-23.5"), "data.location.latitude"),
    ("message.received", 0, _set("data.forwarded", "yes"), "data.forwarded"),
    ("message.send", 0, _set("data.recipient", {}), "data.recipient"),
    ("message.send", 1, _set("data.media.url", None), "data.media"),
    ("message.send", 2, _drop("data.interactive.buttons"), "data.interactive.buttons"),
    ("message.failed", 0, _set("data.error.code", 131047), "data.error.code"),
    ("consent.granted", 0, _set("data.legal_basis", "because"), "data.legal_basis"),
    ("consent.granted", 0, _set("data.purpose", "Marketing"), "data.purpose"),
    ("order.placed", 0, _set("data.items.0.unit_price", 49.95), "data.items.0.unit_price"),
    ("order.placed", 0, _set("data.items.0.unit_price", "4.995e1"), "data.items.0.unit_price"),
    ("order.placed", 0, _set("data.items.0.quantity", 1.5), "data.items.0.quantity"),
    ("order.placed", 0, _set("data.currency", "brl"), "data.currency"),
    ("order.placed", 0, _drop("data.currency"), "data.currency"),
    ("order.updated", 0, _set("data.status", "lost"), "data.status"),
    ("customer.merged", 0, _set("data.merged_ids", ["c-1"]), "data.merged_ids"),
    ("customer.updated", 0, _set("data.changed", ["nickname"]), "data.changed"),
    ("conversation.handoff", 0, _drop("data.context"), "data.context"),
    ("conversation.handoff", 0, _set("data.to_controller", "bot"), "data.to_controller"),
    ("conversation.assigned", 1, _drop("data.team"), "data.team"),
]  # fmt: skip


@pytest.mark.parametrize(("type_", "index", "change", "field"), INVALID)
def test_invalid_event_names_the_field(
    type_: str, index: int, change: Any, field: str | None
) -> None:
    raw = envelope(type_, copy.deepcopy(EXAMPLES[type_][index]))
    change(raw)

    if field is None:
        REGISTRY.parse(raw)
        return
    with pytest.raises(InvalidEvent) as caught:
        REGISTRY.parse(raw)

    assert field in [e.field for e in caught.value.errors], caught.value
    assert all(e.message and not e.message.startswith("Value error") for e in caught.value.errors)


def test_error_messages_say_what_is_wrong() -> None:
    raw = envelope("message.received", {**EXAMPLES["message.received"][0], "text": None})
    with pytest.raises(InvalidEvent, match=r"data\.text: text is required when kind is 'text'"):
        REGISTRY.parse(raw)


def test_not_an_object_is_an_invalid_event() -> None:
    for raw in (b"[]", b"{", "null", b"\xff"):
        with pytest.raises(InvalidEvent):
            REGISTRY.parse(raw)


def test_typing_data_of_an_envelope_built_in_python() -> None:
    data = REGISTRY["survey.responded"].data_model.model_validate({"score": 10})
    event = CloudEvent(source="/crm", type="survey.responded", data=data)

    typed = REGISTRY.type_data(event)

    assert typed.data is data
    assert typed.dataschema == "urn:omnihub:schema:survey.responded:v1"
