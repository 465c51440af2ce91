"""Omnihub's Formbricks plugin: finished responses in, ``survey.responded`` out.

Formbricks posts response webhooks, signed per Standard Webhooks, to
``/webhooks/formbricks``; a finished response's NPS answer, comment and respondent (contact
attributes, userId, hidden fields) become one ``survey.responded`` that the hub's identity
stage puts on the respondent's profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnihub_surveys import Ignored, SurveyAnswer, SurveyWebhook

from hub import PluginContext, PluginRouter, hookimpl

from .config import FormbricksConfig, secret_key
from .mapping import survey_answers
from .signature import HEADERS, verify

__version__ = "0.1.0"


@hookimpl
def hub_config_model() -> type[FormbricksConfig]:
    return FormbricksConfig


@hookimpl
def hub_register_routes(router: PluginRouter, context: PluginContext) -> None:
    config: FormbricksConfig = context.config
    key = secret_key(config.webhook_secret.get_secret_value())

    def verified(body: bytes, headers: Mapping[str, str]) -> bool:
        return verify(key, body, headers, config.tolerance_seconds)

    def answers(payload: Any) -> list[SurveyAnswer | Ignored]:
        return survey_answers(payload, config)

    # Mounted at /webhooks/formbricks/ (and /webhooks/formbricks): the URL to give Formbricks.
    router.post("/", SurveyWebhook(context, verified, answers, HEADERS).receive)


__all__ = ["FormbricksConfig", "hub_config_model", "hub_register_routes"]
