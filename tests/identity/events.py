"""Canonical events of one person across channels, for identity tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omnihub_contracts import CloudEvent

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ids(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"kind": kind, "value": value} for kind, value in pairs]


def received(
    channel: str,
    identifiers: list[dict[str, str]],
    *,
    minutes: float,
    text: str = "Olá, tudo bem?",
    name: str | None = None,
    **extra: Any,
) -> CloudEvent:
    sender: dict[str, Any] = {"identifiers": identifiers}
    if name:
        sender["display_name"] = name
    return CloudEvent.model_validate(
        {
            "source": f"/plugins/{channel}",
            "type": "message.received",
            "channel": channel,
            "time": at(minutes).isoformat(),
            "data": {
                "kind": "text",
                "channel_message_id": f"{channel}-{minutes}",
                "sender": sender,
                "text": text,
            },
            **extra,
        }
    )


def identified(
    identifiers: list[dict[str, str]],
    *,
    minutes: float,
    source: str = "/plugins/hubspot",
    traits: dict[str, Any] | None = None,
    **extra: Any,
) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": source,
            "type": "customer.identified",
            "time": at(minutes).isoformat(),
            "data": {"identifiers": identifiers, "traits": traits or {}},
            **extra,
        }
    )


def updated(customer_id: str, traits: dict[str, Any], *, minutes: float) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": "/plugins/hubspot",
            "type": "customer.updated",
            "time": at(minutes).isoformat(),
            "customerid": customer_id,
            "data": {"traits": traits, "changed": sorted(traits)},
        }
    )
