"""Walks a Messenger Platform webhook (Messenger ``object: page``, Instagram ``object:
instagram``): ``{"entry": [{"id": <Page or IG account>, "time": …, "messaging": [<event>]}]}``.

Each messaging event becomes: a message -> ``message.received`` (an echo of the business's
own message -> ``message.sent`` with ``echo``, an unsent one -> ``message.deleted``); a
reaction, postback or referral -> ``message.received``; ``read`` with a message id ->
``message.read``; ``delivery`` -> one ``message.delivered`` per message id. Anything else,
and receipts that only carry a watermark time, are kept whole as ``<channel>.unmapped``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omnihub_contracts import CloudEvent
from omnihub_contracts.message import (
    MessageDeleted,
    MessageDelivered,
    MessageRead,
    MessageReceived,
    MessageSent,
    MessageStatus,
)

from .events import Envelope, arr, ident, identifier, obj, text, timestamp
from .mapping import Builder, WebhookItem, walk_entries
from .messaging_content import message_contents, referral

Json = dict[str, Any]


def webhook_items(payload: Json, default: Envelope) -> Iterator[WebhookItem]:
    return walk_entries(payload, default, _entry_items)


def _entry_items(entry: Any, path: str, default: Envelope) -> Iterator[WebhookItem]:
    found = obj(entry)
    envelope = Envelope(default.channel, ident(found.get("id")) or default.account)
    for i, event in enumerate(arr(found.get("messaging"))):
        yield messaging_item(event, envelope, f"{path}.messaging.{i}")
    # Standby (another app holds the thread) and "changes" (comments, mentions …).
    for key in ("standby", "changes"):
        for i, other in enumerate(arr(found.get(key))):
            raw = other if isinstance(other, dict) else {key: other}
            yield WebhookItem(envelope, f"{path}.{key}.{i}", key, raw, reason=f"not_{key}")
    if not any(isinstance(found.get(k), list) for k in ("messaging", "standby", "changes")):
        yield WebhookItem(envelope, path, None, {"entry": entry}, reason="unknown_entry")


class _Event:
    """One messaging event and the fields its events share."""

    def __init__(self, raw: Json, envelope: Envelope):
        self.raw = raw
        self.envelope = envelope
        self.channel = envelope.channel
        self.message = obj(raw.get("message"))
        self.sender_id = ident(obj(raw.get("sender")).get("id"))
        self.at = timestamp(raw.get("timestamp"))

    def synthetic_id(self, what: str) -> str:
        # Reactions and referrals have no id of their own; sender and time name them.
        return f"{what}:{self.sender_id}:{self.raw.get('timestamp')}"

    def received(self, key: str, mid: str | None, content: Json) -> CloudEvent:
        fields = {
            "channel_message_id": mid,
            "sender": {"identifiers": [identifier(self.channel, self.sender_id)]},
            "channel_account": self.envelope.account,
            "sent_at": self.at,
        }
        data = MessageReceived.model_validate(fields | content)
        return self.envelope.event("message.received", key, data, self.at)

    def event(self, type_: str, key: str, data: Any) -> CloudEvent:
        return self.envelope.event(type_, key, data, self.at)


def messaging_item(raw: Any, envelope: Envelope, path: str) -> WebhookItem:
    event = _Event(obj(raw), envelope)
    raw = raw if isinstance(raw, dict) else {"messaging": raw}
    build, mid = _builder(event)
    fallback = None
    if mid is not None:

        def fallback() -> list[CloudEvent]:
            content = {"kind": "unsupported", "raw": event.raw}
            return [event.received(f"message:{mid}", mid, content)]

    # A Messenger receipt may carry only a watermark time, no message id: kept, not guessed.
    receipt = "read" in event.raw or "delivery" in event.raw
    reason = "receipt_without_message_id" if receipt else "unknown_event"
    return WebhookItem(envelope, path, "messaging", raw, build, fallback, reason=reason)


def _builder(event: _Event) -> tuple[Builder | None, str | None]:
    """How to build the event's events, and the message id its fallback would carry."""
    raw, message = event.raw, event.message
    if message:
        mid = ident(message.get("mid"))
        if message.get("is_echo") is True:
            return (lambda: _echo(event, mid)), None
        if message.get("is_deleted") is True:
            return (lambda: _deleted(event, mid)), None
        return (lambda: _message(event, mid)), mid
    if isinstance(raw.get("reaction"), dict):
        return (lambda: _reaction(event)), event.synthetic_id("reaction")
    if isinstance(raw.get("postback"), dict):
        postback = raw["postback"]
        mid = ident(postback.get("mid")) or event.synthetic_id("postback")
        return (lambda: _postback(event, postback, mid)), mid
    if isinstance(raw.get("referral"), dict):
        mid = event.synthetic_id("referral")
        content = {"kind": "referral", "referral": referral(raw["referral"])}
        return (lambda: [event.received(f"message:{mid}", mid, content)]), mid
    read_mid = ident(obj(raw.get("read")).get("mid"))  # Instagram; Messenger only a watermark
    if read_mid:
        return (lambda: _receipts(event, "message.read", MessageRead, [read_mid])), None
    mids = [ident(m) for m in arr(obj(raw.get("delivery")).get("mids"))]
    if mids:
        return (lambda: _receipts(event, "message.delivered", MessageDelivered, mids)), None
    return None, None


