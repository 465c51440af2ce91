"""A Typeform ``form_response`` webhook → one :class:`SurveyAnswer` (or why not).

Shape (https://www.typeform.com/developers/webhooks/example-payload/): ``{"event_id",
"event_type": "form_response", "form_response": {"form_id", "token", "submitted_at",
"hidden": {name: value}, "definition": {"fields": [{"id", "ref", "type", "properties"?}]},
"answers": [{"type", <type>: value, "field": {"id", "type", "ref"?}}]}}``.
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

from .config import TypeformConfig

SCALE_TYPES = ("opinion_scale", "rating")
COMMENT_TYPES = ("long_text", "short_text")


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class FormResponse:
    """The answers of one response, each with its field's definition."""

    def __init__(self, response: dict[str, Any]):
        fields = _objects(_object(response.get("definition")).get("fields"))
        self.definitions = {f["id"]: f for f in fields if isinstance(f.get("id"), str)}
        self.answers = _objects(response.get("answers"))

    def field(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The answer's field: its own ``field`` object over the definition's."""
        own = _object(answer.get("field"))
        defined = self.definitions.get(own.get("id")) if isinstance(own.get("id"), str) else None
        return {**(defined or {}), **own}

    def named(self, key: str) -> dict[str, Any] | None:
        """The answer to the field whose ref or id is ``key``."""
        for answer in self.answers:
            field = self.field(answer)
            if key in (field.get("ref"), field.get("id")):
                return answer
        return None

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [a for a in self.answers if self.field(a).get("type") in types]


def is_zero_to_ten(field: dict[str, Any]) -> bool:
    """An opinion scale the definition says runs 0-10 (a 1-10 or 1-5 scale is no NPS)."""
    properties = _object(field.get("properties"))
    return (
        field.get("type") == "opinion_scale"
        and properties.get("steps") == 11
        and properties.get("start_at_one", False) is False
    )


def nps_answer(form: FormResponse, config: TypeformConfig) -> dict[str, Any]:
    if config.nps_field is not None:
        answer = form.named(config.nps_field)
        if answer is None:
            raise Ignored("no_nps_answer")
        return answer
    for answer in form.of_type(*SCALE_TYPES):
        if is_zero_to_ten(form.field(answer)):
            return answer
    raise Ignored("no_nps_answer")


def comment(form: FormResponse, config: TypeformConfig) -> str | None:
    if config.comment_field is not None:
        answer = form.named(config.comment_field)
        candidates = [answer] if answer is not None else []
    else:
        candidates = form.of_type("long_text") + form.of_type("short_text")
    for answer in candidates:
        value = answer.get("text")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def respondent(response: dict[str, Any], form: FormResponse, config: TypeformConfig) -> Respondent:
    who = Respondent()
    who.take_fields(_object(response.get("hidden")), config.hidden_fields)
    for answer in form.of_type("email"):
        who.add("email", answer.get("email"))
    for answer in form.of_type("phone_number"):
        who.add("phone", answer.get("phone_number"))
    return who


def survey_answers(payload: Any, config: TypeformConfig) -> list[SurveyAnswer | Ignored]:
    if not isinstance(payload, dict) or not isinstance(payload.get("form_response"), dict):
        raise Malformed("the body is not a Typeform webhook: form_response is missing")
    response = payload["form_response"]
    form_id, token = text(response.get("form_id")), text(response.get("token"))
    if form_id is None or token is None:
        raise Malformed("form_response.form_id and form_response.token are required")
    if payload.get("event_type") != "form_response":  # e.g. form_response_partial
        return [Ignored("not_a_form_response")]
    submitted_at = parse_time(response.get("submitted_at"))
    form = FormResponse(response)
    try:
        score = score_of(nps_answer(form, config).get("number"))
    except Ignored as ignored:
        return [ignored]
    return [
        SurveyAnswer(
            tool="typeform",
            response_key=f"{form_id}:{token}",
            source=f"/plugins/typeform/{form_id}",
            submitted_at=submitted_at,
            score=score,
            comment=comment(form, config),
            respondent=respondent(response, form, config),
        )
    ]
