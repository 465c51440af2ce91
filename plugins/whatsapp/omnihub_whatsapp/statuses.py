"""A WhatsApp status object -> ``message.sent`` / ``delivered`` / ``read`` / ``failed``."""

from __future__ import annotations

from typing import Any

from omnihub_contracts import CloudEvent
from omnihub_contracts.message import MessageDelivered, MessageFailed, MessageRead, MessageSent
from omnihub_meta import Envelope, is_transient_code
from omnihub_meta.events import arr, ident, identifier, obj, text, timestamp
from omnihub_meta.mapping import Builder
from pydantic import BaseModel

STATUS_EVENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "sent": ("message.sent", MessageSent),
    "delivered": ("message.delivered", MessageDelivered),
    "read": ("message.read", MessageRead),
    "failed": ("message.failed", MessageFailed),
}


def _error(status: dict[str, Any]) -> dict[str, Any]:
    errors = arr(status.get("errors"))
    first = obj(errors[0]) if errors else {}
    code = ident(first.get("code")) or "unknown"
    return {
        "code": code,
        "title": text(first.get("title")) or text(first.get("message")) or "failed",
        "detail": text(obj(first.get("error_data")).get("details")),
        # e.g. 131047 (outside the 24-hour window) will not pass on a retry; 130429 may.
        "permanent": not is_transient_code(code),
    }


def status_events(value: Any, envelope: Envelope) -> Builder | None:
    """How to build the status's event; None for a status the plugin does not know."""
    status = obj(value)
    state = status.get("status")
    if not isinstance(state, str) or state not in STATUS_EVENTS:
        return None
    type_, model = STATUS_EVENTS[state]

    def build() -> list[CloudEvent]:
        wamid = ident(status.get("id"))
        recipient = ident(status.get("recipient_id")) or ident(status.get("recipient_user_id"))
        fields: dict[str, Any] = {
            "channel_message_id": wamid,
            "recipient": identifier("whatsapp", recipient),
        }
        if state == "failed":
            fields["error"] = _error(status)
        at = timestamp(status.get("timestamp"))
        data = model.model_validate(fields)
        return [envelope.event(type_, f"status:{wamid}:{state}", data, at)]

    return build
