"""Understanding the customer's reply to a pending survey.

A score with words beyond it ("nota nove, mas demorou") is complete: score and comment.
A bare score gets one follow-up question for the reason; whatever comes next is the
comment. An ambiguous reply ("8 ou 9") gets one clarification; ambiguous again, the
survey ends unscored — never a guessed score. A message with no score form is left alone:
the customer is probably talking about something else.

Each step publishes first (event ids derive from survey and step, so a retry publishes
the same ids, which the hub drops) and then moves the survey with a conditional
transition from the state it was read in, naming the message that moved it: a
redelivered message finds the survey moved on by itself and has no second effect.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from . import events, texts
from .parser import Outcome, read_score
from .records import Survey
from .surveys import Nps


def _text_of(data: Any) -> str | None:
    text = getattr(data, "text", None)
    if text:
        return str(text)
    media = getattr(data, "media", None)
    return getattr(media, "caption", None) if media is not None else None


async def on_reply(nps: Nps, survey: Survey, channel: str | None, data: Any, reply_id: str) -> str:
    """Handle message ``reply_id`` of a customer whose survey waits for an answer."""
    if survey.reply_id == reply_id:
        return "duplicate"  # this message moved the survey already
    text = _text_of(data)
    if survey.status == "awaiting_reason":
        if not text:
            return "no_text"
        return await complete(nps, survey, survey.score, text, channel, reply_id)
    choice = getattr(data, "interactive_reply", None)
    picked = texts.score_of_choice(choice.id, survey.survey_id) if choice is not None else None
    if picked is not None:  # a button of ours: no parsing needed
        return await _scored(nps, survey, picked, None, channel, reply_id)
    if not text:
        return "no_text"
    reading = read_score(text)
    if reading.outcome is Outcome.SCORED:
        assert reading.score is not None
        comment = text if reading.has_comment else None
        return await _scored(nps, survey, reading.score, comment, channel, reply_id)
    if reading.outcome is Outcome.NONE:
        return "not_an_answer"
    if survey.clarified:
        await nps.publish([events.conversation(survey, "closed", channel)])
        if not await _move(nps, survey, reply_id, status="unscored"):
            return "duplicate"
        await nps.store.count("ended", "ambiguous")
        return "unscored"
    language = survey.language or nps.config.default_language
    clarify = texts.plain(survey.customer_id, language, "clarify")
    await nps.publish([events.send(survey, "clarify", channel, clarify)])
    return "clarifying" if await _move(nps, survey, reply_id, clarified=1) else "duplicate"


async def _move(nps: Nps, survey: Survey, reply_id: str, **values: Any) -> bool:
    """The survey as read becomes ``values``; False if something else moved it first."""
    expect = {"status": survey.status, "clarified": survey.clarified, "reply_id": survey.reply_id}
    return await nps.store.transition(survey.survey_id, expect, reply_id=reply_id, **values)


async def _scored(
    nps: Nps, survey: Survey, score: int, comment: str | None, channel: str | None, reply_id: str
) -> str:
    if comment is not None or nps.config.reason_wait_seconds == 0:
        return await complete(nps, survey, score, comment, channel, reply_id)
    language = survey.language or nps.config.default_language
    follow_up = texts.plain(survey.customer_id, language, "follow_up")
    await nps.publish([events.send(survey, "follow_up", channel, follow_up)])
    reason_due = nps.clock().timestamp() + nps.config.reason_wait_seconds
    moved = await _move(
        nps,
        survey,
        reply_id,
        status="awaiting_reason",
        score=score,
        answer_channel=channel,
        reason_due=reason_due,
    )
    return "asked_reason" if moved else "duplicate"


DETRACTOR_MAX = 6


async def complete(
    nps: Nps,
    survey: Survey,
    score: int | None,
    comment: str | None,
    channel: str | None,
    reply_id: str,
) -> str:
    """Publish the answer (and the detractor alert) and thank the customer."""
    themes = nps.tagger.tag(comment) if comment else []
    before = replace(survey)  # the state the transition expects
    survey.score, survey.comment = score, comment
    survey.themes, survey.answer_channel = json.dumps(themes), channel
    language = survey.language or nps.config.default_language
    thanks_text = texts.plain(survey.customer_id, language, "thanks")
    thanks = events.send(survey, "thanks", channel, thanks_text)
    closed = events.conversation(survey, "closed", channel)
    await nps.publish([*events.answered(survey), thanks, closed])
    moved = await _move(
        nps,
        before,
        reply_id,
        status="responded",
        score=score,
        comment=comment,
        themes=survey.themes,
        answer_channel=channel,
        responded_at=nps.clock().timestamp(),
    )
    if not moved:
        return "duplicate"  # the answer went out once (same event ids); one follow-up
    if score is not None and score <= DETRACTOR_MAX:
        # Close the loop: a person contacts the customer, the comment in the context.
        note = f"NPS {score}" + (f": {comment}" if comment else "")
        await nps.context.conversations.follow_up(
            survey.customer_id, reason="detractor_follow_up", note=note, channel=channel
        )
    return "responded"
