"""HubSpot contact webhook events -> canonical ``customer.*`` events.

Every event id derives from HubSpot's ``portalId`` and ``eventId``, so a delivery HubSpot
retries is dropped by the hub as a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from omnihub_contracts.customer import (
    CustomerErasureRequested,
    CustomerIdentified,
    CustomerMerged,
    CustomerUpdated,
    Trait,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict

from hub import CloudEvent, CustomerDirectory, Identifier

from .config import HubSpotConfig

SOURCE = "/plugins/hubspot"
CRM = "crm:hubspot"  # identifier kind and trait source

HubSpotId = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]


class HubSpotEvent(BaseModel):
    """One element of the array HubSpot posts. Older deliveries name the kind
    ``eventType``, newer ones ``subscriptionType``: both are read."""

    model_config = ConfigDict(extra="ignore")

    eventId: HubSpotId
    portalId: HubSpotId
    occurredAt: int  # Unix milliseconds
    objectId: HubSpotId | None = None
    subscriptionType: str | None = None
    eventType: str | None = None
    propertyName: str | None = None
    propertyValue: Any = None
    primaryObjectId: HubSpotId | None = None
    mergedObjectIds: list[HubSpotId] = []
    newObjectId: HubSpotId | None = None

    @property
    def kind(self) -> str:
        return self.subscriptionType or self.eventType or ""

    @property
    def key(self) -> str:
        return f"hubspot-{self.portalId}-{self.eventId}"

    @property
    def occurred(self) -> datetime:
        return datetime.fromtimestamp(self.occurredAt / 1000, tz=UTC)


def contact(object_id: str) -> Identifier:
    return Identifier(kind=CRM, value=object_id)


def _unique(values: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


class Translator:
    def __init__(self, config: HubSpotConfig, customers: CustomerDirectory):
        self.config = config
        self.customers = customers

    async def translate(self, hs: HubSpotEvent) -> list[CloudEvent]:
        kind = hs.kind
        if hs.objectId is None and kind != "contact.merge":
            return []
        if kind == "contact.creation":
            assert hs.objectId is not None
            return [self._identified(hs, hs.key, [contact(hs.objectId)])]
        if kind == "contact.propertyChange":
            return await self._property_change(hs)
        if kind == "contact.merge":
            return await self._merge(hs)
        if kind == "contact.privacyDeletion" or (
            kind == "contact.deletion" and self.config.erase_on_deletion
        ):
            return [await self._erasure(hs)]
        return []  # other objects and kinds: not subscribed to, or nothing to say

    async def _property_change(self, hs: HubSpotEvent) -> list[CloudEvent]:
        assert hs.objectId is not None
        prop = hs.propertyName or ""
        trait_key = self.config.trait_of(prop)
        if trait_key is None:
            return []
        # HubSpot sends "" for a cleared property; a trait says so with null.
        value = None if hs.propertyValue in (None, "") else hs.propertyValue
        traits = {trait_key: Trait(value=value, source=CRM, observed_at=hs.occurred)}
        identifiers = [contact(hs.objectId)]
        kind = self.config.identifier_properties.get(prop)
        if kind and isinstance(value, str):
            identifiers.append(Identifier(kind=kind, value=value))
        customer_id = await self.customers.find(identifiers[0])
        if customer_id is None:
            # customer.updated needs a known customer; identified may carry traits and
            # lets the hub create (or find) the profile.
            return [self._identified(hs, hs.key, identifiers, traits=traits)]
        data = CustomerUpdated(traits=traits, changed=[trait_key])
        events = [self._event(hs, hs.key, "customer.updated", data, customer_id)]
        if len(identifiers) > 1:  # a new e-mail or phone: link it to the contact too
            events.append(self._identified(hs, f"{hs.key}-link", identifiers, customer_id))
        return events

    async def _merge(self, hs: HubSpotEvent) -> list[CloudEvent]:
        survivor = hs.newObjectId or hs.primaryObjectId or hs.objectId
        if survivor is None:
            return []
        hubspot_ids = _unique([survivor, hs.primaryObjectId, *hs.mergedObjectIds, hs.objectId])
        known = {h: await self.customers.find(contact(h)) for h in hubspot_ids}
        profiles = _unique(list(known.values()))
        contacts = [contact(h) for h in hubspot_ids]
        if len(profiles) < 2:
            # Nothing to merge in the hub: link every HubSpot id to the one profile (or let
            # the hub find or create it from them).
            owner = profiles[0] if profiles else None
            return [self._identified(hs, hs.key, contacts, owner)]
        surviving = known[survivor] or known.get(hs.primaryObjectId or "") or profiles[0]
        data = CustomerMerged(
            merge_id=hs.key,
            surviving_id=surviving,
            merged_ids=[p for p in profiles if p != surviving],
            rule="crm_merge",
            identifier=contact(survivor),
        )
        events = [self._event(hs, hs.key, "customer.merged", data, surviving)]
        if None in known.values():  # e.g. a new id for the merged contact: teach the hub
            events.append(self._identified(hs, f"{hs.key}-link", contacts, surviving))
        return events

    async def _erasure(self, hs: HubSpotEvent) -> CloudEvent:
        assert hs.objectId is not None
        identifier = contact(hs.objectId)
        data = CustomerErasureRequested(
            request_id=hs.key, requested_by=CRM, identifiers=[identifier]
        )
        customer_id = await self.customers.find(identifier)
        return self._event(hs, hs.key, "customer.erasure_requested", data, customer_id)

    def _identified(
        self,
        hs: HubSpotEvent,
        event_id: str,
        identifiers: list[Identifier],
        customer_id: str | None = None,
        traits: dict[str, Trait] | None = None,
    ) -> CloudEvent:
        data = CustomerIdentified(identifiers=identifiers, traits=traits or {})
        return self._event(hs, event_id, "customer.identified", data, customer_id)

    def _event(
        self, hs: HubSpotEvent, event_id: str, type_: str, data: BaseModel, customer_id: str | None
    ) -> CloudEvent:
        subject = f"contacts/{hs.newObjectId or hs.primaryObjectId or hs.objectId}"
        return CloudEvent(
            id=event_id,
            source=SOURCE,
            type=type_,
            time=hs.occurred,
            subject=subject,
            customerid=customer_id,
            data=data,
        )
