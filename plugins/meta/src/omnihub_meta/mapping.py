"""The safety net between a webhook and its canonical events: nothing is dropped silently.

A channel module turns a payload into :class:`WebhookItem`s, one per message, status or
change. Each item is built, validated against the contracts and serialised here; if that
fails (a mapping bug, a shape Meta added), its ``fallback`` is tried (e.g. the message as
kind ``unsupported``), and last the item is kept whole as a ``<channel>.unmapped`` event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from omnihub_contracts import CloudEvent, EventRegistry, EventType, InvalidEvent, core_registry
from omnihub_contracts.envelope import Contract
from pydantic import Field, JsonValue, StringConstraints, ValidationError

from .events import Envelope

log = structlog.get_logger("omnihub_meta.mapping")

Builder = Callable[[], list[CloudEvent]]


class UnmappedItem(Contract):
    """A webhook item the plugin could not turn into a canonical event, kept whole."""

    reason: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    field: str | None = Field(default=None, max_length=200, description="The webhook field.")
    errors: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=50, description="Where the contract refused it."
    )
    raw: dict[str, JsonValue]


def unmapped_type(channel: str) -> EventType:
    return EventType(
        f"{channel}.unmapped",
        UnmappedItem,
        summary=f"A {channel} webhook item with no canonical event yet, kept whole.",
    )


@dataclass(frozen=True)
class WebhookItem:
    """One mappable unit of a webhook and how to build its events."""

    envelope: Envelope
    path: str  # where in the payload, e.g. "entry.0.changes.1.messages.0"
    field: str | None
    raw: dict[str, Any]  # self-contained JSON kept if nothing else works
    build: Builder | None = None  # None: nothing maps it (yet), keep it whole
    fallback: Builder | None = None
    reason: str = "not_mapped"  # why, when ``build`` is None

    def unmapped(self, reason: str, errors: Iterable[str] = ()) -> CloudEvent:
        digest = hashlib.sha256(json.dumps(self.raw, sort_keys=True).encode()).hexdigest()
        data = UnmappedItem(reason=reason, field=self.field, errors=list(errors)[:50], raw=self.raw)
        return self.envelope.event(
            f"{self.envelope.channel}.unmapped", f"unmapped:{self.path}:{digest}", data
        )


def walk_entries(
    payload: dict[str, Any],
    default: Envelope,
    items_of_entry: Callable[[Any, str, Envelope], Iterator[WebhookItem]],
) -> Iterator[WebhookItem]:
    """``{"object": …, "entry": [...]}``: the items of each entry (path ``entry.<n>``)."""
    entries = payload.get("entry")
    if not isinstance(entries, list):
        yield WebhookItem(default, "payload", None, payload, reason="not_a_webhook")
        return
    for e, entry in enumerate(entries):
        yield from items_of_entry(entry, f"entry.{e}", default)


def _problems(exc: Exception) -> list[str]:
    # Field paths and messages only: a pydantic message with input values would copy
    # personal data into the event's error list and into logs.
    if isinstance(exc, InvalidEvent):
        return [f"{e.field}: {e.message}"[:500] for e in exc.errors]
    if isinstance(exc, ValidationError):
        return [".".join(map(str, e["loc"])) + ": " + e["msg"] for e in exc.errors()][:50]
    return [type(exc).__name__]


class Mapper:
    """Validates what a channel module builds, with the fallbacks described above."""

    def __init__(self, channel: str):
        self.channel = channel
        self.registry: EventRegistry = core_registry()
        self.registry.add(unmapped_type(channel))

    def _valid(self, events: list[CloudEvent]) -> list[CloudEvent]:
        typed = [self.registry.type_data(e) for e in events]
        for event in typed:
            event.to_json()  # e.g. a lone surrogate in a text fails here, not in publish
        return typed

    def events(self, items: Iterable[WebhookItem]) -> list[CloudEvent]:
        """Every item's events. Raises ValueError only if an item cannot even be kept whole."""
        out: list[CloudEvent] = []
        for item in items:
            out += self._item_events(item)
        return out

    def _item_events(self, item: WebhookItem) -> list[CloudEvent]:
        if item.build is None:
            return self._kept(item, item.reason, [])
        try:
            return self._valid(item.build())
        except Exception as exc:
            problems = _problems(exc)
            log.warning(
                "webhook_item_unmapped", channel=self.channel, path=item.path, errors=len(problems)
            )
        if item.fallback is not None:
            try:
                return self._valid(item.fallback())
            except Exception as exc:
                problems += _problems(exc)
        return self._kept(item, "mapping_failed", problems)

    def _kept(self, item: WebhookItem, reason: str, problems: list[str]) -> list[CloudEvent]:
        try:
            return self._valid([item.unmapped(reason, problems)])
        except Exception as exc:
            raise ValueError(f"item {item.path} cannot be kept: {type(exc).__name__}") from None
