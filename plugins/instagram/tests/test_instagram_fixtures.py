"""Instagram webhooks (Chatwoot's samples and the shapes of Meta's pages) -> events.

Chatwoot's samples lack the ``"object": "instagram"`` wrapper and carry text dates where
Meta sends numbers (see fixtures/SOURCES.md): the plugin reads both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import omnihub_instagram
import pytest
from omnihub_meta.testing import check_sample, config_table, load

FIXTURES = Path(__file__).parent / "fixtures"
CHATWOOT_TIME = "2021-09-08T06:34:04Z"
IGID, IGSID = "17841405822304914", "526401263542563"
CUSTOMER = {"kind": "instagram", "value": IGSID}
DOCS_TIME = "2019-09-23T18:14:45.349000Z"


def received(
    mid: str, account: str, sender: str, sent_at: str, key: str = "", **fields: Any
) -> tuple[str, str, dict[str, Any]]:
    data = {
        "channel_message_id": mid,
        "sender": {"identifiers": [{"kind": "instagram", "value": sender}]},
        "channel_account": account,
        "forwarded": False,
        "frequently_forwarded": False,
        "sent_at": sent_at,
    }
    return ("message.received", key or f"message:{mid}", data | fields)


def chatwoot(account: str, **fields: Any) -> tuple[str, str, dict[str, Any]]:
    return received("message-id-1", account, "Sender-id-1", CHATWOOT_TIME, **fields)


def docs(mid: str, key: str = "", **fields: Any) -> tuple[str, str, dict[str, Any]]:
    return received(mid, IGID, IGSID, DOCS_TIME, key, **fields)


CDN = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id="
CASES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "text.json": [
        chatwoot(
            "instagram-message-id-123",
            kind="text",
            text="This is the first message from the customer",
        )
    ],
    "story_reply.json": [
        chatwoot(
            "instagram-message-id-123",
            kind="story_reply",
            text="This is the story reply",
            story={
                "id": "chatwoot-app-user-id-1",
                "url": "https://chatwoot-assets.local/sample.png",
            },
        )
    ],
    "story_mention.json": [
        chatwoot(
            "instagram-message-id-1234",
            kind="story_mention",
            story={"url": "https://www.example.com/test.jpeg"},
        )
    ],
    "unsend.json": [
        (
            "message.deleted",
            "deleted:message-id-to-delete",
            {"channel_message_id": "message-id-to-delete"},
        )
    ],
    # The dashboard's "send test" sample: seconds as text, account id "0".
    "dashboard_test.json": [
        received(
            "random_mid", "0", "12334", "2018-05-27T22:23:44Z", kind="text", text="random_text"
        )
    ],
    "docs_attachments.json": [
        docs("MESSAGE-ID", kind="image", media={"url": f"{CDN}1"}),
        docs("MESSAGE-ID", "message:MESSAGE-ID:1", kind="video", media={"url": f"{CDN}2"}),
    ],
    "docs_reaction.json": [
        docs(
            f"reaction:{IGSID}:1569262485349",
            kind="reaction",
            reaction={"message_id": "MESSAGE-ID", "emoji": "\u2764\ufe0f"},
        )
    ],
    "docs_seen.json": [
        (
            "message.read",
            "message.read:LAST-MESSAGE-ID-READ",
            {"channel_message_id": "LAST-MESSAGE-ID-READ", "recipient": CUSTOMER},
        )
    ],
    "docs_echo.json": [
        (
            "message.sent",
            "echo:ECHO-MESSAGE-ID",
            {
                "channel_message_id": "ECHO-MESSAGE-ID",
                "recipient": CUSTOMER,
                "echo": True,
                "text": "Obrigado pelo contato!",
            },
        )
    ],
    "docs_postback.json": [
        docs(
            "POSTBACK-MESSAGE-ID",
            kind="interactive_reply",
            interactive_reply={"control": "postback", "id": "HOURS", "title": "Ver horarios"},
        )
    ],
    "docs_referral.json": [
        docs(
            f"referral:{IGSID}:1569262485349",
            kind="referral",
            referral={"source_type": "igme", "ref": "bio-link"},
        )
    ],
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_fixture_becomes_its_canonical_events(hub_factory: Any, name: str) -> None:
    harness = await hub_factory(
        plugins={"instagram": omnihub_instagram.plugin},
        config={"instagram": config_table(ig_id="configured-account")},
    )
    payload = load(FIXTURES / name)
    await check_sample(harness, "instagram", payload, CASES[name], payload["entry"][0]["id"])
