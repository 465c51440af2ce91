"""Scheduling surveys; ``asker.py`` asks them when due.

A trigger only records a due survey in the hub's store; the asker (a background task in
every hub running the plugin) sends those that are due, so a delay survives a restart: a
survey scheduled before a crash is asked by the next process, late rather than never.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub import PluginContext

from . import events, fatigue
from .config import NpsConfig
from .records import Survey
from .store import NpsStore
from .themes import ThemeTagger

Clock = Callable[[], datetime]


@dataclass
class Nps:
    """Everything the plugin's parts share, per hub (kept in ``context.state``)."""

    context: PluginContext
    config: NpsConfig
    store: NpsStore
    clock: Clock
    tagger: ThemeTagger
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def publish(self, batch: list[dict[str, Any]]) -> None:
        await self.context.publish(batch)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Trigger:
    kind: str  # SurveyTrigger: conversation_closed, order_delivered, on_demand
    key: str  # what makes it unique: the triggering event's id, or the API request's
    channel: str | None = None
    conversation_id: str | None = None
    order_id: str | None = None
    resolved_by: str | None = None
    agent: dict[str, Any] | None = None
    delay: float | None = None


async def schedule(nps: Nps, customer_id: str, trigger: Trigger) -> tuple[Survey | None, str]:
    """Record a due survey, or count why not; returns it (or None) and the outcome.

    Checked and recorded in one transaction holding the customer's lock, so two hubs
    handling two triggers of one customer at once schedule one survey, not two.
    """
    now = nps.clock()
    delay = nps.config.delay_seconds if trigger.delay is None else trigger.delay
    survey = Survey(
        survey_id=events.survey_id_of(trigger.key),
        customer_id=customer_id,
        trigger=trigger.kind,
        status="scheduled",
        due_at=now.timestamp() + delay,
        channel=trigger.channel,
        conversation_id=trigger.conversation_id,
        order_id=trigger.order_id,
        resolved_by=trigger.resolved_by,
        agent=json.dumps(trigger.agent) if trigger.agent else None,
    )
    async with nps.store.locked(customer_id) as tables:
        if await tables.exists(survey.survey_id):
            return None, "duplicate"  # the same trigger again (a redelivery, an API retry)
        customer = await tables.customer(customer_id)
        reason = "survey_pending" if await tables.pending(customer_id) else None
        reason = reason or await fatigue.refusal(tables, customer, nps.config, now)
        if reason is not None:
            await tables.count("skipped", reason)
            return None, reason
        await tables.add(survey)
    nps.wake.set()
    return survey, "scheduled"
