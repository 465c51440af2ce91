"""Omnihub's Typeform plugin: signed form responses in, ``survey.responded`` out.

Typeform posts each submitted response to ``/webhooks/typeform``; the NPS answer, the
comment and the respondent (e-mail answer, hidden fields) become one ``survey.responded``
that the hub's identity stage puts on the respondent's profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnihub_surveys import Ignored, SurveyAnswer, SurveyWebhook

from hub import PluginContext, PluginRouter, hookimpl

from .config import TypeformConfig
from .mapping import survey_answers
from .signature import SIGNATURE_HEADER, verify

__version__ = "0.1.0"


@hookimpl
def hub_config_model() -> type[TypeformConfig]:
    return TypeformConfig


@hookimpl
def hub_register_routes(router: PluginRouter, context: PluginContext) -> None:
    config: TypeformConfig = context.config
    secret = config.secret.get_secret_value()

    def verified(body: bytes, headers: Mapping[str, str]) -> bool:
        return verify(secret, body, headers)

    def answers(payload: Any) -> list[SurveyAnswer | Ignored]:
        return survey_answers(payload, config)

    # Mounted at /webhooks/typeform/ (and /webhooks/typeform): the URL to give Typeform.
    router.post("/", SurveyWebhook(context, verified, answers, SIGNATURE_HEADER).receive)


__all__ = ["TypeformConfig", "hub_config_model", "hub_register_routes"]
