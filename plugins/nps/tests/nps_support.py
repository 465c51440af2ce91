"""Helpers of the NPS tests: a clock to move by hand, a hub with the plugin, inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omnihub_nps import NpsPlugin

from hub.testing import EventCollector, HubHarness

TOKEN = "nps-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Clock:
    """Noon in São Paulo today (no quiet hours), moved only by ``advance``."""

    def __init__(self) -> None:
        today = datetime.now(UTC).date()
        self.now = datetime(today.year, today.month, today.day, 15, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def start(
    hub_factory: Any, broker_url: str = "memory://", clock: Clock | None = None, **table: Any
) -> tuple[HubHarness, NpsPlugin]:
    plugin = NpsPlugin(clock=clock or Clock())
    config = {"api_token": TOKEN, "delay_seconds": 0, "poll_seconds": 0.05, **table}
    harness: HubHarness = await hub_factory(
        plugins={"nps": plugin},
        config={"nps": config},
        broker_url=broker_url,
        # The bot answers first only for customers who allow an AI assistant: here, all.
        privacy={"default_allowed": ["service", "ai_assistant"]},
    )
    return harness, plugin


def received(channel: str, user: str, text: str, customer_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "source": f"/tests/{channel}",
        "type": "message.received",
        "channel": channel,
        "data": {
            "kind": "text",
            "channel_message_id": f"{channel}.{user}.{abs(hash(text))}",
            "sender": {"identifiers": [{"kind": channel, "value": user}]},
            "text": text,
        },
    }
    if customer_id:
        event["customerid"] = customer_id
    return event


def granted(customer_id: str) -> dict[str, Any]:
    return {
        "source": "/tests/consent",
        "type": "consent.granted",
        "customerid": customer_id,
        "data": {"purpose": "surveys", "source": "whatsapp"},
    }


async def say(
    harness: HubHarness, seen: EventCollector, channel: str, user: str, text: str, **kw: Any
) -> Any:
    """A customer's message; the hub's version of it (with customerid, conversationid)."""
    [event_id] = await harness.publish(received(channel, user, text, **kw))
    [event] = await seen.wait_for(1, where=lambda e: e.id == event_id, timeout=15)
    return event


async def allow_surveys(harness: HubHarness, seen: EventCollector, customer_id: str) -> None:
    [event_id] = await harness.publish(granted(customer_id))
    await seen.wait_for(1, where=lambda e: e.id == event_id, timeout=15)


async def close(harness: HubHarness, conversation_id: str) -> None:
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation_id}/close", headers=harness.auth, json={}
    )
    assert response.status == 202, await response.text()


async def scores(harness: HubHarness, **query: str) -> dict[str, Any]:
    # The path the issue names, behind the hub's own token.
    response = await harness.client.get("/api/v1/nps", params=query, headers=harness.auth)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer
