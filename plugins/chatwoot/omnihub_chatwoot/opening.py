"""Finding or opening the Chatwoot conversation of a hub conversation (API calls only; the
claim that lets one hub process at a time do this is the desk's)."""

from __future__ import annotations

from typing import Any

from .api import ApiRefused, ChatwootApi, Json
from .config import ChatwootConfig

HUB_CONVERSATION = "omnihub_conversation_id"  # keys in the Chatwoot conversation's
HUB_CUSTOMER = "omnihub_customer_id"  # additional_attributes


class Opener:
    def __init__(self, config: ChatwootConfig, api: ChatwootApi):
        self.config, self.api = config, api

    async def conversation(self, conversation_id: str, customer: str, data: Any) -> int:
        """The Chatwoot conversation of the hub's ``conversation_id``: one the contact has
        already (a mapping lost, or opened by a process that died before recording it),
        reopened if needed, else a new one."""
        contact_id, source_id = await self._contact(customer, data)
        listing = await self.api.request("GET", f"/contacts/{contact_id}/conversations")
        for existing in listing.get("payload") or []:
            attributes = existing.get("additional_attributes") or {}
            if attributes.get(HUB_CONVERSATION) == conversation_id:
                if existing.get("status") != "open":
                    await self.api.request(
                        "POST", f"/conversations/{existing['id']}/toggle_status", {"status": "open"}
                    )
                return int(existing["id"])
        ours = {HUB_CONVERSATION: conversation_id, HUB_CUSTOMER: customer}
        body = {
            "source_id": source_id,
            "inbox_id": self.config.inbox_id,
            "contact_id": contact_id,
            "status": "open",
            "additional_attributes": ours,
        }
        created = await self.api.request("POST", "/conversations", body)
        return int(created["id"])

    async def _contact(self, customer: str, data: Any) -> tuple[int, str]:
        """The Chatwoot contact whose ``identifier`` is the hub's customer id, and its
        ``source_id`` in the desk's inbox (created when missing)."""
        found = await self._find_contact(customer)
        if found is None:
            name = (data.context.profile.display_name if data.context else None) or customer
            body = {"inbox_id": self.config.inbox_id, "name": name, "identifier": customer}
            try:
                created = (await self.api.request("POST", "/contacts", body))["payload"]
            except ApiRefused as exc:  # 422: created meanwhile by another process
                found = await self._find_contact(customer)
                if exc.status != 422 or found is None:
                    raise
            else:
                return int(created["contact"]["id"]), str(created["contact_inbox"]["source_id"])
        for contact_inbox in found.get("contact_inboxes") or []:
            if (contact_inbox.get("inbox") or {}).get("id") == self.config.inbox_id:
                return int(found["id"]), str(contact_inbox["source_id"])
        added = await self.api.request(
            "POST", f"/contacts/{found['id']}/contact_inboxes", {"inbox_id": self.config.inbox_id}
        )
        return int(found["id"]), str(added["source_id"])

    async def _find_contact(self, customer: str) -> Json | None:
        answer = await self.api.request("GET", "/contacts/search", params={"q": customer})
        matches = [c for c in answer.get("payload") or [] if c.get("identifier") == customer]
        return matches[0] if matches else None