def _message(event: _Event, mid: str | None) -> list[CloudEvent]:
    reply_to = ident(obj(event.message.get("reply_to")).get("mid"))
    shared = {"reply_to": reply_to, "referral": referral(event.message.get("referral"))}
    return [
        event.received(f"message:{mid}" + (f":{n}" if n else ""), mid, shared | content)
        for n, content in enumerate(message_contents(event.message))
    ]


def _echo(event: _Event, mid: str | None) -> list[CloudEvent]:
    recipient = identifier(event.channel, ident(obj(event.raw.get("recipient")).get("id")))
    fields = {"channel_message_id": mid, "recipient": recipient, "echo": True}
    sent = MessageSent.model_validate(fields | {"text": text(event.message.get("text"))})
    return [event.event("message.sent", f"echo:{mid}", sent)]


def _reaction(event: _Event) -> list[CloudEvent]:
    found = obj(event.raw.get("reaction"))
    removed = found.get("action") == "unreact"
    emoji = None if removed else text(found.get("emoji")) or text(found.get("reaction"))
    content = {
        "kind": "reaction",
        "reaction": {"message_id": ident(found.get("mid")), "emoji": emoji},
    }
    mid = event.synthetic_id("reaction")
    return [event.received(f"message:{mid}", mid, content)]


def _postback(event: _Event, postback: Json, mid: str) -> list[CloudEvent]:
    choice = {
        "control": "postback",
        "id": text(postback.get("payload")) or text(postback.get("title")),
    }
    content = {
        "kind": "interactive_reply",
        "interactive_reply": choice | {"title": text(postback.get("title"))},
        "referral": referral(postback.get("referral")),
    }
    return [event.received(f"message:{mid}", mid, content)]


def _deleted(event: _Event, mid: str | None) -> list[CloudEvent]:
    deleted = MessageDeleted.model_validate({"channel_message_id": mid})
    return [event.event("message.deleted", f"deleted:{mid}", deleted)]


def _receipts(
    event: _Event, type_: str, model: type[MessageStatus], mids: list[str | None]
) -> list[CloudEvent]:
    """The customer (the event's sender) got or read these messages of the business."""
    recipient = identifier(event.channel, event.sender_id)
    return [
        event.event(
            type_,
            f"{type_}:{mid}",
            model.model_validate({"channel_message_id": mid, "recipient": recipient}),
        )
        for mid in mids
    ]
