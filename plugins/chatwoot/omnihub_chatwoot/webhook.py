"""Chatwoot → hub: ``POST /webhooks/chatwoot`` turns what agents do into canonical events.

- ``message_created``, outgoing, not private, sent by an agent (``sender.type`` "user") →
  ``message.send`` to the customer, no channel (the hub picks their last one);
- ``conversation_status_changed`` (or the older ``conversation_resolved``) to resolved →
  ``conversation.closed`` by a human, so the bot answers the next conversation;
- ``conversation_updated`` whose ``changed_attributes`` name ``assignee_id`` or ``team_id``
  → ``conversation.assigned`` (and, for an offer still open, the ``accept`` that moves
  control to the human).

The plugin itself only writes incoming messages and private notes, so its own echoes never
match. Event ids derive from Chatwoot's ids: a delivery Chatwoot retries is a duplicate.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from hub import CloudEvent, PluginContext

from .config import ChatwootConfig
from .mapping import HandoffTable
from .opening import HUB_CONVERSATION, HUB_CUSTOMER
from .signature import Unauthenticated, authenticate

SOURCE = "/plugins/chatwoot"
_IDS = uuid.UUID("6f7e0c1e-52a4-4c1b-9a57-1f3c0b5d2a90")
Json = dict[str, Any]


def event_id(*parts: object) -> str:
    return str(uuid.uuid5(_IDS, ":".join(map(str, parts))))


def _problem(status: int, title: str, detail: str) -> web.Response:
    body = {"title": title, "status": status, "detail": detail}
    return web.json_response(body, status=status, content_type="application/problem+json")


def _agent(person: Any) -> Json | None:
    if not isinstance(person, dict) or person.get("id") is None:
        return None
    name = person.get("available_name") or person.get("name")
    return {"id": str(person["id"]), **({"name": name} if name else {})}


def _event(base: Json, eid: str, kind: str, data: Json) -> CloudEvent:
    return CloudEvent.model_validate({**base, "id": eid, "type": kind, "data": data})


def _changed(payload: Json) -> set[str]:
    changes = payload.get("changed_attributes") or []
    return {key for change in changes if isinstance(change, dict) for key in change}


class Translator:
    """Chatwoot payload → events, plus the handoff-table moves to make once they are
    published (not before: a delivery that failed to publish must find the table as it was)."""

    def __init__(self, config: ChatwootConfig, table: HandoffTable):
        self.config, self.table = config, table
        self.moves: list[tuple[str, tuple[str, ...], str]] = []

    async def apply_moves(self) -> None:
        for hub_id, current, state in self.moves:
            for before in current:
                await self.table.set_state_from(hub_id, before, state)
        self.moves.clear()

    async def translate(self, payload: Json) -> list[CloudEvent]:
        kind = payload.get("event")
        conversation = payload.get("conversation") if kind == "message_created" else payload
        if (
            not isinstance(conversation, dict)
            or (payload.get("account") or {}).get("id", self.config.account_id)
            != self.config.account_id
        ):
            return []
        attributes = conversation.get("additional_attributes") or {}
        hub_id, customer = attributes.get(HUB_CONVERSATION), attributes.get(HUB_CUSTOMER)
        if not (isinstance(hub_id, str) and hub_id and isinstance(customer, str) and customer):
            return []  # not a conversation the hub handed over
        base = {"source": SOURCE, "customerid": customer, "conversationid": hub_id}
        base["subject"] = f"conversations/{conversation.get('id')}"
        if kind == "message_created":
            return self._reply(payload, base, customer)
        if kind in ("conversation_status_changed", "conversation_resolved"):
            return await self._resolved(conversation, base, hub_id)
        if kind == "conversation_updated" and _changed(payload) & {"assignee_id", "team_id"}:
            return await self._assigned(conversation, base, hub_id)
        return []

    def _reply(self, message: Json, base: Json, customer: str) -> list[CloudEvent]:
        sender = message.get("sender") or {}
        text = message.get("content")
        if (
            message.get("message_type") != "outgoing"
            or message.get("private") is not False
            or sender.get("type") != "user"  # not an automation, not the plugin's notes
            or not isinstance(text, str)
            or not text.strip()
        ):
            return []
        data = {"kind": "text", "recipient": {"customer_id": customer}, "text": text}
        eid = event_id(self.config.account_id, "message", message.get("id"))
        return [_event(base, eid, "message.send", data)]

    async def _resolved(self, conversation: Json, base: Json, hub_id: str) -> list[CloudEvent]:
        known = await self.table.get(hub_id)
        if conversation.get("status") != "resolved" or (known is not None and not known.live):
            return []  # not resolved, or the hub already took it back (its own close, echoed)
        self.moves.append((hub_id, ("offered", "active"), "returned"))
        data: Json = {"conversation_id": hub_id, "resolved_by": "human"}
        agent = _agent((conversation.get("meta") or {}).get("assignee"))
        if agent:
            data["agent"] = agent
        eid = event_id(hub_id, "closed")
        return [_event(base, eid, "conversation.closed", data)]

    async def _assigned(self, conversation: Json, base: Json, hub_id: str) -> list[CloudEvent]:
        meta = conversation.get("meta") or {}
        agent, team = _agent(meta.get("assignee")), (meta.get("team") or {}).get("name")
        if agent is None and not team:
            return []  # unassigned: the hub keeps the last assignee
        data: Json = {"conversation_id": hub_id, "agent": agent, "team": team}
        stamp = conversation.get("updated_at") or conversation.get("timestamp")
        eid = event_id(hub_id, "assigned", agent and agent["id"], team, stamp)
        events = [{**base, "id": eid, "type": "conversation.assigned", "data": data}]
        known = await self.table.get(hub_id)
        if agent is not None and known is not None and known.state == "offered":
            accept = {
                "conversation_id": hub_id,
                "action": "accept",
                "from_controller": "bot",
                "to_controller": "human",
                "reason": "customer_request",
                "context": {},  # the agent has the packet already, as the private note
            }
            accepted = {**base, "id": event_id(hub_id, "accept", eid)}
            events.insert(0, {**accepted, "type": "conversation.handoff", "data": accept})
            self.moves.append((hub_id, ("offered",), "active"))
        return [CloudEvent.model_validate(e) for e in events]


def receiver(context: PluginContext, table: HandoffTable) -> Any:
    config: ChatwootConfig = context.config

    async def receive(request: web.Request) -> web.Response:
        translator = Translator(config, table)
        body = await request.read()
        try:
            authenticate(config, request, body)
        except Unauthenticated as exc:
            context.log.warning("chatwoot_request_rejected", reason=str(exc))
            return _problem(401, "Unauthenticated", str(exc))
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _problem(400, "Bad request", "the body must be a JSON object")
        events = await translator.translate(payload)
        if events:
            await context.publish(events)  # returns once the broker confirmed them
            await translator.apply_moves()
        kind = payload.get("event")
        context.log.info("chatwoot_webhook", kind=str(kind)[:40], published=len(events))
        return web.json_response({"published": len(events)})

    return receive
