"""Events the identity stage announces: new profiles, merges and trait changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from omnihub_contracts import CloudEvent, Identifier
from omnihub_contracts.customer import (
    CustomerIdentified,
    CustomerMerged,
    CustomerUnmerged,
    CustomerUpdated,
    Trait,
)

from .extract import TraitChange
from .merges import MergeRecord
from .policy import Key

SOURCE = "/omnihub/identity"
_IDS = uuid.UUID("6f1d3c1e-93a4-4c55-9a8e-6f0f4f3b7a11")


def event_key(event: CloudEvent) -> str:
    return f"{event.source} {event.id}"


def derived(
    cause: CloudEvent | None, kind: str, name: str, customer_id: str, data: object
) -> CloudEvent:
    # Deterministic ids: announcing the same fact for the same cause twice is one event.
    basis = f"{event_key(cause) if cause else ''}|{kind}|{name}"
    return CloudEvent(
        id=str(uuid.uuid5(_IDS, basis)),
        source=SOURCE,
        type=kind,
        time=datetime.now(UTC),
        customerid=customer_id,
        causationid=cause.id if cause else None,
        correlationid=(cause.correlationid or cause.id) if cause else None,
        data=data,
    )


def identified(
    cause: CloudEvent, customer_id: str, keys: list[Key], *, created: bool = True
) -> CloudEvent:
    data = CustomerIdentified(
        identifiers=[Identifier(kind=k.kind, value=k.value) for k in keys], created=created
    )
    return derived(cause, "customer.identified", customer_id, customer_id, data)


def merged(cause: CloudEvent | None, record: MergeRecord) -> CloudEvent:
    via = record.identifier
    data = CustomerMerged(
        merge_id=record.id,
        surviving_id=record.surviving_id,
        merged_ids=[record.merged_id],
        rule=record.rule,
        identifier=Identifier(kind=via.kind, value=via.value) if via else None,
    )
    return derived(cause, "customer.merged", record.id, record.surviving_id, data)


def unmerged(record: MergeRecord) -> CloudEvent:
    data = CustomerUnmerged(
        merge_id=record.id,
        surviving_id=record.surviving_id,
        restored_ids=[record.merged_id],
        reason=record.undo_reason,
    )
    return derived(None, "customer.unmerged", record.id, record.surviving_id, data)


def updated(cause: CloudEvent, customer_id: str, changed: Mapping[str, TraitChange]) -> CloudEvent:
    traits = {
        key: Trait(
            value=change.value,
            source=change.source,
            observed_at=datetime.fromtimestamp(change.observed_at, UTC),
        )
        for key, change in changed.items()
    }
    data = CustomerUpdated(traits=traits, changed=sorted(changed))
    return derived(cause, "customer.updated", customer_id, customer_id, data)
