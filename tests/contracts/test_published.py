"""The checked-in JSON Schemas and AsyncAPI document: fresh, valid, and in agreement with
the models - a team in another language validates our events with these files alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from omnihub_contracts import CORE_EVENT_TYPES, core_registry

from hub.contracts_export import export, render, stale

from .examples import EXAMPLES, all_examples, envelope

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
REGISTRY = core_registry()


def _schema(type_: str) -> dict[str, Any]:
    text = (CONTRACTS / "schemas" / REGISTRY[type_].schema_file).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validator(type_: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        _schema(type_), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_checked_in_contracts_are_fresh() -> None:
    outdated = stale(CONTRACTS, REGISTRY)
    assert outdated == [], (
        f"contracts/ is stale ({', '.join(outdated)}): run `omnihub contracts export` "
        "and commit the result"
    )


def test_export_writes_only_changes_and_removes_stale_schemas(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "gone.v1.json").write_text("{}")
    assert sorted(stale(tmp_path, REGISTRY))[0] == "asyncapi.yaml"

    written = export(tmp_path, REGISTRY)

    assert len(written) == len(render(REGISTRY)) + 1
    assert not (tmp_path / "schemas" / "gone.v1.json").exists()
    assert stale(tmp_path, REGISTRY) == []
    assert export(tmp_path, REGISTRY) == []


def test_render_is_deterministic() -> None:
    first = render(REGISTRY)
    assert render(core_registry()) == first
    assert all(text.endswith("\n") for text in first.values())


@pytest.mark.parametrize("event_type", CORE_EVENT_TYPES, ids=lambda t: t.name)
def test_each_schema_is_a_valid_json_schema_of_the_whole_envelope(event_type: Any) -> None:
    schema = _schema(event_type.name)

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == event_type.dataschema
    assert schema["properties"]["type"]["const"] == event_type.name
    assert {"specversion", "id", "source", "type", "data"} <= set(schema["required"])


@pytest.mark.parametrize(("type_", "data"), all_examples())
def test_events_dumped_by_pydantic_satisfy_their_json_schema(
    type_: str, data: dict[str, Any]
) -> None:
    event = REGISTRY.parse(envelope(type_, data, channel="whatsapp", customerid="c-1"))

    _validator(type_).validate(json.loads(event.to_json()))
    _validator(type_).validate(event.model_dump(mode="json"))  # with nulls, too


@pytest.mark.parametrize(
    ("type_", "index", "path", "value"),
    [
        ("survey.responded", 0, ("score",), 11),
        ("survey.responded", 0, ("colour",), "red"),
        ("survey.detractor", 0, ("score",), 8),
        ("message.received", 0, ("text",), None),
        ("message.send", 2, ("interactive", "buttons"), None),
        ("order.placed", 0, ("totals", "total"), 109.9),
        ("consent.granted", 0, ("legal_basis",), "because"),
    ],
)
def test_json_schema_rejects_what_the_models_reject(
    type_: str, index: int, path: tuple[str, ...], value: Any
) -> None:
    data = copy.deepcopy(EXAMPLES[type_][index])
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    assert not _validator(type_).is_valid(envelope(type_, data))


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_asyncapi_document_describes_every_type_on_the_events_exchange() -> None:
    document = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text(encoding="utf-8"))

    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["rabbitmq"]["protocol"] == "amqp"
    for ref in _refs(document):
        _resolve(document, ref)  # every reference points inside the document
    for event_type in CORE_EVENT_TYPES:
        channel = document["channels"][event_type.name]
        assert channel["address"] == f"{event_type.name}.{{channel}}"
        assert set(channel["parameters"]) == {"channel"}
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "omnihub.events"
        operation = document["operations"][f"receive.{event_type.name}"]
        assert operation["action"] == "receive"
        assert _resolve(document, operation["channel"]["$ref"]) is channel


def test_asyncapi_payload_schemas_validate_events() -> None:
    document = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text(encoding="utf-8"))
    for type_, data in all_examples():
        message = _resolve(document, document["channels"][type_]["messages"]["event"]["$ref"])
        # Payload references point at #/components/schemas/…: validate within the document.
        schema = {**_resolve(document, message["payload"]["$ref"]), **document}
        instance = json.loads(REGISTRY.parse(envelope(type_, data)).to_json())
        jsonschema.Draft7Validator(schema).validate(instance)
