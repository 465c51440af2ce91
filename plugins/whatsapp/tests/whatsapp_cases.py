"""The exact canonical events each WhatsApp sample must become (one row per fixture file)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

PNID = "1122334455667"
WA_ID = "972987654321"
BSUID = "US.13491208655302741918"
PHONE_IDS = [{"kind": "whatsapp", "value": WA_ID}, {"kind": "phone", "value": f"+{WA_ID}"}]
SENDER = {
    "identifiers": [*PHONE_IDS, {"kind": "whatsapp", "value": BSUID}],
    "display_name": "Test Name",
}
SENDER_NO_BSUID = {"identifiers": PHONE_IDS, "display_name": "Test Name"}
RECIPIENT = {"kind": "whatsapp", "value": WA_ID}


def at(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def received(
    wamid: str, seconds: int, sender: dict[str, Any] = SENDER, **fields: Any
) -> tuple[str, str, dict[str, Any]]:
    data = {
        "channel_message_id": wamid,
        "sender": sender,
        "channel_account": PNID,
        "forwarded": False,
        "frequently_forwarded": False,
        "sent_at": at(seconds),
    } | fields
    return ("message.received", f"message:{wamid}", data)


def status(type_: str, state: str, **fields: Any) -> tuple[str, str, dict[str, Any]]:
    data = {"channel_message_id": "wamid.xyzxyz", "recipient": RECIPIENT} | fields
    return (type_, f"status:wamid.xyzxyz:{state}", data)


def consent(
    type_: str, choice: str, detail: str, **evidence: Any
) -> tuple[str, str, dict[str, Any]]:
    data = {
        "purpose": "marketing",
        "legal_basis": "consent",
        "source": "whatsapp",
        "evidence": {"detail": detail, "captured_at": at(1731705721)} | evidence,
        "identifiers": [
            {"kind": "whatsapp", "value": "16505551234"},
            {"kind": "phone", "value": "+16505551234"},
        ],
    }
    return (type_, f"preference:16505551234:marketing_messages:{choice}:1731705721", data)


BUTTON = {"control": "button", "id": "callback_data", "title": "title"}
UNSUPPORTED_RAW = {
    "from": WA_ID,
    "id": "wamid.xyzxyz",
    "timestamp": "1697044706",
    "errors": [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ],
    "type": "unsupported",
    "unsupported": {"type": "pool"},
}

REMOVED_REACTION = received(
    "wamid.xyzxyz",
    1697044456,
    SENDER_NO_BSUID,
    kind="reaction",
    reaction={"message_id": "wamid.yzxyzx="},
)

BASE_CASES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "button_button.json": [
        received(
            "wamid.xyzxyz",
            1698266730,
            kind="interactive_reply",
            reply_to="wamid.xyzxyz",
            interactive_reply=BUTTON,
        )
    ],
    "button_quick_reply.json": [
        received(
            "wamid.xsidjw",
            1698269027,
            kind="interactive_reply",
            reply_to="wamid.xyzxyz==",
            interactive_reply=BUTTON,
        )
    ],
    "button_quick_reply_without_context.json": [
        received("wamid.xsidjx", 1698269027, kind="interactive_reply", interactive_reply=BUTTON)
    ],
    "list_reply_description.json": [
        received(
            "wamid.zyzxyz",
            1698266905,
            kind="interactive_reply",
            reply_to="wamid.xyzxyz",
            interactive_reply={
                "control": "list",
                "id": "callback_data",
                "title": "title",
                "description": "description",
            },
        )
    ],
    "marketing_preferences_resume.json": [
        consent("consent.granted", "resume", "User requested to resume marketing messages")
    ],
    "marketing_preferences_signup.json": [
        consent(
            "consent.granted",
            "signup",
            "User signed up via signup link",
            reference="13176843987434774",
        )
    ],
    "message_forwarded.json": [
        received("wamid.xyzxyz", 1697044815, kind="text", text="forwarded text", forwarded=True)
    ],
    "message_forwarded_many_times.json": [
        received(
            "wamid.xyzxyz",
            1697044968,
            kind="text",
            text="text forwarded many times",
            frequently_forwarded=True,
        )
    ],
    "message_reply.json": [
        received(
            "wamid.xyzxyz", 1697044746, kind="text", text="replied text", reply_to="wamid.xyzxyz=="
        )
    ],
    "message_text.json": [received("wamid.xyzxyz", 1697043223, kind="text", text="Body Text")],
    "message_unsupported_with_type.json": [
        received("wamid.xyzxyz", 1697044706, kind="unsupported", raw=UNSUPPORTED_RAW)
    ],
    "message_reaction.json": [
        received(
            "wamid.xyzxyz",
            1697044456,
            SENDER_NO_BSUID,
            kind="reaction",
            reaction={"message_id": "wamid.yzxyzx=", "emoji": "\U0001f62e"},
        )
    ],
    # An empty emoji and no emoji both mean the reaction was removed.
    "message_unreaction_empty.json": [REMOVED_REACTION],
    "message_unreaction_no_emoji.json": [REMOVED_REACTION],
    # Placeholders of the sample ("AD_OR_POST_FB_URL") are no URLs: left out, not fatal.
    "message_referral.json": [
        received(
            "wamid.ID",
            1697045000,
            SENDER_NO_BSUID,
            kind="text",
            text="BODY",
            referral={
                "source_type": "ad_or_post",
                "source_id": "ADID",
                "headline": "AD_TITLE",
                "body": "AD_DESCRIPTION",
                "click_id": "CTWA_CLID",
            },
        )
    ],
    "status_sent.json": [status("message.sent", "sent", echo=False)],
    "status_with_tracker.json": [status("message.sent", "sent", echo=False)],
    "status_delivered.json": [status("message.delivered", "delivered")],
    "status_read.json": [status("message.read", "read")],
    "status_failed.json": [
        status(
            "message.failed",
            "failed",
            error={
                "code": "130472",
                "title": "User's number is part of an experiment",
                "detail": "Failed to send message because this user's phone number is part "
                "of an experiment",
                "permanent": True,
            },
        )
    ],
}

# Unsupported kinds keep the whole message object in ``raw`` (checked in the test); a change
# that also carries Meta's own "errors" keeps them as one ``whatsapp.unmapped`` event more.
RAW_KEPT = {
    "message_order.json": ("wamid.xyzxyz", 1697044668, 1),
    "message_interactive_with_error.json": ("wamid.wegrchytvwcggt=", 1700505494, 2),
}
