"""Hub → Chatwoot: a handoff to a human opens (or reopens) the Chatwoot conversation with
the context packet as a private note; the customer's later messages follow it in."""

from __future__ import annotations

from typing import Any

from omnihub_contracts.conversation import ConversationHandoff
from omnihub_contracts.message import MessageReceived

from hub import CloudEvent

from .api import ApiRefused, ChatwootApi, Json
from .config import ChatwootConfig
from .mapping import HandoffTable
from .note import render

HUB_CONVERSATION = "omnihub_conversation_id"  # keys in the Chatwoot conversation's
HUB_CUSTOMER = "omnihub_customer_id"  # additional_attributes


def _message_text(data: MessageReceived) -> str:
    caption = data.media.caption if data.media else None
    reply = data.interactive_reply.title if data.interactive_reply else None
    said = data.text or caption or reply
    kind = str(data.kind)
    if kind == "text":
        return said or ""
    return f"[{kind}] {said}" if said else f"[{kind}]"


class Desk:
    def __init__(self, config: ChatwootConfig, api: ChatwootApi, table: HandoffTable, log: Any):
        self.config, self.api, self.table, self.log = config, api, table, log

    async def handle(self, event: CloudEvent) -> None:
        if event.type == "conversation.handoff":
            await self._handoff(event, event.data)
        elif event.type == "conversation.closed":
            await self._closed(event.data.conversation_id)
        elif event.type == "message.received" and event.conversationid:
            await self._customer_said(event.conversationid, event.data)

    async def _handoff(self, event: CloudEvent, data: ConversationHandoff) -> None:
        to, action = str(data.to_controller), str(data.action)
        if to != "human":  # control went back to the bot: stop forwarding
            if await self.table.set_state(data.conversation_id, "returned"):
                self.log.info("chatwoot_handoff_returned", reason=str(data.reason))
            return
        if action not in ("pass", "offer") or event.customerid is None:
            return  # an accept is the desk's own doing (or another desk's)
        customer = event.customerid
        known = await self.table.get(data.conversation_id)
        if known is not None:
            chatwoot_id = known.chatwoot_conversation_id
            await self.api.request(
                "POST", f"/conversations/{chatwoot_id}/toggle_status", {"status": "open"}
            )
        else:
            chatwoot_id = await self._conversation(data.conversation_id, customer, data)
        state = "offered" if action == "offer" else "active"
        # Recorded before the note: an agent may act on the conversation as soon as it shows.
        await self.table.save(data.conversation_id, customer, chatwoot_id, state)
        if known is None or known.last_handoff_event != event.id:
            await self._post(chatwoot_id, render(data), private=True)
            await self.table.noted(data.conversation_id, event.id)
        self.log.info("chatwoot_handoff", action=action, chatwoot_conversation=chatwoot_id)

    async def _conversation(self, conversation_id: str, customer: str, data: Any) -> int:
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

    async def _customer_said(self, conversation_id: str, data: MessageReceived) -> None:
        handoff = await self.table.get(conversation_id)
        if handoff is None or not handoff.live:
            return
        await self._post(
            handoff.chatwoot_conversation_id, _message_text(data), private=False, incoming=True
        )

    async def _closed(self, conversation_id: str) -> None:
        """The hub closed it (not Chatwoot, which marks the table first): resolve it there."""
        handoff = await self.table.get(conversation_id)
        if handoff is None or not await self.table.set_state(conversation_id, "returned"):
            return
        try:
            await self.api.request(
                "POST",
                f"/conversations/{handoff.chatwoot_conversation_id}/toggle_status",
                {"status": "resolved"},
            )
        except Exception:
            await self.table.set_state_from(conversation_id, "returned", handoff.state)
            raise  # redelivered: it tries again

    async def _post(
        self, chatwoot_id: int, content: str, *, private: bool, incoming: bool = False
    ) -> None:
        message = {
            "content": content,
            "message_type": "incoming" if incoming else "outgoing",
            "private": private,
        }
        await self.api.request("POST", f"/conversations/{chatwoot_id}/messages", message)
