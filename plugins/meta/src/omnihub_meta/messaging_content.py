"""The content of a Messenger Platform message (Messenger and Instagram share the format):
text, quick replies, attachments, story replies and mentions, ad referrals.

Each function returns the fields of ``message.received`` as plain JSON; the contract model
validates them, so a value that does not fit sends the message down the safety net.
"""

from __future__ import annotations

from typing import Any

from .events import arr, ident, number, obj, slug, text, uri

Json = dict[str, Any]
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


def attachment_content(attachment: Any) -> Json:
    found = obj(attachment)
    kind = found.get("type")
    payload = obj(found.get("payload"))
    if isinstance(kind, str) and kind in MEDIA_KINDS:
        return {"kind": MEDIA_KINDS[kind], "media": {"url": uri(payload.get("url"))}}
    if kind == "sticker":
        media = {"url": uri(payload.get("url")), "id": ident(payload.get("sticker_id"))}
        return {"kind": "sticker", "media": media}
    if kind == "story_mention":
        story = {"id": ident(payload.get("id")), "url": uri(payload.get("url"))}
        return {"kind": "story_mention", "story": story}
    if kind == "location":
        point = obj(payload.get("coordinates"))
        place: Json = {"latitude": number(point.get("lat")), "longitude": number(point.get("long"))}
        place |= {"name": text(found.get("title")), "url": uri(payload.get("url"))}
        return {"kind": "location", "location": place}
    # share, reel, ig_reel, post, ig_post, fallback, template …: kept as the channel sent them
    return {"kind": "unsupported", "raw": found}


def message_contents(message: Json) -> list[Json]:
    """One content per event: a message with several attachments gives several events."""
    body = text(message.get("text"))
    story = obj(obj(message.get("reply_to")).get("story"))
    quick_reply = obj(message.get("quick_reply"))
    attachments = arr(message.get("attachments"))
    if story:
        story_ref = {"id": ident(story.get("id")), "url": uri(story.get("url"))}
        return [{"kind": "story_reply", "text": body, "story": story_ref}]
    if quick_reply:
        choice = {"control": "quick_reply", "id": text(quick_reply.get("payload")) or body}
        return [
            {
                "kind": "interactive_reply",
                "text": body,
                "interactive_reply": choice | {"title": body},
            }
        ]
    if attachments:
        contents = [attachment_content(a) for a in attachments]
        if body:
            contents[0]["text"] = body
        return contents
    if body and not message.get("is_unsupported"):
        return [{"kind": "text", "text": body}]
    return [{"kind": "unsupported", "raw": message}]


def referral(value: Any) -> Json | None:
    """Where the customer came from: an ad (``ADS``), an m.me / ig.me link (``SHORTLINK``) …"""
    found = obj(value)
    if not found:
        return None
    ad = obj(found.get("ads_context_data"))
    return {
        "source_type": slug(found.get("source")) or slug(found.get("type")) or "unknown",
        "source_id": ident(found.get("ad_id")),
        "source_url": uri(found.get("referer_uri")),
        "headline": text(ad.get("ad_title")),
        "ref": text(found.get("ref")),
        "media_url": uri(ad.get("photo_url")) or uri(ad.get("video_url")),
    }
