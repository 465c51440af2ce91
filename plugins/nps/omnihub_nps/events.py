"""The events the plugin publishes. Ids derive from the survey and the step, so a retry
after a crash publishes the same ids and the hub's ingress drops the duplicates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from omnihub_contracts.survey import NpsCategory

from .records import Survey

SOURCE = "/plugins/nps"


def step_id(survey_id: str, step: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:omnihub:nps:{survey_id}:{step}"))


def survey_id_of(key: str) -> str:
    """One survey per trigger: a redelivered conversation.closed schedules no second one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:omnihub:nps:trigger:{key}"))


def _envelope(survey: Survey, kind: str, step: str, channel: str | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "id": step_id(survey.survey_id, step),
        "source": SOURCE,
        "type": kind,
        "customerid": survey.customer_id,
        "correlationid": survey.survey_id,
    }
    if channel:
        envelope["channel"] = channel
    if survey.conversation_id:
        envelope["conversationid"] = survey.conversation_id
    return envelope


SURVEY_CONVERSATION = "nps_"


def survey_conversation(survey: Survey) -> str:
    """The survey is a conversation of its own, controlled by nobody: the customer's reply
    joins it instead of opening one a bot would answer."""
    return SURVEY_CONVERSATION + survey.survey_id


def send(survey: Survey, step: str, channel: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """``message.send``; no channel: the hub sends where the customer spoke last."""
    envelope = _envelope(survey, "message.send", step, channel)
    return {**envelope, "conversationid": survey_conversation(survey), "data": data}


def conversation(survey: Survey, kind: str, channel: str | None) -> dict[str, Any]:
    """``conversation.opened`` (controller none) or ``conversation.closed`` of the survey."""
    envelope = _envelope(survey, f"conversation.{kind}", f"conversation-{kind}", channel)
    envelope["conversationid"] = survey_conversation(survey)
    data: dict[str, Any] = {"conversation_id": survey_conversation(survey)}
    data |= {"controller": "none"} if kind == "opened" else {"resolved_by": "none"}
    return {**envelope, "data": data}


def requested(survey: Survey, channel: str | None, expires_at: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "survey_id": survey.survey_id,
        "trigger": survey.trigger,
        "language": survey.language,
        "conversation_id": survey.conversation_id,
        "order_id": survey.order_id,
        "expires_at": expires_at.isoformat(),
    }
    envelope = _envelope(survey, "survey.requested", "requested", channel)
    return {**envelope, "data": {k: v for k, v in data.items() if v is not None}}


def answered(survey: Survey) -> list[dict[str, Any]]:
    """``survey.responded``, and ``survey.detractor`` for a score of 0-6."""
    assert survey.score is not None
    data: dict[str, Any] = {
        "survey_id": survey.survey_id,
        "score": survey.score,
        "comment": survey.comment,
        "themes": survey.theme_list,
        "conversation_id": survey.conversation_id,
        "resolved_by": survey.resolved_by,
        "agent": survey.agent_data,
    }
    data = {k: v for k, v in data.items() if v is not None}
    channel = survey.answer_channel or survey.channel
    events = [{**_envelope(survey, "survey.responded", "responded", channel), "data": data}]
    if NpsCategory.of(survey.score) is NpsCategory.DETRACTOR:
        detractor = _envelope(survey, "survey.detractor", "detractor", channel)
        events.append({**detractor, "data": data})
    return events
