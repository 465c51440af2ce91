"""The ``[plugins.hubspot]`` table of hub.toml."""

from __future__ import annotations

import re
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from hub import ConfigModel

TRAIT_KEY = re.compile(r"^[a-z][a-z0-9_]*([.:][a-z0-9_]+)*$")  # the contracts' TraitKey
IDENTIFIER_KIND = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9][a-z0-9_.-]*)?$")

DEFAULT_PROPERTIES = {
    "firstname": "first_name",
    "lastname": "last_name",
    "email": "email",
    "phone": "phone",
    "mobilephone": "mobile_phone",
    "hs_language": "language",
    "company": "company",
    "jobtitle": "job_title",
    "city": "city",
    "country": "country",
}
DEFAULT_IDENTIFIERS = {"email": "email", "phone": "phone", "mobilephone": "phone"}


def _absolute_http(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return url


class HubSpotConfig(ConfigModel):
    client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret: verifies inbound webhooks."
    )
    access_token: SecretStr | None = Field(
        default=None, description="Private app token: lets profile changes flow to HubSpot."
    )
    api_url: str = Field(default="https://api.hubapi.com", description="CRM API base URL.")
    webhook_url: str | None = Field(
        default=None,
        description="The public URL HubSpot calls (signed by v3); default: rebuilt from the "
        "request, honouring X-Forwarded-Proto and X-Forwarded-Host.",
    )
    properties: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PROPERTIES),
        description="HubSpot property -> canonical trait key, both directions. Unmapped "
        "properties come in as crm:hubspot.<property> and never go out.",
    )
    identifier_properties: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_IDENTIFIERS),
        description="HubSpot property -> identifier kind it also links (e-mail, phone).",
    )
    erase_on_deletion: bool = Field(
        default=True,
        description="contact.deletion requests erasure like contact.privacyDeletion does.",
    )
    batch_window: float = Field(
        default=0.2, ge=0, description="Seconds an update waits to share a batch request."
    )
    batch_size: int = Field(default=100, ge=1, le=100, description="HubSpot's batch limit.")
    timeout: float = Field(default=15.0, gt=0, description="Seconds per API request.")
    attempts: int = Field(default=4, ge=1, le=10, description="API attempts per request.")
    backoff_initial: float = Field(default=0.5, ge=0, description="First wait between attempts.")
    backoff_max: float = Field(default=8.0, ge=0, description="Longest wait between attempts.")
    retry_after_max: float = Field(
        default=10.0, ge=0, description="Cap on a Retry-After HubSpot asks for (seconds)."
    )
    retry_schedule: list[float] = Field(
        default=[10.0, 60.0, 300.0, 1800.0, 7200.0],
        description="The hub's redelivery delays once the attempts failed.",
    )

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, url: str) -> str:
        return _absolute_http(url).rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, url: str | None) -> str | None:
        return None if url is None else _absolute_http(url)

    @field_validator("properties")
    @classmethod
    def _trait_keys(cls, mapping: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k, trait in mapping.items() if not TRAIT_KEY.match(trait))
        if bad:
            raise ValueError(f"not a trait key (a-z, 0-9, _ . :) for: {', '.join(bad)}")
        return mapping

    @field_validator("identifier_properties")
    @classmethod
    def _identifier_kinds(cls, mapping: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k, kind in mapping.items() if not IDENTIFIER_KIND.match(kind))
        if bad:
            raise ValueError(f"not an identifier kind for: {', '.join(bad)}")
        return mapping

    @model_validator(mode="after")
    def _inbound_or_outbound(self) -> Self:
        if self.client_secret is None and self.access_token is None:
            raise ValueError(
                "set client_secret (webhooks from HubSpot), access_token (updates to "
                "HubSpot) or both"
            )
        return self

    @property
    def handler_timeout(self) -> float:
        """Time one update may take: its batch window, then the batch request and, if the
        batch was refused, the single request, each with all attempts and waits."""
        longest_wait = max(self.backoff_max, self.retry_after_max)
        one_request = self.attempts * self.timeout + (self.attempts - 1) * longest_wait
        return self.batch_window + 2 * one_request + 5.0

    def trait_of(self, prop: str) -> str | None:
        """The trait key of a HubSpot property; None if it cannot be one."""
        if prop in self.properties:
            return self.properties[prop]
        key = f"crm:hubspot.{prop.lower()}"
        return key if TRAIT_KEY.match(key) else None

    def property_of(self, trait: str) -> str | None:
        """The HubSpot property a trait goes to; None for traits not mapped."""
        return next((p for p, t in self.properties.items() if t == trait), None)
