"""The consent ledger: every decision per customer and purpose, kept in full, and the
snapshot the pipeline stamps on each event so consumers only see what the customer allows.

The latest decision per purpose wins: ``granted`` (with any legal basis: consent,
contract, legitimate interest …) allows it until it expires, ``revoked`` withdraws it.
Purposes in ``[privacy] default_allowed`` are allowed while nothing was recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnihub_contracts import CloudEvent

from ..config import PrivacySection
from ..identity.profiles import iso, surviving_id
from ..store import SqlStore, Tx

CONSENT_TYPES = {"consent.granted": "granted", "consent.revoked": "revoked"}
COLUMNS = "purpose, status, legal_basis, source, evidence, at, expires_at, event_key"


@dataclass(frozen=True)
class Decision:
    purpose: str
    status: str  # granted | revoked
    legal_basis: str
    source: str
    evidence: dict[str, Any] | None
    at: float
    expires_at: float | None = None
    event_key: str | None = None

    @classmethod
    def of(cls, event: CloudEvent) -> Decision:
        data = event.data
        expires = getattr(data, "expires_at", None)
        evidence = (
            data.evidence.model_dump(mode="json", exclude_none=True) if data.evidence else None
        )
        return cls(
            purpose=data.purpose,
            status=CONSENT_TYPES[event.type],
            legal_basis=str(data.legal_basis),
            source=data.source,
            evidence=evidence,
            at=event.time.timestamp(),
            expires_at=expires.timestamp() if expires else None,
            event_key=f"{event.source} {event.id}",
        )

    def view(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "status": self.status,
            "legal_basis": self.legal_basis,
            "source": self.source,
            "evidence": self.evidence,
            "at": iso(self.at),
            "expires_at": iso(self.expires_at),
        }


def current(decisions: Sequence[Decision]) -> dict[str, Decision]:
    """The latest decision per purpose (``decisions`` in ledger order)."""
    latest: dict[str, Decision] = {}
    for decision in decisions:
        latest[decision.purpose] = decision
    return latest


class ConsentLedger:
    def __init__(self, store: SqlStore, section: PrivacySection | None = None):
        self.store = store
        self.section = section or PrivacySection()

    def allowed(self, decisions: Sequence[Decision], now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        allowed = set(self.section.default_allowed)
        for purpose, decision in current(decisions).items():
            expired = decision.expires_at is not None and decision.expires_at <= now
            if decision.status == "granted" and not expired:
                allowed.add(purpose)
            else:
                allowed.discard(purpose)
        return sorted(allowed)

    async def decisions(self, tx: Tx, customer_id: str) -> list[Decision]:
        rows = await tx.fetch(
            f"SELECT {COLUMNS} FROM consent_ledger WHERE customer_id = ? ORDER BY at, seq",
            customer_id,
        )
        return [
            Decision(p, s, basis, src, json.loads(ev) if ev else None, at, exp, key)
            for p, s, basis, src, ev, at, exp, key in rows
        ]

    async def record(self, tx: Tx, customer_id: str, decision: Decision) -> None:
        """Add a decision once (a redelivered consent event is the same decision)."""
        await tx.execute(
            f"INSERT INTO consent_ledger (customer_id, {COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
            customer_id,
            decision.purpose,
            decision.status,
            decision.legal_basis,
            decision.source,
            json.dumps(decision.evidence) if decision.evidence is not None else None,
            decision.at,
            decision.expires_at,
            decision.event_key,
        )

    async def state(self, customer_id: str) -> tuple[str, list[Decision]] | None:
        """(surviving id, full history) of a customer, None if unknown."""
        async with self.store.db.connection() as tx:
            live = await surviving_id(tx, customer_id)
            return None if live is None else (live, await self.decisions(tx, live))

    def view(self, customer_id: str, decisions: Sequence[Decision]) -> dict[str, Any]:
        return {
            "customer_id": customer_id,
            "allowed": self.allowed(decisions),
            "purposes": {p: d.view() for p, d in sorted(current(decisions).items())},
            "defaults": sorted(self.section.default_allowed),
            "history": [d.view() for d in decisions],
        }


class LedgerConsent:
    """The pipeline's consent stage: records consent events, stamps every event."""

    def __init__(self, ledger: ConsentLedger):
        self.ledger = ledger

    async def stamp_within(self, tx: Tx, events: Sequence[CloudEvent]) -> list[CloudEvent]:
        """Record consent decisions and stamp ``events`` inside the identity transaction:
        the snapshot is the one of the resolution, and the pipeline reads nothing more."""
        snapshots: dict[str, str] = {}
        stamped = []
        for event in events:
            customer = event.customerid
            if customer is None:
                stamped.append(event)
                continue
            if event.type in CONSENT_TYPES:
                await self.ledger.record(tx, customer, Decision.of(event))
                snapshots.pop(customer, None)
            if customer not in snapshots:
                decisions = await self.ledger.decisions(tx, customer)
                snapshots[customer] = ",".join(self.ledger.allowed(decisions))
            stamped.append(event.model_copy(update={"consent": snapshots[customer]}))
        return stamped

    async def stamp(self, event: CloudEvent) -> CloudEvent:
        if not event.customerid:
            return event  # nobody's data: nothing to withhold
        db = self.ledger.store.db
        # A consent event writes the ledger: a transaction; anything else only reads it.
        scope = db.transaction() if event.type in CONSENT_TYPES else db.connection()
        async with scope as tx:
            [stamped] = await self.stamp_within(tx, [event])
        return stamped
