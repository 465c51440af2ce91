"""The ``[plugins.webhooks]`` table of hub.toml: one entry per receiving endpoint."""

from __future__ import annotations

import base64
import binascii
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from hub import ConfigModel

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24  # Standard Webhooks: "Random. At least 24 bytes"

# The spec's example schedule (75 hours in all); the first attempt is immediate.
SPEC_SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret; ValueError says what is wrong."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with '{SECRET_PREFIX}' followed by base64")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        # Unpadded base64 is common in the wild; the official libraries accept it too.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"is not valid base64 after '{SECRET_PREFIX}'") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"key is {len(key)} bytes; use at least {MIN_KEY_BYTES} random bytes")
    return key


class Endpoint(ConfigModel):
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=60,
        description="Names the consumer and its queue: omnihub.webhooks.<name>.",
    )
    url: str = Field(description="http(s) URL the events are POSTed to.")
    secret: SecretStr | None = Field(default=None, description="whsec_<base64 key>.")
    secrets: list[SecretStr] | None = Field(
        default=None,
        min_length=1,
        description="Several keys during a rotation (newest first): each signs every request.",
    )
    events: list[str] = Field(min_length=1, description="Routing-key patterns, e.g. customer.#")
    purposes: list[str] = Field(
        default=["service"], description="Consent purposes the receiver serves."
    )
    timeout: float = Field(default=15.0, gt=0, description="Seconds per HTTP request.")
    attempts: int = Field(
        default=3, ge=1, le=10, description="HTTP attempts per delivery before the hub retries."
    )
    backoff_initial: float = Field(default=1.0, ge=0, description="First wait between attempts.")
    backoff_max: float = Field(default=10.0, ge=0, description="Longest wait between attempts.")
    retry_after_max: float = Field(
        default=30.0, ge=0, description="Cap on a Retry-After the receiver asks for (seconds)."
    )
    retry_schedule: list[float] = Field(
        default_factory=lambda: list(SPEC_SCHEDULE),
        description="The hub's redelivery delays (seconds) once the attempts failed.",
    )
    failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failed requests that open the circuit."
    )
    cooldown: float = Field(
        default=30.0, gt=0, description="Seconds the circuit stays open before one probe."
    )
    concurrency: int = Field(default=16, ge=1, description="Requests in flight at most.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return url

    @field_validator("secret")
    @classmethod
    def _valid_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None:
            decode_secret(secret.get_secret_value())
        return secret

    @field_validator("secrets")
    @classmethod
    def _valid_secrets(cls, secrets: list[SecretStr] | None) -> list[SecretStr] | None:
        for index, secret in enumerate(secrets or []):
            try:
                decode_secret(secret.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"secrets[{index}] {exc}") from None
        return secrets

    @field_validator("retry_schedule")
    @classmethod
    def _non_negative(cls, delays: list[float]) -> list[float]:
        if any(d < 0 for d in delays):
            raise ValueError("delays must be >= 0 seconds")
        return delays

    @model_validator(mode="after")
    def _one_kind_of_secret(self) -> Self:
        if (self.secret is None) == (self.secrets is None):
            raise ValueError(f"endpoint {self.name!r}: set either 'secret' or 'secrets'")
        return self

    def keys(self) -> list[bytes]:
        secrets = self.secrets if self.secrets is not None else [self.secret]
        return [decode_secret(s.get_secret_value()) for s in secrets if s is not None]

    @property
    def handler_timeout(self) -> float:
        """Time a whole delivery may take: every attempt plus the longest waits between."""
        longest_wait = max(self.backoff_max, self.retry_after_max)
        return self.attempts * self.timeout + (self.attempts - 1) * longest_wait + 5.0


class WebhooksConfig(ConfigModel):
    endpoints: list[Endpoint] = Field(default_factory=list)

    @field_validator("endpoints")
    @classmethod
    def _unique_names(cls, endpoints: list[Endpoint]) -> list[Endpoint]:
        names = [e.name for e in endpoints]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"endpoint names must be unique: {', '.join(repeated)}")
        return endpoints
