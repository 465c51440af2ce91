"""Which typed ``data`` model belongs to which event ``type``, and strict parsing by it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .envelope import FIELD_RULE, CloudEvent


@dataclass(frozen=True)
class EventType:
    name: str
    data_model: type[BaseModel]
    version: int = 1
    summary: str = ""

    @property
    def dataschema(self) -> str:
        return f"urn:omnihub:schema:{self.name}:v{self.version}"

    @property
    def schema_file(self) -> str:
        return f"{self.name}.v{self.version}.json"


@dataclass(frozen=True)
class FieldError:
    """One problem with an event, located by a dotted path such as ``data.score``."""

    field: str
    message: str
    index: int | None = None  # position in a batch


class InvalidEvent(ValueError):
    """The event does not satisfy its contract; ``errors`` name each bad field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def _field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        if err["type"] == FIELD_RULE:  # a model-level check that names its field
            loc = (*loc, err["ctx"]["field"])
        # pydantic prefixes what our validators raise with "Value error, "; the path
        # already says where, so drop it for a message a person can read as is.
        message = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(".".join(str(p) for p in loc) or "(event)", message))
    return errors


class EventRegistry(Mapping[str, EventType]):
    """The event types one hub knows: the core families plus what plugins registered."""

    def __init__(self, types: Iterable[EventType] = ()):
        self._types: dict[str, EventType] = {}
        for event_type in types:
            self.add(event_type)

    def add(self, event_type: EventType) -> None:
        if event_type.name in self._types:
            raise ValueError(f"event type {event_type.name!r} is already registered")
        self._types[event_type.name] = event_type

    def __getitem__(self, name: str) -> EventType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def parse(self, raw: bytes | str | Mapping[str, Any]) -> CloudEvent:
        """Validate an event (JSON text or a decoded object) and type its ``data``.

        Raises :class:`InvalidEvent` naming every bad field.
        """
        try:
            if isinstance(raw, bytes | str):
                envelope = CloudEvent.model_validate_json(raw)
            else:
                envelope = CloudEvent.model_validate(raw)
        except ValidationError as exc:
            raise InvalidEvent(_field_errors(exc)) from None
        return self.type_data(envelope)

    def type_data(self, envelope: CloudEvent) -> CloudEvent:
        """Validate ``envelope.data`` against the model registered for its type."""
        event_type = self._types.get(envelope.type)
        if event_type is None:
            raise InvalidEvent([FieldError("type", f"unknown event type {envelope.type!r}")])
        data = envelope.data
        if isinstance(data, event_type.data_model):
            typed = data
        else:
            if isinstance(data, BaseModel):
                data = data.model_dump(mode="json")
            try:
                typed = event_type.data_model.model_validate(data if data is not None else {})
            except ValidationError as exc:
                raise InvalidEvent(_field_errors(exc, ("data",))) from None
        update: dict[str, Any] = {"data": typed}
        if envelope.dataschema is None:
            update["dataschema"] = event_type.dataschema
        elif envelope.dataschema != event_type.dataschema:
            raise InvalidEvent([FieldError("dataschema", f"expected {event_type.dataschema!r}")])
        return envelope.model_copy(update=update)
