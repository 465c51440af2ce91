"""``message.send`` -> the Messenger Platform Send API (Messenger and Instagram).

``POST {graph}/{version}/{Page or IG account id}/messages`` with ``{"recipient": {"id":
<PSID or IGSID>}, "message": {...}}``; Messenger also names the ``messaging_type``
(``RESPONSE``: an answer within the 24-hour window). Buttons and lists become quick replies
(at most 13); templates are WhatsApp's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from omnihub_contracts import Identifier
from omnihub_contracts.message import Interactive, MessageSend, OutboundMedia

from .config import MetaChannelConfig
from .messaging import webhook_items
from .outbound import Outbound, Unsendable
from .plugin import MetaChannelPlugin

Json = dict[str, Any]
MAX_QUICK_REPLIES = 13


def _attachment(media: OutboundMedia, types: Mapping[str, str], channel: str) -> Json:
    kind = types.get(media.type)
    if kind is None:
        raise Unsendable("unsupported_content", f"{channel} cannot send a {media.type}")
    payload: Json = {"attachment_id": media.id} if media.id else {"url": media.url}
    return {"attachment": {"type": kind, "payload": payload}}


def _quick_replies(interactive: Interactive) -> Json:
    options = interactive.buttons or [row for s in interactive.sections or [] for row in s.rows]
    if len(options) > MAX_QUICK_REPLIES:
        raise Unsendable("invalid_content", f"at most {MAX_QUICK_REPLIES} options (quick replies)")
    replies = [{"content_type": "text", "title": o.title, "payload": o.id} for o in options]
    return {"text": interactive.body, "quick_replies": replies}


def send_api(
    channel: str, media_types: Mapping[str, str], messaging_type: str | None
) -> Callable[[MessageSend, Identifier], Json]:
    def body_of(send: MessageSend, recipient: Identifier) -> Json:
        if send.kind == "text":
            message: Json = {"text": send.text}
        elif send.kind == "media" and send.media is not None:
            message = _attachment(send.media, media_types, channel)
        elif send.kind == "interactive" and send.interactive is not None:
            message = _quick_replies(send.interactive)
        else:
            raise Unsendable("unsupported_content", f"{channel} cannot send kind {send.kind!r}")
        body: Json = {"recipient": {"id": recipient.value}}
        if messaging_type:
            body["messaging_type"] = messaging_type
        return body | {"message": message}

    return body_of


def messaging_plugin(
    channel: str,
    config_model: type[MetaChannelConfig],
    media_types: Mapping[str, str],
    messaging_type: str | None = None,
    version: str = "0.1.0",
) -> MetaChannelPlugin:
    """A channel on the Messenger Platform: recipients are ``<channel>:<scoped user id>``."""

    def pick_recipient(identifiers: list[Identifier]) -> Identifier | None:
        return next((i for i in identifiers if i.kind == channel), None)

    def message_id(answer: Json) -> str | None:
        found = answer.get("message_id")  # {"recipient_id": …, "message_id": "m_…"}
        return found if isinstance(found, str) and found else None

    outbound = Outbound(pick_recipient, send_api(channel, media_types, messaging_type), message_id)
    return MetaChannelPlugin(channel, config_model, webhook_items, outbound, version)
