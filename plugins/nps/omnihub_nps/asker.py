"""Asking due surveys, once, with several hubs polling the same store.

A due survey is first *claimed*: in one transaction holding the customer's lock and the
daily cap's, the fatigue rules are checked again and ``scheduled`` becomes ``asking``
(a conditional UPDATE: of two hubs, one changes the row, the other sees no row changed
and moves on). The claim fixes the question and counts towards the daily cap at once.
Then the events go out and ``asking`` becomes ``asked``. A hub that dies between the two
leaves a claim whose lease runs out; another hub then publishes the same events again,
with the same ids, which the hub's ingress drops if they had gone out already.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from . import events, fatigue, texts
from .records import Survey
from .surveys import Nps

LEASE_SECONDS = 60.0  # a claim's owner publishes three events well within this


async def ask_due(nps: Nps) -> int:
    """Ask every survey that is due and still allowed; returns how many this hub asked."""
    asked = 0
    for survey in await nps.store.due(nps.clock().timestamp()):
        if survey.status == "asking":
            asked += await _take_over(nps, survey)
        else:
            asked += await _claim_and_ask(nps, survey)
    return asked


async def _claim_and_ask(nps: Nps, survey: Survey) -> int:
    config, store, now = nps.config, nps.store, nps.clock()
    # The question and WhatsApp's window before the transaction: on SQLite it holds the
    # hub's only connection, which the customer directory needs too.
    customer = await store.customer(survey.customer_id)
    language = texts.language_of(customer.language, config.default_language)
    channel = survey.channel or customer.last_channel
    question, window_reason = await _question(nps, survey, language, channel)
    expires = now + timedelta(hours=config.answer_hours)
    async with store.locked(survey.customer_id, daily_cap=True) as tables:
        customer = await tables.customer(survey.customer_id)
        reason = await fatigue.refusal(tables, customer, config, now)
        if reason is None:
            zone = fatigue.zone_of(customer, config)
            later = fatigue.quiet_until(now, zone, config.quiet_start, config.quiet_end)
            if later is not None:
                expect = {"status": "scheduled", "due_at": survey.due_at}
                if await tables.transition(survey.survey_id, expect, due_at=later.timestamp()):
                    await tables.count("deferred", "quiet_hours")
                return 0
            if await fatigue.over_daily_cap(tables, config, now):
                reason = "daily_cap"
        reason = reason or window_reason
        if reason is not None:
            if await tables.transition(survey.survey_id, {"status": "scheduled"}, status="skipped"):
                await tables.count("skipped", reason)
            return 0
        claimed = await tables.transition(
            survey.survey_id,
            {"status": "scheduled"},
            status="asking",
            channel=channel,
            language=language,
            question=json.dumps(question),
            requested_at=now.timestamp(),
            expires_at=expires.timestamp(),
            lease_until=now.timestamp() + LEASE_SECONDS,
        )
    if not claimed:
        return 0  # another hub claimed it, or an event ended it meanwhile
    survey.channel, survey.language, survey.question = channel, language, json.dumps(question)
    survey.expires_at = expires.timestamp()
    return await _send(nps, survey)


async def _question(
    nps: Nps, survey: Survey, language: str, channel: str | None
) -> tuple[dict[str, Any], str | None]:
    """The ``message.send`` data asking, or why it cannot go (WhatsApp's window)."""
    config, now = nps.config, nps.clock()
    data = texts.question(
        survey.survey_id, survey.customer_id, language, channel, config.choice_limits
    )
    if channel != "whatsapp":
        return data, None
    last = await nps.context.customers.last_inbound(survey.customer_id, "whatsapp")
    if not fatigue.outside_whatsapp_window(last, now):
        return data, None
    if config.whatsapp_template is None:
        return data, "whatsapp_window"
    template = texts.template_question(survey.customer_id, language, config.whatsapp_template)
    return template, None


async def _take_over(nps: Nps, survey: Survey) -> int:
    """A claim whose hub went away: finish it, with the events its owner meant to send."""
    now = nps.clock().timestamp()
    expect = {"status": "asking", "lease_until": survey.lease_until}
    if not await nps.store.transition(survey.survey_id, expect, lease_until=now + LEASE_SECONDS):
        return 0
    return await _send(nps, survey)


async def _send(nps: Nps, survey: Survey) -> int:
    assert survey.expires_at is not None
    expires = datetime.fromtimestamp(survey.expires_at, UTC)
    await nps.publish(
        [
            events.conversation(survey, "opened", survey.channel),
            events.send(survey, "ask", survey.channel, survey.question_data),
            events.requested(survey, survey.channel, expires),
        ]
    )
    done = await nps.store.transition(
        survey.survey_id, {"status": "asking"}, status="asked", lease_until=None
    )
    return 1 if done else 0


async def sweep(nps: Nps) -> None:
    """Unanswered surveys expire; a score whose reason never came is published without.

    Publish first, then the conditional transition: a crash in between publishes again
    (same event ids, dropped as duplicates); of two hubs, one makes the change and counts.
    """
    now = nps.clock().timestamp()
    store = nps.store
    for survey in await store.unanswered(now):
        await nps.publish([events.conversation(survey, "closed", survey.channel)])
        if await store.transition(survey.survey_id, {"status": "asked"}, status="expired"):
            await store.count("ended", "expired")
    for survey in await store.reason_overdue(now):
        closed = events.conversation(survey, "closed", survey.channel)
        await nps.publish([*events.answered(survey), closed])
        expect = {"status": "awaiting_reason"}
        await store.transition(survey.survey_id, expect, status="responded", responded_at=now)


async def run_asker(nps: Nps) -> None:
    """The background task: ask due surveys every ``poll_seconds`` or when woken."""
    while True:
        nps.wake.clear()  # before the round: a wake-up during it starts the next one at once
        try:
            await ask_due(nps)
            await sweep(nps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broker is away, a store hiccup: try again next round
            nps.context.log.warning("nps_round_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(nps.wake.wait(), nps.config.poll_seconds)
