"""The ``[plugins.typeform]`` table of hub.toml."""

from __future__ import annotations

from omnihub_surveys import SurveyToolConfig
from pydantic import Field, SecretStr


class TypeformConfig(SurveyToolConfig):
    secret: SecretStr = Field(
        min_length=1, description="The webhook's secret, as set in Typeform (signs every body)."
    )
    nps_field: str | None = Field(
        default=None,
        min_length=1,
        description="ref or id of the NPS question. Unset: the first opinion_scale whose "
        "definition says 0-10 (11 steps, not starting at one).",
    )
    comment_field: str | None = Field(
        default=None,
        min_length=1,
        description="ref or id of the comment question. Unset: the first long_text answer, "
        "else the first short_text answer.",
    )
