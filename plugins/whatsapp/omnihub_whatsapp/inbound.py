"""Walks a WhatsApp Business Account webhook: one item per message, status and preference.

``{"object": "whatsapp_business_account", "entry": [{"id": <WABA id>, "changes": [{"field":
"messages" | "user_preferences" | …, "value": {"metadata": {"phone_number_id": …}, …}}]}]}``
Fields and shapes the plugin does not know become ``whatsapp.unmapped`` events, kept whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omnihub_meta import Envelope, WebhookItem
from omnihub_meta.events import arr, ident, obj
from omnihub_meta.mapping import walk_entries

from .messages import received, unsupported
from .preferences import preference_events
from .statuses import status_events


def webhook_items(payload: dict[str, Any], default: Envelope) -> Iterator[WebhookItem]:
    return walk_entries(payload, default, _entry_items)


def _entry_items(entry: Any, path: str, default: Envelope) -> Iterator[WebhookItem]:
    changes = obj(entry).get("changes")
    if not isinstance(changes, list):
        yield WebhookItem(default, path, None, {"entry": entry}, reason="unknown_entry")
        return
    for c, change in enumerate(changes):
        yield from _change_items(change, f"{path}.changes.{c}", default)


def _change_items(change: Any, path: str, default: Envelope) -> Iterator[WebhookItem]:
    raw = change if isinstance(change, dict) else {"change": change}
    field = obj(change).get("field")
    field = field if isinstance(field, str) else None
    value = obj(obj(change).get("value"))
    account = ident(obj(value.get("metadata")).get("phone_number_id")) or default.account
    envelope = Envelope(default.channel, account)

    def item(kind: str, index: int, **builders: Any) -> WebhookItem:
        return WebhookItem(envelope, f"{path}.{kind}.{index}", field, raw, **builders)

    if field == "messages":
        contacts = arr(value.get("contacts"))
        for i, message in enumerate(arr(value.get("messages"))):
            yield item(
                "messages",
                i,
                build=lambda m=message: received(m, contacts, envelope),
                fallback=lambda m=message: unsupported(m, contacts, envelope),
            )
        for i, status in enumerate(arr(value.get("statuses"))):
            built = status_events(status, envelope)
            yield item("statuses", i, build=built, reason="unknown_status")
        if value.get("errors"):
            # Meta could not deliver something to us (e.g. "Unsupported webhook payload"):
            # the error belongs to no message event, so it is kept on its own.
            yield WebhookItem(envelope, path, field, raw, reason="channel_errors")
        elif not value.get("messages") and not value.get("statuses"):
            yield WebhookItem(envelope, path, field, raw, reason="no_message")
    elif field == "user_preferences":
        for i, preference in enumerate(arr(value.get("user_preferences"))):
            built = preference_events(preference, envelope)
            yield item("user_preferences", i, build=built, reason="unknown_preference")
    else:
        yield WebhookItem(envelope, path, field, raw, reason="unknown_field")
