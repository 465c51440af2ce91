"""What every survey-tool table shares: the body limit and where hidden fields go."""

from __future__ import annotations

import re

from omnihub_contracts.common import IDENTIFIER_KIND_PATTERN
from pydantic import Field, field_validator

from hub import ConfigModel

CUSTOMER_ID = "customer_id"  # the field carries the hub's customer id: it becomes customerid
SURVEY_ID = "survey_id"  # the field carries the hub's survey id (from survey.requested)
TARGETS = (CUSTOMER_ID, SURVEY_ID)
_KIND = re.compile(IDENTIFIER_KIND_PATTERN)

DEFAULT_HIDDEN_FIELDS = {
    "customer_id": CUSTOMER_ID,
    "omnihub_customer_id": CUSTOMER_ID,
    "survey_id": SURVEY_ID,
    "email": "email",
    "phone": "phone",
}


class SurveyToolConfig(ConfigModel):
    max_body_bytes: int = Field(
        default=1_000_000, gt=0, le=20_000_000, description="Larger bodies are answered 413."
    )
    hidden_fields: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_HIDDEN_FIELDS),
        description="Hidden field name -> identifier kind (email, phone, whatsapp, crm:<system>"
        " …), or 'customer_id' / 'survey_id'. Replaces the default mapping as a whole.",
    )

    @field_validator("hidden_fields")
    @classmethod
    def _targets_are_kinds(cls, mapping: dict[str, str]) -> dict[str, str]:
        return check_targets(mapping)


def check_targets(mapping: dict[str, str]) -> dict[str, str]:
    """Each value is an identifier kind, 'customer_id' or 'survey_id'."""
    for name, target in mapping.items():
        if target not in TARGETS and not _KIND.fullmatch(target):
            raise ValueError(
                f"{name!r}: {target!r} is neither 'customer_id', 'survey_id' "
                "nor an identifier kind such as 'email', 'phone' or 'crm:<system>'"
            )
    return mapping
