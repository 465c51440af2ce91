"""The ``[plugins.nps]`` table of hub.toml."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from hub import ConfigModel

from .themes import DEFAULT_THEMES

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class NpsConfig(ConfigModel):
    api_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Bearer token of /webhooks/nps/surveys and /webhooks/nps/scores (none: "
        "those two answer 401; /api/v1/surveys and /api/v1/nps use the hub's tokens).",
    )
    delay_seconds: float = Field(
        default=300, ge=0, description="Wait after the trigger before asking (kept durably)."
    )
    on_conversation_closed: bool = True
    on_order_delivered: bool = True
    min_days_between: float = Field(
        default=30, ge=0, description="At most one survey per customer in this many days."
    )
    daily_cap: int = Field(default=1000, ge=0, description="Surveys asked per day, hub-wide.")
    quiet_start: time = Field(default=time(21, 0), description="Quiet hours begin (local).")
    quiet_end: time = Field(default=time(9, 0), description="Quiet hours end (local).")
    default_timezone: str = Field(
        default="America/Sao_Paulo", description="When the customer's `timezone` is unknown."
    )
    default_language: str = Field(default="pt-BR", pattern=r"^(pt-BR|es|en)$")
    answer_hours: float = Field(default=72, gt=0, description="A survey expires unanswered.")
    reason_wait_seconds: float = Field(
        default=3600, ge=0, description="How long the follow-up waits for the reason."
    )
    whatsapp_template: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_]+$",
        description="Approved template to ask outside WhatsApp's 24-hour window; none: skip.",
    )
    choice_limits: dict[str, int] = Field(
        default_factory=lambda: {"instagram": 13, "messenger": 13},
        description="Channel -> how many reply buttons it shows; 11 or more: 0-10 as buttons.",
    )
    themes: dict[str, dict[str, list[str]]] = Field(
        default_factory=lambda: {k: {lang: list(w) for lang, w in v.items()} for k, v in
                                 DEFAULT_THEMES.items()},
        description="Theme -> language -> keywords ('atras*' matches a word's start).",
    )  # fmt: skip
    poll_seconds: float = Field(
        default=5, gt=0, le=3600, description="How often due surveys are looked for."
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is no IANA time zone (e.g. America/Sao_Paulo)") from None
        return name

    @field_validator("themes")
    @classmethod
    def _slugs(cls, themes: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for theme in themes:
            if not SLUG.match(theme):
                raise ValueError(f"{theme!r}: a theme is a slug such as delivery_time")
        return themes
