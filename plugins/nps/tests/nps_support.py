"""Helpers of the NPS tests: a clock to move by hand, a hub with the plugin, inputs, and
the plugin's state without a hub (a hand-made context on the store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from omnihub_nps import NpsPlugin
from omnihub_nps.config import NpsConfig
from omnihub_nps.store import NpsStore
from omnihub_nps.surveys import Nps
from omnihub_nps.themes import ThemeTagger

from hub import PluginContext, PluginDatabase
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


class Customers:
    """The customer directory of a hand-made context: WhatsApp's last inbound message."""

    def __init__(self, last: datetime | None):
        self.last = last

    async def find(self, identifier: Any) -> None:
        return None

    async def identifiers(self, customer_id: str) -> list[Any]:
        return []

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        return self.last


def nps_over(database: PluginDatabase, clock: Clock, published: list[Any], **table: Any) -> Nps:
    """The plugin's state for one hub process, on the store ``database`` opens."""
    config = NpsConfig.model_validate({"api_token": "x" * 16, **table})

    async def publish(events: Any) -> list[str]:
        published.extend(events)
        return [e["id"] for e in events]

    log = structlog.get_logger()
    customers = Customers(clock.now)
    context = PluginContext(
        "nps", config, Path("unused"), publish, log, customers, database=database
    )
    return Nps(context, config, NpsStore(database), clock, ThemeTagger(config.themes))


async def start(
    hub_factory: Any,
    broker_url: str = "memory://",
    clock: Clock | None = None,
    *,
    alongside: HubHarness | None = None,
    store_url: str | None = None,
    **table: Any,
) -> tuple[HubHarness, NpsPlugin]:
    """A hub with the plugin; ``alongside``: a second one on that hub's broker and store."""
    plugin = NpsPlugin(clock=clock or Clock())
    config = {"api_token": TOKEN, "delay_seconds": 0, "poll_seconds": 0.05, **table}
    sections: dict[str, Any] = {"store": {"url": store_url}} if store_url else {}
    harness: HubHarness = await hub_factory(
        plugins={"nps": plugin},
        config={"nps": config},
        broker_url=broker_url,
        alongside=alongside,
        # The bot answers first only for customers who allow an AI assistant: here, all.
        privacy={"default_allowed": ["service", "ai_assistant"]},
        **sections,
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
