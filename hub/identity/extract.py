"""What an event says about its customer: identifiers to resolve, traits to keep.

Only fields that identify the customer themself count: a contact card the customer shares
on WhatsApp names someone else and must never link them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omnihub_contracts import CloudEvent, Identifier

# Events whose identifiers may start a profile; others only look one up (a delivery
# receipt or an erasure request for someone unknown creates nobody).
CREATING_TYPES = frozenset(
    {
        "customer.identified",
        "consent.granted",
        "consent.revoked",
        "message.received",
        "message.send",
        "order.placed",
        "order.updated",
        "survey.responded",
    }
)


@dataclass(frozen=True)
class TraitChange:
    value: Any  # JSON; None clears the trait
    source: str
    observed_at: float  # epoch seconds


@dataclass
class Observation:
    identifiers: list[Identifier] = field(default_factory=list)
    stated_id: str | None = None
    traits: dict[str, TraitChange] = field(default_factory=dict)
    may_create: bool = False


def observe(event: CloudEvent) -> Observation:
    data = event.data
    seen = Observation(stated_id=event.customerid, may_create=event.type in CREATING_TYPES)
    at = event.time.timestamp()
    if event.type == "message.received":
        seen.identifiers = list(data.sender.identifiers)
        source = event.channel or event.source
        if data.sender.display_name:
            seen.traits["display_name"] = TraitChange(data.sender.display_name, source, at)
        if data.sender.language:
            seen.traits["language"] = TraitChange(data.sender.language, source, at)
    elif event.type == "message.send":
        seen.identifiers = list(data.recipient.identifiers)
        seen.stated_id = seen.stated_id or data.recipient.customer_id
    elif event.type in ("message.sent", "message.delivered", "message.read", "message.failed"):
        seen.identifiers = [data.recipient] if data.recipient is not None else []
    elif event.type in ("customer.identified", "customer.updated"):
        seen.identifiers = list(getattr(data, "identifiers", []))
        seen.traits = {
            key: TraitChange(
                trait.value,
                trait.source,
                trait.observed_at.timestamp() if trait.observed_at else at,
            )
            for key, trait in data.traits.items()
        }
    elif event.type.startswith(("consent.", "order.")) or event.type in (
        "customer.erasure_requested",
        "survey.responded",
    ):
        seen.identifiers = list(data.identifiers)
    return seen


def unique(identifiers: Iterable[Identifier]) -> list[Identifier]:
    return list({(i.kind, i.value): i for i in identifiers}.values())
