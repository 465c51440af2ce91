"""Secrets stay out of reprs, logs and error answers."""

from __future__ import annotations

from typing import Any

from meta_support import start
from omnihub_meta.testing import FakeGraph, signed
from structlog.testing import capture_logs

SECRETS = ("test-app-secret", "test-verify-token", "test-access-token")


async def test_secrets_are_never_logged_or_shown(hub_factory: Any) -> None:
    async with FakeGraph() as graph:
        graph.reply(400, {"error": {"message": "(#100) Invalid parameter", "code": 100}})
        harness = await start(hub_factory, "messenger", graph_api_url=graph.url)
        failed = await harness.collect("probe", "message.failed.messenger")
        with capture_logs() as logs:
            body, _ = signed({"object": "page", "entry": []}, secret="wrong")
            answer = await harness.client.post("/webhooks/messenger/", data=body)
            await harness.publish(
                {
                    "id": "send-1",
                    "source": "/tests",
                    "type": "message.send",
                    "channel": "messenger",
                    "data": {
                        "kind": "text",
                        "text": "Oi",
                        "recipient": {"identifiers": [{"kind": "messenger", "value": "1"}]},
                    },
                }
            )
            await failed.wait_for(1)

    config = harness.hub.contexts["messenger"].config
    shown = [repr(config), str(config), await answer.text(), *map(repr, logs)]
    assert graph.calls[0].headers["Authorization"] == "Bearer test-access-token"
    assert not [text for text in shown for secret in SECRETS if secret in text]
    assert any(entry.get("event") == "message_failed" for entry in logs)
