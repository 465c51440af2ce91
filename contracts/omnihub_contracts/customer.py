"""``customer.*``: who the customer is, how profiles merge, and erasure (LGPD Art. 18)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    AwareDatetime,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from .common import Identifier, Slug, Text, Title
from .envelope import Contract, NonEmpty

TraitKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*([.:][a-z0-9_]+)*$", max_length=100)
]
"""``first_name``, ``language``, ``crm:hubspot.lifecyclestage`` …"""


class Trait(Contract):
    value: JsonValue = Field(default=None, description="Absent or null: the trait was cleared.")
    source: NonEmpty = Field(description="Who said so, e.g. 'crm:hubspot' or 'whatsapp'.")
    observed_at: AwareDatetime | None = Field(
        default=None, description="When the source observed it; newer wins. Default: event time."
    )


class CustomerIdentified(Contract):
    """Identifiers seen together belong to one customer (a CRM link, a form, a webhook)."""

    identifiers: list[Identifier] = Field(min_length=1, max_length=50)
    traits: dict[TraitKey, Trait] = Field(default_factory=dict)
    created: bool | None = Field(
        default=None, strict=True, description="Set by the hub: true when a new profile began."
    )


class CustomerUpdated(Contract):
    """Traits of a profile changed."""

    traits: dict[TraitKey, Trait] = Field(min_length=1)
    changed: list[TraitKey] = Field(
        min_length=1, description="Keys whose value changed; each is a key of traits."
    )

    @field_validator("changed")
    @classmethod
    def _changed_are_traits(cls, changed: list[str], info: ValidationInfo) -> list[str]:
        unknown = sorted(set(changed) - set(info.data.get("traits", {})))
        if unknown:
            raise ValueError(f"keys not in traits: {', '.join(unknown)}")
        return changed


class CustomerMerged(Contract):
    """Two or more profiles turned out to be one person; ``surviving_id`` is kept."""

    merge_id: NonEmpty = Field(description="Names this merge, so it can be undone.")
    surviving_id: NonEmpty
    merged_ids: list[NonEmpty] = Field(min_length=1, description="Ids that now redirect.")
    rule: Slug = Field(description="Which rule decided, e.g. 'shared_identifier' or 'manual'.")
    identifier: Identifier | None = Field(
        default=None, description="The identifier that linked the profiles; none if manual."
    )

    @field_validator("merged_ids")
    @classmethod
    def _survivor_not_merged(cls, merged: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("surviving_id") in merged:
            raise ValueError("must not contain surviving_id")
        if len(set(merged)) != len(merged):
            raise ValueError("must not repeat an id")
        return merged


class CustomerUnmerged(Contract):
    """A merge was undone: the restored profiles exist again with their own identifiers."""

    merge_id: NonEmpty
    surviving_id: NonEmpty
    restored_ids: list[NonEmpty] = Field(min_length=1)
    reason: Text | None = None


class CustomerErasureRequested(Contract):
    """Erase everything about the customer (``customerid``) in every system that holds it."""

    request_id: NonEmpty
    requested_by: Title = Field(description="'customer', 'dpo', an API client … never a name.")
    deadline: AwareDatetime | None = Field(default=None, description="LGPD: 15 days.")
    identifiers: list[Identifier] = Field(
        default_factory=list, description="For systems that know the customer by these only."
    )


class ReceiptStatus(StrEnum):
    DONE = "done"
    PENDING = "pending"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class ErasureReceipt(Contract):
    system: Slug = Field(description="A plugin or external consumer, e.g. 'chatwoot'.")
    status: ReceiptStatus
    at: AwareDatetime | None = None
    detail: Title | None = Field(default=None, description="Never personal data.")


class CustomerErased(Contract):
    """An erasure request finished; the receipts say which system did what."""

    request_id: NonEmpty
    receipts: list[ErasureReceipt] = Field(min_length=1)
