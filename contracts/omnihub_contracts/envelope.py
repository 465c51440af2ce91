"""The CloudEvents 1.0 envelope that carries every Omnihub event.

Extensions (lower-case, alphanumeric, as CloudEvents requires): ``customerid``, ``channel``,
``conversationid``, ``correlationid``, ``causationid`` and ``consent`` (the customer's
allowed purposes, comma-separated, stamped by the hub's pipeline).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
CHANNEL_PATTERN = r"^[a-z][a-z0-9_]*$"
CONSENT_PATTERN = r"^([a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*)?$"
NO_CHANNEL = "none"
"""Routing-key word used when an event has no channel (e.g. ``customer.merged.none``)."""

EventTypeName = Annotated[str, StringConstraints(pattern=TYPE_PATTERN, max_length=120)]
ChannelName = Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN, max_length=40)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=500)]
ConsentSnapshot = Annotated[str, StringConstraints(pattern=CONSENT_PATTERN, max_length=500)]


def new_event_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


FIELD_RULE = "field_rule"


def field_rule(field: str, message: str, **context: str) -> PydanticCustomError:
    """The error of a model-level check that concerns one field.

    pydantic locates a model validator's error at the model; the registry appends ``field``
    so the event's error still names ``data.<field>``. ``message`` may use ``{field}`` and
    the ``context`` keys as placeholders.
    """
    return PydanticCustomError(FIELD_RULE, message, {"field": field, **context})


class Contract(BaseModel):
    """Base of every contract model: unknown fields are errors, names are the wire names."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class CloudEvent(Contract):
    """One canonical event. ``data`` holds the typed model registered for ``type``."""

    specversion: Literal["1.0"] = "1.0"
    id: NonEmpty = Field(default_factory=new_event_id)
    source: NonEmpty = Field(description="URI-reference of the producer, e.g. /plugins/whatsapp")
    type: EventTypeName
    time: AwareDatetime = Field(default_factory=utc_now)
    subject: NonEmpty | None = None
    dataschema: NonEmpty | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    customerid: NonEmpty | None = None
    channel: ChannelName | None = None
    conversationid: NonEmpty | None = None
    correlationid: NonEmpty | None = None
    causationid: NonEmpty | None = None
    consent: ConsentSnapshot | None = Field(
        default=None,
        description="Purposes the customer allows, comma-separated; stamped by the hub.",
    )
    data: Any = None

    @property
    def routing_key(self) -> str:
        """``<type>.<channel>``: the key the event travels under on ``omnihub.events``."""
        return f"{self.type}.{self.channel or NO_CHANNEL}"

    @property
    def allowed_purposes(self) -> frozenset[str] | None:
        """The consent snapshot as a set; None when the hub has not stamped one."""
        if self.consent is None:
            return None
        return frozenset(p for p in self.consent.split(",") if p)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
