"""Messenger webhooks (a real sample and the shapes of Meta's reference pages) -> events."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import omnihub_messenger
import pytest
from omnihub_meta.testing import check_sample, config_table, load

FIXTURES = Path(__file__).parent / "fixtures"
PAGE, PSID = "682498302938465", "1254477777772919"
CUSTOMER = {"kind": "messenger", "value": PSID}
REACTED = "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU"


def at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def received(mid: str, ms: int, key: str = "", **fields: Any) -> tuple[str, str, dict[str, Any]]:
    data = {
        "channel_message_id": mid,
        "sender": {"identifiers": [CUSTOMER]},
        "channel_account": PAGE,
        "forwarded": False,
        "frequently_forwarded": False,
        "sent_at": at(ms),
    }
    return ("message.received", key or f"message:{mid}", data | fields)


def unmapped(name: str, reason: str) -> tuple[str, str, dict[str, Any]]:
    raw = load(FIXTURES / name)["entry"][0]["messaging"][0]
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    data = {"reason": reason, "field": "messaging", "errors": [], "raw": raw}
    return ("messenger.unmapped", f"unmapped:entry.0.messaging.0:{digest}", data)


ATTACHMENTS = "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"
CASES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "text_bottender.json": [
        (
            "message.received",
            "message:mid.1486464322190:cb04e5a654",
            {
                "kind": "text",
                "channel_message_id": "mid.1486464322190:cb04e5a654",
                "sender": {"identifiers": [{"kind": "messenger", "value": "1412611362105802"}]},
                "channel_account": "1895382890692545",
                "text": "text",
                "forwarded": False,
                "frequently_forwarded": False,
                "sent_at": at(1486464322190),
            },
        )
    ],
    "docs_quick_reply.json": [
        received(
            "mid.1457764197618:41d102a3e1ae206a38",
            1458692752478,
            kind="interactive_reply",
            text="hello, world!",
            interactive_reply={
                "control": "quick_reply",
                "id": "DEVELOPER_DEFINED_PAYLOAD",
                "title": "hello, world!",
            },
        )
    ],
    "docs_reply_to.json": [
        received(
            "m_1457764197618:41d102a3e1ae206a38",
            1458692752478,
            kind="text",
            text="hello, world!",
            reply_to=REACTED,
        )
    ],
    # One event per attachment: the first keeps the message's own id.
    "docs_attachments.json": [
        received(
            ATTACHMENTS,
            1518479195308,
            kind="image",
            media={"url": "https://scontent.xx.fbcdn.net/v/photo.jpg"},
        ),
        received(
            ATTACHMENTS,
            1518479195308,
            f"message:{ATTACHMENTS}:1",
            kind="document",
            media={"url": "https://cdn.fbsbx.com/v/invoice.pdf"},
        ),
    ],
    "docs_reaction.json": [
        received(
            f"reaction:{PSID}:1458668856463",
            1458668856463,
            kind="reaction",
            reaction={"message_id": REACTED, "emoji": "\u2764\ufe0f"},
        )
    ],
    "docs_unreaction.json": [
        received(
            f"reaction:{PSID}:1458668856464",
            1458668856464,
            kind="reaction",
            reaction={"message_id": REACTED},
        )
    ],
    "docs_delivery.json": [
        (
            "message.delivered",
            "message.delivered:mid.1458668856218:ed81099e15d3f4f233",
            {"channel_message_id": "mid.1458668856218:ed81099e15d3f4f233", "recipient": CUSTOMER},
        )
    ],
    # A read receipt with only a watermark time names no message: kept whole, not guessed.
    "docs_read_watermark.json": [
        unmapped("docs_read_watermark.json", "receipt_without_message_id")
    ],
    "docs_echo.json": [
        (
            "message.sent",
            "echo:mid.1457764197618:41d102a3e1ae206a38",
            {
                "channel_message_id": "mid.1457764197618:41d102a3e1ae206a38",
                "recipient": CUSTOMER,
                "echo": True,
                "text": "hello, world!",
            },
        )
    ],
    "docs_postback.json": [
        received(
            "m_MESSAGE-ID",
            1527459824000,
            kind="interactive_reply",
            interactive_reply={
                "control": "postback",
                "id": "USER-DEFINED-PAYLOAD",
                "title": "TITLE-FOR-THE-CTA",
            },
            referral={"source_type": "short_url", "ref": "USER-DEFINED-REFERRAL-PARAM"},
        )
    ],
    "docs_referral_ad.json": [
        received(
            f"referral:{PSID}:1458692752478",
            1458692752478,
            kind="referral",
            referral={
                "source_type": "ads",
                "source_id": "6045246247433",
                "headline": "Summer sale",
                "ref": "summer-sale",
                "media_url": "https://scontent.xx.fbcdn.net/v/ad.jpg",
            },
        )
    ],
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_fixture_becomes_its_canonical_events(hub_factory: Any, name: str) -> None:
    harness = await hub_factory(
        plugins={"messenger": omnihub_messenger.plugin},
        config={"messenger": config_table(page_id="configured-page")},
    )
    payload = load(FIXTURES / name)
    await check_sample(harness, "messenger", payload, CASES[name], payload["entry"][0]["id"])
