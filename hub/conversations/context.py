"""The context packet a human receives with a handoff: who the customer is, the whole
conversation across channels, what the bot understood, why it escalated, recent orders
and the last NPS, so the agent's first message can be the answer, not a question."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from omnihub_contracts.conversation import (
    BotUnderstanding,
    HandoffContext,
    NpsSummary,
    OrderSummary,
    ProfileSummary,
    TranscriptEntry,
)

from ..store import Tx
from . import store

TRANSCRIPT_LIMIT = 50  # the latest entries; the agent's desk links the rest
ORDER_LIMIT = 5
BOT_SOURCES = ("bot", "assistant")


def author_of(event: dict[str, Any]) -> str:
    if event["type"] == "message.received":
        return "customer"
    source = str(event.get("source", ""))
    return "bot" if any(word in source for word in BOT_SOURCES) else "human"


def _text(data: dict[str, Any]) -> str | None:
    if data.get("text"):
        return str(data["text"])
    media = data.get("media") or {}
    if media.get("caption"):
        return str(media["caption"])
    reply = data.get("interactive_reply") or {}
    return str(reply["title"]) if reply.get("title") else None


def transcript(events: list[dict[str, Any]]) -> list[TranscriptEntry]:
    said = [e for e in events if e["type"] in ("message.received", "message.send")]
    return [
        TranscriptEntry(
            at=e["time"],
            author=author_of(e),
            channel=e.get("channel"),
            kind=(e.get("data") or {}).get("kind") if e["type"] == "message.received" else None,
            text=_text(e.get("data") or {}),
        )
        for e in said[-TRANSCRIPT_LIMIT:]
    ]


async def _profile(tx: Tx, customer_id: str) -> ProfileSummary:
    row = await tx.fetchone("SELECT created_at FROM customers WHERE id = ?", customer_id)
    traits = {
        key: value
        for key, value in await tx.fetch(
            "SELECT key, value FROM traits WHERE customer_id = ? ORDER BY key", customer_id
        )
    }
    values = {k: json.loads(v) for k, v in traits.items()}
    return ProfileSummary(
        display_name=values.pop("display_name", None),
        language=values.pop("language", None),
        traits=values,
        customer_since=datetime.fromtimestamp(row[0], UTC) if row else None,
    )


async def _latest(tx: Tx, customer_id: str, where: str, limit: int) -> list[dict[str, Any]]:
    rows = await tx.fetch(
        f"SELECT body FROM timeline WHERE customer_id = ? AND {where} "
        "ORDER BY time DESC, seq DESC LIMIT ?",
        customer_id,
        limit,
    )
    return [json.loads(body) for (body,) in rows]


async def build(
    tx: Tx,
    conversation_id: str,
    customer_id: str,
    *,
    reason: str | None,
    understanding: dict[str, Any] | None = None,
) -> HandoffContext:
    orders: dict[str, OrderSummary] = {}
    for event in await _latest(tx, customer_id, "type LIKE 'order.%'", 50):
        data = event["data"]
        if data["order_id"] not in orders and len(orders) < ORDER_LIMIT:
            totals = data.get("totals") or {}
            orders[data["order_id"]] = OrderSummary(
                order_id=data["order_id"],
                status=data["status"],
                total=totals.get("total"),
                currency=data.get("currency"),
                placed_at=event["time"],
            )
    nps = await _latest(tx, customer_id, "type = 'survey.responded'", 1)
    last_nps = None
    if nps:
        data = nps[0]["data"]
        last_nps = NpsSummary(
            score=data["score"],
            category=data["category"],
            comment=data.get("comment"),
            responded_at=nps[0]["time"],
        )
    return HandoffContext(
        profile=await _profile(tx, customer_id),
        transcript=transcript(await store.messages(tx, conversation_id)),
        bot_understanding=BotUnderstanding.model_validate(understanding) if understanding else None,
        escalation_reason=reason,
        orders=list(orders.values()),
        last_nps=last_nps,
    )
