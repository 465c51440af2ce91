"""``message.send.messenger`` -> the Send API (a local fake), on both brokers."""

from __future__ import annotations

from typing import Any

import omnihub_messenger
import pytest
from omnihub_contracts import Identifier
from omnihub_contracts.message import MessageSend
from omnihub_meta import Unsendable, event_id
from omnihub_meta.testing import FakeDirectory, FakeGraph, config_table

PSID = Identifier(kind="messenger", value="1254477777772919")
body_of = omnihub_messenger.plugin.outbound.body_of


def command(**data: Any) -> MessageSend:
    return MessageSend.model_validate({"recipient": {"customer_id": "c"}} | data)


async def test_a_text_reaches_the_send_api(hub_factory: Any, broker_url: str) -> None:
    async with FakeGraph() as graph:
        harness = await hub_factory(
            plugins={"messenger": omnihub_messenger.plugin},
            config={"messenger": config_table(graph.url, page_id="682498302938465")},
            customers=FakeDirectory(customers={"cust-9": [PSID]}),
            broker_url=broker_url,
        )
        seen = await harness.collect("probe", "message.sent.messenger")
        await harness.publish(
            {
                "id": "send-7",
                "source": "/tests/bot",
                "type": "message.send",
                "channel": "messenger",
                "customerid": "cust-9",
                "data": {"kind": "text", "recipient": {"customer_id": "cust-9"}, "text": "Olá!"},
            }
        )
        [sent] = await seen.wait_for(1, timeout=15)

    [call] = graph.calls
    assert call.path == "/v25.0/682498302938465/messages"
    assert call.body == {
        "recipient": {"id": "1254477777772919"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Olá!"},
    }
    assert sent.id == event_id("messenger", "send:send-7:message.sent")
    assert (sent.data.channel_message_id, sent.data.recipient) == ("m_fake-1", PSID)


def test_media_goes_as_an_attachment() -> None:
    document = {"type": "document", "url": "https://cdn.example.com/nota.pdf"}
    assert body_of(command(kind="media", media=document), PSID)["message"] == {
        "attachment": {"type": "file", "payload": {"url": "https://cdn.example.com/nota.pdf"}}
    }
    reusable = {"type": "image", "id": "1857777774821032"}
    assert body_of(command(kind="media", media=reusable), PSID)["message"] == {
        "attachment": {"type": "image", "payload": {"attachment_id": "1857777774821032"}}
    }


def test_buttons_and_lists_become_quick_replies() -> None:
    rows = [{"id": f"r{n}", "title": f"Opção {n}"} for n in range(2)]
    interactive = {"kind": "list", "body": "Escolha", "sections": [{"rows": rows}]}
    assert body_of(command(kind="interactive", interactive=interactive), PSID)["message"] == {
        "text": "Escolha",
        "quick_replies": [
            {"content_type": "text", "title": "Opção 0", "payload": "r0"},
            {"content_type": "text", "title": "Opção 1", "payload": "r1"},
        ],
    }


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "template", "template": {"name": "promo", "language": "pt-BR"}},
        {"kind": "media", "media": {"type": "sticker", "id": "369239263222822"}},
        {
            "kind": "interactive",
            "interactive": {
                "kind": "buttons",
                "body": "b",
                "buttons": [{"id": f"b{n}", "title": "t"} for n in range(14)],
            },
        },
    ],
    ids=["template", "sticker", "14-options"],
)
def test_what_messenger_cannot_send_is_refused_before_calling_meta(data: dict[str, Any]) -> None:
    with pytest.raises(Unsendable):
        body_of(command(**data), PSID)
