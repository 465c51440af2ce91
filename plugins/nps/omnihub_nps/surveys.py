"""Scheduling surveys and asking them when due.

A trigger only records a due survey in the plugin's SQLite; the asker (a background task
started in ``hub_startup``) sends those that are due, so a delay survives a restart: a
survey scheduled before a crash is asked by the next process, late rather than never.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hub import PluginContext

from . import events, fatigue, texts
from .config import NpsConfig
from .store import NpsStore, Survey
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
    """Record a due survey, or count why not; returns it (or None) and the outcome."""
    customer = await nps.store.customer(customer_id)
    now = nps.clock()
    reason = "survey_pending" if await nps.store.pending(customer_id) else None
    reason = reason or await fatigue.refusal(nps.store, customer, nps.config, now)
    if reason is not None:
        await nps.store.count("skipped", reason)
        return None, reason
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
    if not await nps.store.add(survey):
        return None, "duplicate"
    nps.wake.set()
    return survey, "scheduled"


async def ask_due(nps: Nps) -> int:
    """Ask every survey that is due and still allowed; returns how many were asked."""
    asked = 0
    for survey in await nps.store.due(nps.clock().timestamp()):
        asked += await _ask(nps, survey)
    return asked


async def _ask(nps: Nps, survey: Survey) -> int:
    config, store, now = nps.config, nps.store, nps.clock()
    customer = await store.customer(survey.customer_id)
    reason = await fatigue.refusal(store, customer, config, now)
    if reason is None:
        zone = fatigue.zone_of(customer, config)
        later = fatigue.quiet_until(now, zone, config.quiet_start, config.quiet_end)
        if later is not None:
            await store.update(survey.survey_id, due_at=later.timestamp())
            await store.count("deferred", "quiet_hours")
            return 0
        if await fatigue.over_daily_cap(store, config, now):
            reason = "daily_cap"
    language = texts.language_of(customer.language, config.default_language)
    channel = survey.channel or customer.last_channel
    data = texts.question(
        survey.survey_id, survey.customer_id, language, channel, config.choice_limits
    )
    if reason is None and channel == "whatsapp":
        last = await nps.context.customers.last_inbound(survey.customer_id, "whatsapp")
        if fatigue.outside_whatsapp_window(last, now):
            if config.whatsapp_template is None:
                reason = "whatsapp_window"
            else:
                data = texts.template_question(
                    survey.customer_id, language, config.whatsapp_template
                )
    if reason is not None:
        await store.update(survey.survey_id, status="skipped")
        await store.count("skipped", reason)
        return 0
    survey.language = language
    expires = now + timedelta(hours=config.answer_hours)
    await nps.publish(
        [
            events.conversation(survey, "opened", channel),
            events.send(survey, "ask", channel, data),
            events.requested(survey, channel, expires),
        ]
    )
    await store.update(
        survey.survey_id,
        status="asked",
        channel=channel,
        language=language,
        requested_at=now.timestamp(),
        expires_at=expires.timestamp(),
    )
    return 1


async def sweep(nps: Nps) -> None:
    """Unanswered surveys expire; a score whose reason never came is published without."""
    now = nps.clock().timestamp()
    for survey in await nps.store.unanswered(now):
        await nps.publish([events.conversation(survey, "closed", survey.channel)])
        await nps.store.update(survey.survey_id, status="expired")
        await nps.store.count("ended", "expired")
    for survey in await nps.store.reason_overdue(now):
        closed = events.conversation(survey, "closed", survey.channel)
        await nps.publish([*events.answered(survey), closed])
        await nps.store.update(survey.survey_id, status="responded", responded_at=now)


async def run_asker(nps: Nps) -> None:
    """The background task: ask due surveys every ``poll_seconds`` or when woken."""
    while True:
        nps.wake.clear()  # before the round: a wake-up during it starts the next one at once
        try:
            await ask_due(nps)
            await sweep(nps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broker is away, a disk hiccup: try again next round
            nps.context.log.warning("nps_round_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(nps.wake.wait(), nps.config.poll_seconds)
