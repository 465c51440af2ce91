"""A test plugin with its own event type, so core tests don't depend on family details."""

from __future__ import annotations

from typing import Any

from omnihub_contracts import CloudEvent, EventType
from pydantic import BaseModel, ConfigDict, Field

from hub import hookimpl


class Ping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = Field(ge=0)
    note: str = ""


PING = EventType("acme.ping", Ping)


class AcmePlugin:
    """Registers ``acme.ping``; the tests add their own consumers."""

    @hookimpl
    def hub_register_event_types(self, register: Any) -> None:
        register(PING)


def ping(
    n: int, *, id: str | None = None, customer: str | None = "cust-1", **extra: Any
) -> CloudEvent:
    fields: dict[str, Any] = {
        "source": "/tests",
        "type": "acme.ping",
        "channel": "web",
        "customerid": customer,
        "data": {"n": n},
        **extra,
    }
    if id is not None:
        fields["id"] = id
    return CloudEvent.model_validate(fields)


def ping_json(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ping-{n}",
        "source": "/tests",
        "type": "acme.ping",
        "channel": "web",
        "data": {"n": n},
        **extra,
    }
