"""Pipeline stages the identity and consent features plug into.

Each stage takes an event and returns it enriched. The defaults keep what the producer
stated; the identity and consent issues replace them with store-backed stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from omnihub_contracts import CloudEvent


@dataclass
class Resolved:
    """An event stamped with its ``customerid``, and what resolving it announces
    (``customer.merged`` …), already in the outbox: publish, then mark them done."""

    event: CloudEvent
    announcements: list[CloudEvent] = field(default_factory=list)
    # The event names an erased person: the pipeline drops it (not published, not retried).
    suppressed: bool = False
    # The event and the announcements carry the consent snapshot already (stamped in the
    # same transaction): the pipeline's consent stage has nothing left to do.
    consent_stamped: bool = False


class IdentityStage(Protocol):
    async def resolve(self, event: CloudEvent) -> Resolved:
        """Return the event stamped with the customer's ``customerid``."""


class ConsentStage(Protocol):
    async def stamp(self, event: CloudEvent) -> CloudEvent:
        """Return the event stamped with the customer's consent snapshot."""


class ErasureIntake(Protocol):
    async def from_event(self, event: CloudEvent) -> None:
        """Run the erasure an inbound ``customer.erasure_requested`` asks for; the intake
        publishes the hub's own ``customer.erasure_requested`` to ``omnihub.events``."""


class StatedIdentity:
    """Trusts the ``customerid`` the producer stated (none: the event has no customer)."""

    async def resolve(self, event: CloudEvent) -> Resolved:
        return Resolved(event)


class StatedConsent:
    """Keeps the ``consent`` snapshot the producer stated (none: no filtering applies)."""

    async def stamp(self, event: CloudEvent) -> CloudEvent:
        return event
