"""A Formbricks response webhook → :class:`SurveyAnswer`s (or why not).

Shape (https://formbricks.com/docs/xm-and-surveys/core-features/integrations/webhooks):
``{"webhookId", "event": "responseCreated" | "responseUpdated" | "responseFinished", "data":
{"id", "surveyId", "finished", "createdAt", "updatedAt", "data": {<question id>: answer,
<hidden field id>: value}, "contact": {"id", "userId"?} | null, "contactAttributes":
{key: value} | null, "meta", …}}``. Formbricks posts one such object; its docs show them in
a JSON array, which is taken too.

Only ``responseFinished`` of a finished response becomes ``survey.responded``: created and
updated responses are still being filled in (the score may change), and a finished one is
always announced with ``responseFinished``.
"""

from __future__ import annotations

from typing import Any

from omnihub_surveys import (
    Ignored,
    Malformed,
    Respondent,
    SurveyAnswer,
    parse_time,
    score_of,
    text,
)

from .config import FormbricksConfig

MAX_ITEMS = 100


def survey_answers(payload: Any, config: FormbricksConfig) -> list[SurveyAnswer | Ignored]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_ITEMS:
        raise Malformed(f"expected one Formbricks webhook object (or a list of 1-{MAX_ITEMS})")
    return [_answer(item, config) for item in items]


def _answer(item: Any, config: FormbricksConfig) -> SurveyAnswer | Ignored:
    if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
        raise Malformed("not a Formbricks webhook: event and data are required")
    response = item["data"]
    response_id, survey_id = text(response.get("id")), text(response.get("surveyId"))
    if response_id is None or survey_id is None:
        raise Malformed("data.id and data.surveyId are required")
    if item.get("event") != "responseFinished" or response.get("finished") is not True:
        return Ignored("not_finished")
    submitted_at = parse_time(response.get("updatedAt") or response.get("createdAt"))
    answers = response.get("data")
    answers = answers if isinstance(answers, dict) else {}
    try:
        score = score_of(_first(answers, config.nps_questions, "no_nps_answer"))
    except Ignored as ignored:
        return ignored
    return SurveyAnswer(
        tool="formbricks",
        response_key=response_id,
        source=f"/plugins/formbricks/{survey_id}",
        submitted_at=submitted_at,
        score=score,
        comment=_comment(answers, config),
        respondent=_respondent(response, answers, config),
    )


def _first(answers: dict[str, Any], question_ids: list[str], reason: str) -> Any:
    for question in question_ids:
        if answers.get(question) not in (None, ""):
            return answers[question]
    raise Ignored(reason)


def _comment(answers: dict[str, Any], config: FormbricksConfig) -> str | None:
    for question in config.comment_questions:
        value = answers.get(question)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _respondent(
    response: dict[str, Any], answers: dict[str, Any], config: FormbricksConfig
) -> Respondent:
    who = Respondent()
    who.take_fields(answers, config.hidden_fields)  # hidden fields are answers by field id
    attributes = response.get("contactAttributes")
    if isinstance(attributes, dict):
        who.take_fields(attributes, config.contact_attributes)
    contact = response.get("contact")
    if config.user_id_kind is not None and isinstance(contact, dict):
        who.add(config.user_id_kind, contact.get("userId"))
    return who
