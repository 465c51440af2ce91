"""A tool's response, reduced to what ``survey.responded`` carries, and its event.

The respondent is who the tool says answered: identifiers (the e-mail answer, hidden fields)
that the hub's identity stage resolves to a profile, or the hub's own customer id when a
hidden field carries it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omnihub_contracts import CloudEvent, Identifier
from omnihub_contracts.survey import SurveyResponded
from pydantic import ValidationError

from .config import CUSTOMER_ID, SURVEY_ID

MAX_VALUE = 320  # Identifier.value's limit; longer values are not identifiers


class Ignored(Exception):
    """The response becomes no event; ``reason`` is a short slug safe to log and answer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Malformed(ValueError):
    """The body is JSON but not the tool's webhook shape: answered 400."""


def text(value: Any) -> str | None:
    """A non-blank string of at most ``MAX_VALUE`` characters, stripped; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_VALUE else None


def score_of(value: Any) -> int:
    """An NPS score: a whole number 0-10 (JSON ``9`` or ``9.0``); else :class:`Ignored`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Ignored("invalid_score")
    if isinstance(value, float) and not value.is_integer():
        raise Ignored("invalid_score")
    if not 0 <= value <= 10:
        raise Ignored("invalid_score")
    return int(value)


@dataclass
class Respondent:
    identifiers: list[Identifier] = field(default_factory=list)
    customer_id: str | None = None
    survey_id: str | None = None

    def add(self, kind: str, value: Any) -> None:
        value = text(value)
        if value is not None and all((i.kind, i.value) != (kind, value) for i in self.identifiers):
            self.identifiers.append(Identifier(kind=kind, value=value))

    def take_fields(self, values: Mapping[str, Any], mapping: Mapping[str, str]) -> None:
        """Hidden fields named in ``mapping``: identifiers, the customer id, the survey id."""
        for name, target in mapping.items():
            value = text(values.get(name))
            if value is None:
                continue
            if target == CUSTOMER_ID:
                self.customer_id = self.customer_id or value
            elif target == SURVEY_ID:
                self.survey_id = self.survey_id or value
            else:
                self.add(target, value)


@dataclass(frozen=True)
class SurveyAnswer:
    tool: str  # entry-point name: typeform, formbricks
    response_key: str  # the tool's own id of the response, stable across webhook retries
    source: str
    submitted_at: datetime
    score: int
    comment: str | None
    respondent: Respondent

    @property
    def event_id(self) -> str:
        return response_event_id(self.tool, self.response_key)

    def to_event(self) -> CloudEvent:
        try:
            data = SurveyResponded(
                survey_id=self.respondent.survey_id,
                score=self.score,
                comment=self.comment or None,
                identifiers=self.respondent.identifiers[:20],
                tool=self.tool,
            )
        except ValidationError as exc:  # e.g. an over-long comment: report, never crash
            raise Ignored("invalid_response") from exc
        return CloudEvent(
            id=self.event_id,
            source=self.source,
            type="survey.responded",
            time=self.submitted_at,
            customerid=self.respondent.customer_id,
            data=data,
        )


def response_event_id(tool: str, key: str) -> str:
    """The same response gives the same id, so the hub drops the tool's webhook retries."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:omnihub:{tool}:response:{key}"))


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time with its offset (``Z`` included), else :class:`Malformed`."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise Malformed("the response's time is missing or not an ISO 8601 time with an offset")
