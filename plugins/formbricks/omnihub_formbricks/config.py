"""The ``[plugins.formbricks]`` table of hub.toml."""

from __future__ import annotations

import base64
import binascii

from omnihub_contracts.common import IDENTIFIER_KIND_PATTERN
from omnihub_surveys import SurveyToolConfig, check_targets
from pydantic import Field, SecretStr, field_validator

SECRET_PREFIX = "whsec_"


class FormbricksConfig(SurveyToolConfig):
    webhook_secret: SecretStr = Field(
        description="The webhook's signing secret as Formbricks shows it: whsec_<base64>."
    )
    nps_questions: list[str] = Field(
        min_length=1,
        description="Ids of NPS questions (type nps, 0-10); the first one answered counts.",
    )
    comment_questions: list[str] = Field(
        default_factory=list, description="Ids of open-text questions; the first answered."
    )
    contact_attributes: dict[str, str] = Field(
        default_factory=lambda: {"email": "email"},
        description="Contact attribute key -> identifier kind (or customer_id / survey_id).",
    )
    user_id_kind: str | None = Field(
        default=None,
        pattern=IDENTIFIER_KIND_PATTERN,
        description="Identifier kind of the contact's userId (your app's user id), e.g. "
        "'crm:app'. Unset: userId is not used.",
    )
    tolerance_seconds: int = Field(
        default=300, ge=1, le=3600, description="Largest clock skew of webhook-timestamp."
    )

    @field_validator("webhook_secret")
    @classmethod
    def _decodable(cls, secret: SecretStr) -> SecretStr:
        secret_key(secret.get_secret_value())
        return secret

    @field_validator("contact_attributes")
    @classmethod
    def _attribute_targets(cls, mapping: dict[str, str]) -> dict[str, str]:
        return check_targets(mapping)


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_`` (Standard Webhooks)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be whsec_ followed by base64, as Formbricks shows it") from exc
    if not key:
        raise ValueError("must not be empty")
    return key
