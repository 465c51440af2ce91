"""Shared code of Omnihub's survey-tool plugins (Typeform, Formbricks). Not a plugin itself."""

from .answer import (
    Ignored,
    Malformed,
    Respondent,
    SurveyAnswer,
    parse_time,
    response_event_id,
    score_of,
    text,
)
from .config import CUSTOMER_ID, SURVEY_ID, SurveyToolConfig, check_targets
from .endpoint import SurveyWebhook

__all__ = [
    "CUSTOMER_ID",
    "SURVEY_ID",
    "Ignored",
    "Malformed",
    "Respondent",
    "SurveyAnswer",
    "SurveyToolConfig",
    "SurveyWebhook",
    "check_targets",
    "parse_time",
    "response_event_id",
    "score_of",
    "text",
]
