"""Generate the published contracts from the models: a JSON Schema per event type and version,
and an AsyncAPI 3.0 document of the ``omnihub.events`` exchange.

Both are checked in under ``contracts/`` so teams in other languages need no Python; a test
fails when they drift from the models (``omnihub contracts export`` regenerates them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from omnihub_contracts import CloudEvent, EventRegistry, EventType, __version__
from omnihub_contracts.envelope import NonEmpty
from pydantic import AwareDatetime, Field, create_model
from pydantic.json_schema import models_json_schema

SCHEMAS_DIR = "schemas"
ASYNCAPI_FILE = "asyncapi.yaml"
EXCHANGE = "omnihub.events"
CONTENT_TYPE = "application/cloudevents+json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_AMQP_BINDING_VERSION = "0.3.0"


def event_model(event_type: EventType) -> type[CloudEvent]:
    """The full envelope with ``type`` fixed to this type and ``data`` typed by its model.

    ``id``, ``specversion`` and ``time`` lose their Python defaults: the schema describes an
    event as it travels, where they are always present.
    """
    name = "".join(w.capitalize() for w in re.split(r"[._]", event_type.name))
    suffix = f"V{event_type.version}" if event_type.version > 1 else ""
    literal = cast(Any, Literal)  # Literal of a runtime value: fine for pydantic, not for mypy
    return create_model(
        f"{name}Event{suffix}",
        __base__=CloudEvent,
        __doc__=event_type.summary or event_type.data_model.__doc__,
        specversion=(literal["1.0"], ...),
        id=(NonEmpty, ...),
        time=(AwareDatetime, ...),
        type=(literal[event_type.name], ...),
        dataschema=(literal[event_type.dataschema] | None, Field(default=None)),
        data=(event_type.data_model, ...),
    )


def json_schema(event_type: EventType) -> dict[str, Any]:
    schema = event_model(event_type).model_json_schema()
    title = f"{event_type.name} v{event_type.version}"
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": event_type.dataschema, **schema, "title": title}


def asyncapi(registry: EventRegistry) -> dict[str, Any]:
    types = [registry[name] for name in sorted(registry)]
    models = [event_model(t) for t in types]
    refs, defs = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in zip(types, models, strict=True):
        key = model.__name__
        messages[key] = {
            "name": event_type.name,
            "title": f"{event_type.name} v{event_type.version}",
            "summary": event_type.summary,
            "contentType": CONTENT_TYPE,
            "correlationId": {"location": "$message.payload#/correlationid"},
            "payload": refs[(model, "validation")],
        }
        channels[event_type.name] = {
            "address": f"{event_type.name}.{{channel}}",
            "title": event_type.name,
            "summary": event_type.summary,
            "parameters": {"channel": {"description": _CHANNEL_PARAMETER}},
            "messages": {"event": {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": _routing_key_binding()},
        }
        operations[f"receive.{event_type.name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{event_type.name}"},
            "summary": f"Consume {event_type.name} from a queue bound to {EXCHANGE}.",
            "messages": [{"$ref": f"#/channels/{event_type.name}/messages/event"}],
            "bindings": {"amqp": {"ack": True, "bindingVersion": _AMQP_BINDING_VERSION}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Omnihub events", "version": __version__, "description": _ABOUT},
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The RabbitMQ the hub runs on; use your deployment's host.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": defs.get("$defs", {})},
    }


def render(registry: EventRegistry) -> dict[str, str]:
    """Relative path → file text of every generated contract file (deterministic)."""
    files = {
        f"{SCHEMAS_DIR}/{event_type.schema_file}": _json_text(json_schema(event_type))
        for event_type in registry.values()
    }
    files[ASYNCAPI_FILE] = yaml.dump(
        asyncapi(registry), Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=100
    )
    return dict(sorted(files.items()))


def export(contracts_dir: Path, registry: EventRegistry) -> list[Path]:
    """Write the generated files and delete schema files no type produces any more.

    Returns the paths written or deleted (only those that changed).
    """
    changed: list[Path] = []
    expected = render(registry)
    for relative, text in expected.items():
        path = contracts_dir / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for relative in _extra_schema_files(contracts_dir, expected):
        (contracts_dir / relative).unlink()
        changed.append(contracts_dir / relative)
    return changed


def stale(contracts_dir: Path, registry: EventRegistry) -> list[str]:
    """Relative paths that are missing, differ from the models, or should not exist."""
    expected = render(registry)
    outdated = [
        relative
        for relative, text in expected.items()
        if not (contracts_dir / relative).is_file()
        or (contracts_dir / relative).read_text(encoding="utf-8") != text
    ]
    return sorted(outdated + _extra_schema_files(contracts_dir, expected))


def _extra_schema_files(contracts_dir: Path, expected: dict[str, str]) -> list[str]:
    found = (contracts_dir / SCHEMAS_DIR).glob("*.json")
    return sorted(r for p in found if (r := f"{SCHEMAS_DIR}/{p.name}") not in expected)


def _json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _routing_key_binding() -> dict[str, Any]:
    exchange = {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False}
    return {"is": "routingKey", "exchange": exchange, "bindingVersion": _AMQP_BINDING_VERSION}


class _Dumper(yaml.SafeDumper):
    """Never emit YAML anchors: shared sub-documents are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_CHANNEL_PARAMETER = (
    "The channel the event concerns (whatsapp, instagram, messenger, telegram, email, web, "
    "store …), or `none` when it has none."
)
_ABOUT = f"""\
Canonical customer events as CloudEvents 1.0 (structured mode, JSON) on the RabbitMQ topic \
exchange `{EXCHANGE}`. The routing key is `<type>.<channel>`, e.g. `message.received.whatsapp`. \
A system outside the hub gets a queue of its own with \
`omnihub consumers add NAME --bind 'message.received.*' --purpose service`: the hub feeds \
`omnihub.external.NAME` only the events whose consent snapshot allows those purposes, so do \
not bind to the exchange directly (docs/external-consumers.md).

Each event's `data` is typed per `type`; the JSON Schema of the whole event is also published \
as `schemas/<type>.v<version>.json` with `$id` equal to the event's `dataschema`. Contracts \
evolve additively: ignore fields you do not know; a breaking change gets a new version.
"""
