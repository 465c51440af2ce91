"""``message.send.instagram`` -> the Send API (a local fake), and what Instagram refuses."""

from __future__ import annotations

from typing import Any

import omnihub_instagram
from omnihub_meta.testing import FakeGraph, config_table

from hub.testing import HubHarness

IGSID = "526401263542563"


async def start(hub_factory: Any, graph: FakeGraph, broker_url: str) -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"instagram": omnihub_instagram.plugin},
        config={"instagram": config_table(graph.url, ig_id="17841405822304914")},
        broker_url=broker_url,
    )
    return harness


def send(send_id: str, **data: Any) -> dict[str, Any]:
    recipient = {"identifiers": [{"kind": "instagram", "value": IGSID}]}
    return {
        "id": send_id,
        "source": "/tests/helpdesk",
        "type": "message.send",
        "channel": "instagram",
        "data": {"recipient": recipient} | data,
    }


async def test_quick_replies_reach_the_send_api(hub_factory: Any, broker_url: str) -> None:
    buttons = [{"id": "yes", "title": "Sim"}, {"id": "no", "title": "Não"}]
    async with FakeGraph() as graph:
        harness = await start(hub_factory, graph, broker_url)
        seen = await harness.collect("probe", "message.sent.instagram")
        interactive = {"kind": "buttons", "body": "Confirma?", "buttons": buttons}
        await harness.publish(send("send-1", kind="interactive", interactive=interactive))
        [sent] = await seen.wait_for(1, timeout=15)

    [call] = graph.calls
    assert call.path == "/v25.0/17841405822304914/messages"
    assert call.body == {  # no messaging_type: Instagram's Send API has none
        "recipient": {"id": IGSID},
        "message": {
            "text": "Confirma?",
            "quick_replies": [
                {"content_type": "text", "title": "Sim", "payload": "yes"},
                {"content_type": "text", "title": "Não", "payload": "no"},
            ],
        },
    }
    assert (sent.type, sent.causationid) == ("message.sent", "send-1")


async def test_a_document_is_refused_with_a_clear_message_failed(hub_factory: Any) -> None:
    async with FakeGraph() as graph:
        harness = await start(hub_factory, graph, "memory://")
        seen = await harness.collect("probe", "message.failed.instagram")
        media = {"type": "document", "url": "https://cdn.example.com/nota.pdf"}
        await harness.publish(send("send-2", kind="media", media=media))
        [failed] = await seen.wait_for(1)

    assert graph.calls == []
    assert failed.data.error.code == "unsupported_content"
    assert failed.data.error.title == "instagram cannot send a document"
    assert failed.data.recipient.value == IGSID
