"""Pipeline stages the identity and consent features plug into.

Each stage takes an event and returns it enriched. The defaults keep what the producer
stated; the identity and consent issues replace them with store-backed stages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from omnihub_contracts import CloudEvent, Identifier


class IdentityStage(Protocol):
    async def resolve(self, event: CloudEvent) -> CloudEvent:
        """Return the event stamped with the customer's ``customerid``."""


class ConsentStage(Protocol):
    async def stamp(self, event: CloudEvent) -> CloudEvent:
        """Return the event stamped with the customer's consent snapshot."""


class StatedIdentity:
    """Trusts the ``customerid`` the producer stated (none: the event has no customer)."""

    async def resolve(self, event: CloudEvent) -> CloudEvent:
        return event


class StatedConsent:
    """Keeps the ``consent`` snapshot the producer stated (none: no filtering applies)."""

    async def stamp(self, event: CloudEvent) -> CloudEvent:
        return event


class NoProfiles:
    """The customer directory of a hub that keeps no profiles: it knows nobody."""

    async def find(self, identifier: Identifier) -> str | None:
        return None

    async def identifiers(self, customer_id: str) -> list[Identifier]:
        return []

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        return None
