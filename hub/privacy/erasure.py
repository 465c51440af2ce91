"""The erasure flow (LGPD Art. 18 VI, GDPR Art. 17), one for the API and for CRM events.

record the request → suppress the person's identifiers and ids (salted hashes) → tell
every consumer (``customer.erasure_requested`` with the identifiers they need) → every
plugin's ``hub_erase_customer`` (receipts) → delete the hub's own rows (receipt
``omnihub``) → once every receipt is final, ``customer.erased``.

Each step can run again: a request that is not done is reused, not duplicated, and a
retry calls only the systems without a receipt or with a failed one. The request keeps
every customer id it covers, so a retry names them all once the hub's rows are gone; it
never keeps the identifiers, so only the first run hands them to the plugins. Systems that answer
``pending`` confirm later through ``POST /api/v1/erasures/{id}/receipts/{system}``.
Erasure events carry no consent snapshot: every consumer must get them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime

import structlog
from omnihub_contracts import CloudEvent, Identifier
from omnihub_contracts.customer import CustomerErased, CustomerErasureRequested
from omnihub_contracts.customer import ErasureReceipt as ReceiptContract

from ..config import PrivacySection
from ..identity import IdentityService, JunkIdentifier, Key
from ..plugin_api import ErasureReceipt, ErasureRequest
from ..store import SqlStore
from . import requests
from .forget import forget, identifier_keys, person_ids
from .requests import HUB_SYSTEM, Erasure, Receipt
from .suppression import Suppression

log = structlog.get_logger("hub.privacy")

SOURCE = "/hub/privacy"
# (request, systems to leave out) → a receipt per plugin that holds something
PluginEraser = Callable[[ErasureRequest, Collection[str]], Awaitable[dict[str, ErasureReceipt]]]
Publisher = Callable[[CloudEvent], Awaitable[None]]


class Erasures:
    def __init__(
        self,
        store: SqlStore,
        identity: IdentityService,
        suppression: Suppression,
        section: PrivacySection,
        erase_plugins: PluginEraser,
        publish: Publisher,
    ):
        self.store = store
        self.identity = identity
        self.suppression = suppression
        self.deadline_seconds = section.erasure_deadline_days * 86400.0
        self.erase_plugins = erase_plugins
        self.publish = publish

    # -- entry points ---------------------------------------------------------------------

    async def for_customer(self, customer_id: str, requested_by: str) -> Erasure | None:
        """The API's request; None when the hub never knew ``customer_id``."""
        person = await self.identity.person(customer_id)
        if person is not None:
            live, merged, identifiers = person
            return await self._erase(live, [live, *merged], identifiers, requested_by)
        async with self.store.db.connection() as tx:
            earlier = await requests.of_customers(tx, [customer_id])
        if not earlier:
            return None
        latest = earlier[-1]  # already erased: retry what is unfinished, else just answer
        if latest.status == "done":
            return latest
        primary = latest.customer_id or customer_id
        return await self._erase(primary, latest.customer_ids, [], latest.requested_by)

    async def from_event(self, event: CloudEvent) -> None:
        """A CRM's ``customer.erasure_requested``: by ``customerid`` or identifiers only."""
        data: CustomerErasureRequested = event.data
        candidates = [event.customerid] if event.customerid else []
        for identifier in data.identifiers:
            found = await self.identity.find(identifier)
            if found:
                candidates.append(found)
        people = [await self.identity.person(c) for c in dict.fromkeys(candidates)]
        ids, identifiers = list(candidates), list(data.identifiers)
        for person in people:
            if person is not None:
                ids += [person[0], *person[1]]
                identifiers += person[2]
        primary = next((p[0] for p in people if p is not None), event.customerid or "")
        deadline = data.deadline.timestamp() if data.deadline else None
        erasure = await self._erase(
            primary, ids, identifiers, data.requested_by, deadline, cause=event
        )
        log.info("erasure_requested_by_event", erasure=erasure.id, status=erasure.status)

    async def confirm(self, erasure_id: str, receipt: Receipt) -> Erasure | None:
        """A system (plugin or external) reports how its part went."""
        async with self.store.db.transaction() as tx:
            if await requests.load(tx, erasure_id) is None:
                return None
            await requests.put_receipt(tx, erasure_id, receipt)
        return await self._settle(erasure_id)

    async def get(self, erasure_id: str) -> Erasure | None:
        async with self.store.db.connection() as tx:
            return await requests.load(tx, erasure_id)

    # -- the flow -------------------------------------------------------------------------

    async def _erase(
        self,
        primary: str,
        ids: Sequence[str],
        identifiers: Sequence[Identifier],
        requested_by: str,
        stated_deadline: float | None = None,
        *,
        cause: CloudEvent | None = None,
    ) -> Erasure:
        ids = list(dict.fromkeys(i for i in ids if i))
        identifiers = list({(i.kind, i.value): i for i in identifiers}.values())
        erasure, reused = await self._record(primary, ids, requested_by, stated_deadline)
        if reused:  # what the first run knew: the rows it came from may be gone by now
            primary = erasure.customer_id or primary
            ids = list(dict.fromkeys([*ids, *erasure.customer_ids]))
        keys = self._keys(identifiers)
        async with self.store.db.transaction() as tx:
            await tx.lock_keys(f"identifier {k}" for k in keys)
            await self.suppression.add(tx, erasure.id, self.suppression.digests(keys, ids), now())
        await self.publish(self._requested_event(erasure, identifiers, cause))
        skip = {r.system for r in erasure.receipts if r.status in ("done", "pending")}
        request = ErasureRequest(
            erasure.id, primary, tuple(identifiers), tuple(i for i in ids if i != primary)
        )
        receipts = await self.erase_plugins(request, skip if reused else ())
        async with self.store.db.transaction() as tx:
            for system, receipt in receipts.items():
                detail = receipt.detail[:1000] or None
                row = Receipt(system, receipt.status, receipt.items, detail, now())
                await requests.put_receipt(tx, erasure.id, row)
        await self._forget(erasure.id, ids, keys)
        return await self._settle(erasure.id) or erasure

    async def _record(
        self, primary: str, ids: list[str], requested_by: str, stated_deadline: float | None
    ) -> tuple[Erasure, bool]:
        """The unfinished request for this person, or a new one; (request, reused)."""
        at = now()
        async with self.store.db.transaction() as tx:
            await tx.lock_keys(f"erasure {i}" for i in ids)
            unfinished = [e for e in await requests.of_customers(tx, ids) if e.status != "done"]
            if unfinished:
                await requests.cover(tx, unfinished[-1].id, ids)
                return await requests.load(tx, unfinished[-1].id) or unfinished[-1], True
            deadline = at + self.deadline_seconds
            if stated_deadline is not None:
                deadline = min(deadline, stated_deadline)
            erasure = Erasure(
                requests.new_erasure_id(), primary, requested_by, at, deadline, "pending", None
            )
            await requests.insert(tx, erasure)
            await requests.cover(tx, erasure.id, ids)
        log.info("erasure_recorded", erasure=erasure.id)
        return erasure, False

    def _keys(self, identifiers: Sequence[Identifier]) -> list[Key]:
        keys = []
        for identifier in identifiers:
            try:
                keys.append(self.identity.normalize(identifier.kind, identifier.value))
            except JunkIdentifier:
                continue  # identifies nobody: nothing to suppress
        return keys

    async def _forget(self, erasure_id: str, ids: list[str], keys: list[Key]) -> None:
        async with self.store.db.transaction() as tx:
            everyone = await person_ids(tx, ids)
            held = await identifier_keys(tx, everyone) if everyone else []
            await tx.lock_keys(f"identifier {k}" for k in {*keys, *held})
            # Identifiers linked since the person was read are suppressed too.
            everyone = await person_ids(tx, ids)
            held = await identifier_keys(tx, everyone) if everyone else []
            digests = self.suppression.digests(held, everyone)
            await self.suppression.add(tx, erasure_id, digests, now())
            await requests.cover(tx, erasure_id, everyone)  # merged since: retries name them
            removed = await forget(tx, everyone, erasure_id)
            receipt = Receipt(HUB_SYSTEM, "done", removed, f"{removed} row(s) deleted", now())
            await requests.put_receipt(tx, erasure_id, receipt, add_items=True)
        log.info("erasure_hub_data_deleted", erasure=erasure_id, rows=removed)

    async def _settle(self, erasure_id: str) -> Erasure | None:
        """Derive the request's status from its receipts; announce when it is done."""
        async with self.store.db.transaction() as tx:
            erasure = await requests.load(tx, erasure_id)
            if erasure is None:
                return None
            status = requests.settled_status(erasure.receipts)
            if status == erasure.status:
                return erasure
            finished = now() if status == "done" else None
            await requests.set_status(tx, erasure_id, status, finished)
        settled = Erasure(**{**erasure.__dict__, "status": status, "finished_at": finished})
        log.info("erasure_settled", erasure=erasure_id, status=status)
        if status == "done":
            await self.publish(self._erased_event(settled))
        return settled

    # -- events ---------------------------------------------------------------------------

    def _requested_event(
        self, erasure: Erasure, identifiers: list[Identifier], cause: CloudEvent | None
    ) -> CloudEvent:
        return CloudEvent(
            id=f"{erasure.id}.requested",  # a retry re-announces: consumers drop the repeat
            source=SOURCE,
            type="customer.erasure_requested",
            customerid=erasure.customer_id or None,
            # A CRM's request: its event (and so its own request id) is the cause.
            causationid=cause.id if cause else None,
            correlationid=(cause.correlationid or cause.id) if cause else None,
            data=CustomerErasureRequested(
                request_id=erasure.id,
                requested_by=erasure.requested_by,
                deadline=datetime.fromtimestamp(erasure.deadline, UTC),
                identifiers=identifiers,
            ),
        )

    def _erased_event(self, erasure: Erasure) -> CloudEvent:
        return CloudEvent(
            source=SOURCE,
            type="customer.erased",
            data=CustomerErased(
                request_id=erasure.id,
                receipts=[
                    ReceiptContract(
                        system=r.system,
                        status=r.status,
                        at=datetime.fromtimestamp(r.updated_at, UTC),
                        detail=r.detail,
                    )
                    for r in erasure.receipts
                ],
            ),
        )


def now() -> float:
    return time.time()
