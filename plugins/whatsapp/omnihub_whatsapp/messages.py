"""A WhatsApp message object -> ``message.received``, its content by ``type``.

Types the plugin does not know (order, system, unsupported …) and messages whose content
does not fit the contract become kind ``unsupported`` with the message object in ``raw``.
"""

from __future__ import annotations

from typing import Any

from omnihub_contracts import CloudEvent, Identifier
from omnihub_contracts.message import MessageReceived
from omnihub_meta import Envelope
from omnihub_meta.events import (
    arr,
    flag,
    ident,
    identifier,
    is_phone_digits,
    number,
    obj,
    slug,
    text,
    timestamp,
    uri,
)

Json = dict[str, Any]
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})
INTERACTIVE_CONTROLS = {"button_reply": "button", "list_reply": "list"}


def identifiers(wa_id: str | None, user_id: str | None = None) -> list[Identifier]:
    """``whatsapp:<wa_id>`` and ``phone:+<wa_id>``; a business-scoped user id is ``whatsapp``
    only (a username hides the phone, and the id is no phone number)."""
    found = [identifier("whatsapp", wa_id)]
    if wa_id and is_phone_digits(wa_id):
        found.append(identifier("phone", f"+{wa_id}"))
    if user_id and user_id != wa_id:
        found.append(identifier("whatsapp", user_id))
    return [i for i in found if i is not None]


def sender(message: Json, contacts: list[Any]) -> Json:
    wa_id = ident(message.get("from"))
    user_id = ident(message.get("from_user_id"))
    profiles = [obj(c) for c in contacts]
    matching = [c for c in profiles if wa_id and ident(c.get("wa_id")) == wa_id]
    matching = matching or [c for c in profiles if user_id and ident(c.get("user_id")) == user_id]
    # A lone contact naming no one else is the sender's; a name is never borrowed from
    # another person's contact.
    anonymous = [c for c in profiles if not c.get("wa_id") and not c.get("user_id")]
    contact = (matching or (anonymous if len(profiles) == 1 else []) or [{}])[0]
    user_id = user_id or ident(contact.get("user_id"))
    name = text(obj(contact.get("profile")).get("name"))
    return {"identifiers": identifiers(wa_id, user_id), "display_name": name}


def _media(kind: str, body: Json) -> Json:
    voice, animated = body.get("voice"), body.get("animated")
    return {
        "id": ident(body.get("id")),
        "url": uri(body.get("url")),
        "mime_type": text(body.get("mime_type")),
        "caption": text(body.get("caption")),
        "filename": text(body.get("filename")),
        "sha256": text(body.get("sha256")),
        "voice": voice if kind == "audio" and isinstance(voice, bool) else None,
        "animated": animated if isinstance(animated, bool) else None,
    }


def _card(contact: Any) -> Json:
    name = obj(obj(contact).get("name"))
    phones = [obj(p) for p in arr(obj(contact).get("phones"))]
    emails = [obj(m) for m in arr(obj(contact).get("emails"))]
    return {
        "formatted_name": text(name.get("formatted_name")) or text(name.get("first_name")),
        "first_name": text(name.get("first_name")),
        "last_name": text(name.get("last_name")),
        "organization": text(obj(obj(contact).get("org")).get("company")),
        "phones": [
            {
                "phone": p["phone"],
                "type": slug(p.get("type")),
                "channel_user_id": ident(p.get("wa_id")),
            }
            for p in phones
            if text(p.get("phone"))
        ],
        "emails": [
            {"email": m["email"], "type": slug(m.get("type"))}
            for m in emails
            if text(m.get("email"))
        ],
    }


def _reply(control: str, choice: Json, id_key: str = "id") -> Json:
    return {
        "control": control,
        "id": ident(choice.get(id_key)) or text(choice.get("text")),
        "title": text(choice.get("title")) or text(choice.get("text")),
        "description": text(choice.get("description")),
    }


def _content(message: Json) -> Json | None:
    """The kind and payload fields for the message's ``type``; None if the plugin has none."""
    kind = message.get("type")
    body = obj(message.get(kind)) if isinstance(kind, str) else {}
    if kind == "text":
        return {"kind": "text", "text": body.get("body")}
    if kind in MEDIA_TYPES:
        return {"kind": kind, "media": _media(str(kind), body)}
    if kind == "location":
        place: Json = {
            "latitude": number(body.get("latitude")),
            "longitude": number(body.get("longitude")),
        }
        place |= {"name": text(body.get("name")), "address": text(body.get("address"))}
        return {"kind": "location", "location": place | {"url": uri(body.get("url"))}}
    if kind == "contacts":
        return {"kind": "contacts", "contacts": [_card(c) for c in arr(message.get("contacts"))]}
    if kind == "interactive":
        control = INTERACTIVE_CONTROLS.get(str(body.get("type")))
        if control is None:
            return None  # e.g. nfm_reply (a WhatsApp Flow): kept raw
        choice = obj(body.get(str(body.get("type"))))
        return {"kind": "interactive_reply", "interactive_reply": _reply(control, choice)}
    if kind == "button":  # a template's quick-reply button
        return {"kind": "interactive_reply", "interactive_reply": _reply("button", body, "payload")}
    if kind == "reaction":  # no emoji, or "": the customer removed the reaction
        reaction = {"message_id": ident(body.get("message_id")), "emoji": text(body.get("emoji"))}
        return {"kind": "reaction", "reaction": reaction}
    return None


def _referral(value: Any) -> Json | None:
    ad = obj(value)
    if not ad:
        return None
    return {
        "source_type": slug(ad.get("source_type")) or "unknown",
        "source_id": ident(ad.get("source_id")),
        "source_url": uri(ad.get("source_url")),
        "headline": text(ad.get("headline")),
        "body": text(ad.get("body")),
        "click_id": text(ad.get("ctwa_clid")),
        "media_url": uri(ad.get("image_url")) or uri(ad.get("video_url")),
    }


def _event(message: Any, contacts: list[Any], envelope: Envelope, content: Json) -> CloudEvent:
    message = obj(message)
    context = obj(message.get("context"))
    wamid = ident(message.get("id"))
    sent_at = timestamp(message.get("timestamp"))
    fields = {
        "channel_message_id": wamid,
        "sender": sender(message, contacts),
        "channel_account": envelope.account,
        "reply_to": ident(context.get("id")),
        "forwarded": flag(context.get("forwarded")),
        "frequently_forwarded": flag(context.get("frequently_forwarded")),
        "sent_at": sent_at,
    }
    data = MessageReceived.model_validate(fields | content)
    return envelope.event("message.received", f"message:{wamid}", data, sent_at)


def received(message: Any, contacts: list[Any], envelope: Envelope) -> list[CloudEvent]:
    content = _content(obj(message))
    if content is None:
        return unsupported(message, contacts, envelope)
    content["referral"] = _referral(obj(message).get("referral"))
    return [_event(message, contacts, envelope, content)]


def unsupported(message: Any, contacts: list[Any], envelope: Envelope) -> list[CloudEvent]:
    """The message with its sender and ids, its content kept as the channel sent it."""
    return [_event(message, contacts, envelope, {"kind": "unsupported", "raw": obj(message)})]
