"""``message.send`` -> the Cloud API's ``POST /{phone_number_id}/messages`` body.

Text, media (by link or media id), reply buttons (at most 3), lists (at most 10 rows) and
templates; ``reply_to`` becomes ``context.message_id``. A phone number goes in ``to``, a
business-scoped user id in ``recipient`` (Meta's field for users who hide their number).
"""

from __future__ import annotations

import re
from typing import Any

from omnihub_contracts import Identifier
from omnihub_contracts.message import (
    Interactive,
    MessageSend,
    OutboundMedia,
    Template,
    TemplateParameter,
)
from omnihub_meta import Unsendable
from omnihub_meta.events import arr, is_phone_digits, obj, text

Json = dict[str, Any]
MAX_BUTTONS = 3
MAX_ROWS = 10
CAPTIONED = frozenset({"image", "video", "document"})


def pick_recipient(identifiers: list[Identifier]) -> Identifier | None:
    """A WhatsApp number first, then any phone, then a business-scoped user id."""
    whatsapp = [i for i in identifiers if i.kind == "whatsapp"]
    numbers = [i for i in whatsapp if is_phone_digits(i.value.lstrip("+"))]
    phones = [i for i in identifiers if i.kind == "phone"]
    found = numbers + phones + whatsapp
    return found[0] if found else None


def _address(recipient: Identifier) -> Json:
    if recipient.kind == "phone":
        return {"to": re.sub(r"\D", "", recipient.value)}
    if is_phone_digits(recipient.value.lstrip("+")):
        return {"to": recipient.value.lstrip("+")}
    return {"recipient": recipient.value}


def _media_object(media: OutboundMedia) -> Json:
    found: Json = {"id": media.id} if media.id else {"link": media.url}
    if media.caption and media.type in CAPTIONED:
        found["caption"] = media.caption
    if media.filename and media.type == "document":
        found["filename"] = media.filename
    return found


def _interactive(interactive: Interactive) -> Json:
    found: Json = {"type": "button" if interactive.kind == "buttons" else "list"}
    if interactive.header:
        found["header"] = {"type": "text", "text": interactive.header}
    found["body"] = {"text": interactive.body}
    if interactive.footer:
        found["footer"] = {"text": interactive.footer}
    if interactive.kind == "buttons":
        buttons = interactive.buttons or []
        if len(buttons) > MAX_BUTTONS:
            raise Unsendable("invalid_content", f"WhatsApp shows at most {MAX_BUTTONS} buttons")
        found["action"] = {
            "buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in buttons]
        }
        return found
    sections = interactive.sections or []
    if sum(len(s.rows) for s in sections) > MAX_ROWS:
        raise Unsendable("invalid_content", f"a WhatsApp list holds at most {MAX_ROWS} rows")
    if not interactive.list_label:
        raise Unsendable("invalid_content", "a WhatsApp list needs list_label (its button)")
    found["action"] = {
        "button": interactive.list_label,
        "sections": [
            {"title": s.title, "rows": [_row(r.id, r.title, r.description) for r in s.rows]}
            if s.title
            else {"rows": [_row(r.id, r.title, r.description) for r in s.rows]}
            for s in sections
        ],
    }
    return found


def _row(id_: str, title: str, description: str | None) -> Json:
    return {"id": id_, "title": title} | ({"description": description} if description else {})


def _parameter(parameter: TemplateParameter) -> Json:
    if parameter.kind == "text":
        return {"type": "text", "text": parameter.text}
    if parameter.kind == "payload":
        return {"type": "payload", "payload": parameter.payload}
    media = parameter.media
    assert media is not None  # the contract requires it for kind "media"
    return {"type": media.type, media.type: _media_object(media)}


def _template(template: Template) -> Json:
    components = []
    for component in template.components:
        found: Json = {"type": component.type}
        if component.sub_type:
            found["sub_type"] = component.sub_type
        if component.index is not None:
            found["index"] = str(component.index)
        found["parameters"] = [_parameter(p) for p in component.parameters]
        components.append(found)
    # WhatsApp names languages with an underscore: pt_BR, en_US.
    language = {"code": template.language.replace("-", "_")}
    return {"name": template.name, "language": language, "components": components}


def message_body(send: MessageSend, recipient: Identifier) -> Json:
    body: Json = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    body |= _address(recipient)
    if send.reply_to:
        body["context"] = {"message_id": send.reply_to}
    if send.kind == "text":
        return body | {"type": "text", "text": {"body": send.text}}
    if send.kind == "media" and send.media is not None:
        return body | {"type": send.media.type, send.media.type: _media_object(send.media)}
    if send.kind == "interactive" and send.interactive is not None:
        return body | {"type": "interactive", "interactive": _interactive(send.interactive)}
    if send.kind == "template" and send.template is not None:
        return body | {"type": "template", "template": _template(send.template)}
    raise Unsendable("unsupported_content", f"WhatsApp cannot send kind {send.kind!r}")


def message_id(answer: Json) -> str | None:
    """``{"messages": [{"id": "wamid…"}]}``"""
    messages = arr(answer.get("messages"))
    return text(obj(messages[0]).get("id")) if messages else None
