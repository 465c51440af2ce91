"""``message.send.whatsapp`` -> the Cloud API (a local fake) -> ``message.sent`` / ``failed``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import omnihub_whatsapp
import pytest
from omnihub_contracts import Identifier
from omnihub_meta import event_id
from omnihub_meta.testing import FakeDirectory, FakeGraph, config_table

from hub.testing import EventCollector, HubHarness

PNID = "106540352242922"
NUMBER = "5511988887777"
WHATSAPP = Identifier(kind="whatsapp", value=NUMBER)
RECENT = {("cust-1", "whatsapp"): datetime.now(UTC) - timedelta(hours=1)}
LONG_AGO = {("cust-1", "whatsapp"): datetime.now(UTC) - timedelta(hours=25)}


def send(data: dict[str, Any], send_id: str = "send-1", **envelope: Any) -> dict[str, Any]:
    recipient = {"customer_id": "cust-1", "identifiers": [{"kind": "whatsapp", "value": NUMBER}]}
    return {
        "id": send_id,
        "source": "/tests/crm",
        "type": "message.send",
        "channel": "whatsapp",
        "customerid": "cust-1",
        "data": {"recipient": recipient} | data,
        **envelope,
    }


async def start(
    hub_factory: Any,
    graph: FakeGraph,
    inbound: Any = None,
    broker_url: str = "memory://",
    **directory: Any,
) -> tuple[HubHarness, EventCollector]:
    customers = FakeDirectory(inbound=dict(RECENT if inbound is None else inbound), **directory)
    harness: HubHarness = await hub_factory(
        plugins={"whatsapp": omnihub_whatsapp.plugin},
        config={"whatsapp": config_table(graph.url, phone_number_id=PNID)},
        customers=customers,
        broker_url=broker_url,
    )
    seen = await harness.collect("probe", "message.sent.whatsapp", "message.failed.whatsapp")
    return harness, seen


async def test_a_text_reaches_the_graph_api_with_the_right_body(
    hub_factory: Any, broker_url: str
) -> None:
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph, broker_url=broker_url)
        await harness.publish(send({"kind": "text", "text": "Seu pedido saiu para entrega"}))
        [sent] = await seen.wait_for(1, timeout=15)

    [call] = graph.calls
    assert call.path == f"/v25.0/{PNID}/messages"
    assert call.headers["Authorization"] == "Bearer test-access-token"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": NUMBER,
        "type": "text",
        "text": {"body": "Seu pedido saiu para entrega"},
    }
    assert (sent.type, sent.id) == (
        "message.sent",
        event_id("whatsapp", "send:send-1:message.sent"),
    )
    assert (sent.causationid, sent.correlationid, sent.customerid) == ("send-1", "send-1", "cust-1")
    assert sent.source == f"/plugins/whatsapp/{PNID}"
    assert sent.data.channel_message_id == "wamid.fake-1"
    assert sent.data.recipient == WHATSAPP


async def test_429_then_200_ends_in_exactly_one_message_sent(
    hub_factory: Any, broker_url: str
) -> None:
    async with FakeGraph() as graph:
        graph.reply(
            429, {"error": {"message": "(#4) Application request limit reached", "code": 4}}
        )
        harness, seen = await start(hub_factory, graph, broker_url=broker_url)
        await harness.publish(send({"kind": "text", "text": "Oi"}))
        await seen.wait_for(1, timeout=15)
        # The same command delivered again (a retry upstream) and a later one as a marker.
        await harness.publish(send({"kind": "text", "text": "Oi"}))
        await harness.publish(send({"kind": "text", "text": "Oi de novo"}, send_id="send-2"))
        events = await seen.wait_for(2, timeout=15)

    assert [(e.type, e.causationid) for e in events] == [
        ("message.sent", "send-1"),
        ("message.sent", "send-2"),
    ]
    assert len(graph.calls) == 3  # 429 and 200 for send-1, 200 for send-2
    assert len(seen.events) == 2


async def test_outside_the_24_hour_window_only_templates_go_out(hub_factory: Any) -> None:
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph, inbound=LONG_AGO)
        await harness.publish(send({"kind": "text", "text": "Oi"}))
        [failed] = await seen.wait_for(1)
        template = {
            "name": "order_update",
            "language": "pt-BR",
            "components": [
                {"type": "body", "parameters": [{"kind": "text", "text": "12345"}]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": 0,
                    "parameters": [{"kind": "payload", "payload": "TRACK"}],
                },
            ],
        }
        await harness.publish(send({"kind": "template", "template": template}, send_id="send-2"))
        [_, sent] = await seen.wait_for(2)

    assert failed.type == "message.failed"
    assert failed.data.error.code == "outside_customer_service_window"
    assert "only accepts a template" in failed.data.error.title
    assert failed.id == event_id("whatsapp", "send:send-1:message.failed")
    assert sent.type == "message.sent"
    [call] = graph.calls  # the text never reached Meta
    assert call.body["template"] == {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "12345"}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "TRACK"}],
            },
        ],
    }


async def test_a_customer_who_never_wrote_gets_no_free_text(hub_factory: Any) -> None:
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph, inbound={})
        await harness.publish(send({"kind": "text", "text": "Oi"}))
        [failed] = await seen.wait_for(1)
    assert failed.data.error.code == "outside_customer_service_window"
    assert graph.calls == []


async def test_the_recipient_comes_from_the_customer_directory(hub_factory: Any) -> None:
    phone = Identifier(kind="phone", value="+55 11 98888-7777")
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph, customers={"cust-1": [phone]})
        command = send({"kind": "text", "text": "Oi"})
        command["data"]["recipient"] = {"customer_id": "cust-1"}
        await harness.publish(command)
        [sent] = await seen.wait_for(1)
    assert graph.calls[0].body["to"] == NUMBER
    assert sent.data.recipient == phone


async def test_a_business_scoped_user_id_is_sent_as_recipient(hub_factory: Any) -> None:
    bsuid = Identifier(kind="whatsapp", value="BR.1502576394655843")
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph, customers={"cust-1": [bsuid]})
        command = send({"kind": "text", "text": "Oi"})
        command["data"]["recipient"] = {"identifiers": [bsuid.model_dump()]}
        await harness.publish(command)
        await seen.wait_for(1)
    assert "to" not in graph.calls[0].body
    assert graph.calls[0].body["recipient"] == "BR.1502576394655843"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"error": {"message": "(#131026) Message undeliverable", "code": 131026}}, "131026"),
        (
            {
                "error": {
                    "message": "(#100) Invalid parameter",
                    "code": 100,
                    "error_data": {"details": "Parameter text['body'] is too long"},
                }
            },
            "100",
        ),
    ],
)
async def test_a_4xx_is_permanent_with_the_graph_code(
    hub_factory: Any, answer: dict[str, Any], code: str
) -> None:
    async with FakeGraph() as graph:
        graph.reply(400, answer)
        harness, seen = await start(hub_factory, graph)
        await harness.publish(send({"kind": "text", "text": "Oi"}))
        [failed] = await seen.wait_for(1)
    assert failed.type == "message.failed"
    assert (failed.data.error.code, failed.data.error.title) == (code, answer["error"]["message"])
    assert failed.data.error.permanent is True
    assert failed.data.attempts == 1
    assert len(graph.calls) == 1


async def test_no_whatsapp_identifier_fails_clearly(hub_factory: Any) -> None:
    async with FakeGraph() as graph:
        harness, seen = await start(hub_factory, graph)
        command = send({"kind": "text", "text": "Oi"})
        command["data"]["recipient"] = {
            "identifiers": [{"kind": "email", "value": "a@example.com"}]
        }
        command.pop("customerid")
        await harness.publish(command)
        [failed] = await seen.wait_for(1)
    assert failed.data.error.code == "no_recipient"
    assert graph.calls == []
