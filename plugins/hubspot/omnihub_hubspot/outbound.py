"""Profile changes from elsewhere -> HubSpot contacts (CRM API v3).

Nothing loops: events this plugin published are skipped, and so are traits whose source is
HubSpot itself.
"""

from __future__ import annotations

import json
from typing import Any

from omnihub_contracts.customer import CustomerMerged, CustomerUpdated
from pydantic import JsonValue

from hub import CloudEvent, CustomerDirectory

from .api import ApiRefused, HubSpotApi
from .batcher import UpdateBatcher
from .config import HubSpotConfig
from .inbound import CRM, SOURCE


def property_value(value: JsonValue) -> str:
    """HubSpot property values are strings; "" clears one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


class Outbound:
    def __init__(
        self,
        config: HubSpotConfig,
        customers: CustomerDirectory,
        api: HubSpotApi,
        batcher: UpdateBatcher,
        log: Any,
    ):
        self.config = config
        self.customers = customers
        self.api = api
        self.batcher = batcher
        self.log = log

    async def handle(self, event: CloudEvent) -> None:
        if event.source == SOURCE or event.customerid is None:
            return
        if isinstance(event.data, CustomerUpdated):
            await self._updated(event.customerid, event.data)
        elif isinstance(event.data, CustomerMerged):
            await self._merged(event.data)

    async def _updated(self, customer_id: str, data: CustomerUpdated) -> None:
        properties: dict[str, str] = {}
        for key in data.changed:
            trait = data.traits[key]
            prop = self.config.property_of(key)
            if trait.source != CRM and prop is not None:
                properties[prop] = property_value(trait.value)
        if not properties:
            return
        contact_ids = await self._contacts_of(customer_id)
        if not contact_ids:
            self.log.info("hubspot_contact_unknown", properties=len(properties))
            return
        await self.batcher.update(contact_ids[0], properties)

    async def _merged(self, data: CustomerMerged) -> None:
        contact_ids: list[str] = []
        for customer_id in (data.surviving_id, *data.merged_ids):
            contact_ids += await self._contacts_of(customer_id)
        unique = list(dict.fromkeys(contact_ids))
        primary, others = (unique[0], unique[1:]) if unique else ("", [])
        merged = 0
        for other in others:  # HubSpot merges two contacts per call
            try:
                await self.api.merge(primary, other)
                merged += 1
            except ApiRefused as exc:
                if exc.status in (401, 403):
                    raise  # the token cannot merge: every later merge would fail too
                # Merged before (a redelivery, a later hub merge of the same profile) or
                # gone: retrying cannot change HubSpot's answer, and the rest may proceed.
                self.log.warning("hubspot_merge_refused", status=exc.status)
        if others:
            self.log.info("hubspot_contacts_merged", merged=merged, refused=len(others) - merged)

    async def _contacts_of(self, customer_id: str) -> list[str]:
        identifiers = await self.customers.identifiers(customer_id)
        return [i.value for i in identifiers if i.kind == CRM]
