"""The ``[plugins.chatwoot]`` table of hub.toml."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from hub import ConfigModel


class ChatwootConfig(ConfigModel):
    base_url: str = Field(description="Chatwoot's URL, e.g. https://app.chatwoot.com.")
    api_access_token: SecretStr = Field(
        description="An agent's (or admin's) access token from Profile settings."
    )
    account_id: int = Field(ge=1, description="The Chatwoot account the desk lives in.")
    inbox_id: int = Field(ge=1, description="The API channel inbox handoffs arrive in.")
    webhook_token: SecretStr | None = Field(
        default=None,
        description="Shared secret Chatwoot's webhook URL carries (?token=… or the header "
        "X-Omnihub-Token): older Chatwoot versions sign nothing.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="The webhook's signing secret (Chatwoot with X-Chatwoot-Signature).",
    )
    signature_tolerance: float = Field(
        default=300.0, gt=0, description="Seconds X-Chatwoot-Timestamp may be off."
    )
    timeout: float = Field(default=15.0, gt=0, description="Seconds per API request.")
    attempts: int = Field(default=4, ge=1, le=10, description="API attempts per request.")
    backoff_initial: float = Field(default=0.5, ge=0, description="First wait between attempts.")
    backoff_max: float = Field(default=8.0, ge=0, description="Longest wait between attempts.")
    retry_after_max: float = Field(
        default=10.0, ge=0, description="Cap on a Retry-After Chatwoot asks for (seconds)."
    )
    retry_schedule: list[float] = Field(
        default=[10.0, 60.0, 300.0, 1800.0],
        description="The hub's redelivery delays once the attempts failed.",
    )

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return url.rstrip("/")

    @field_validator("webhook_token", "webhook_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters (e.g. `openssl rand -hex 24`)")
        return secret

    @model_validator(mode="after")
    def _webhook_is_authenticated(self) -> Self:
        if self.webhook_token is None and self.webhook_secret is None:
            raise ValueError(
                "set webhook_token (a secret in the webhook URL) or webhook_secret (Chatwoot's "
                "signing secret): the webhook must not accept anyone's requests"
            )
        return self

    @property
    def handler_timeout(self) -> float:
        """Time one event may take: a handoff makes up to five requests, each with all
        attempts and waits."""
        longest_wait = max(self.backoff_max, self.retry_after_max)
        one_request = self.attempts * self.timeout + (self.attempts - 1) * longest_wait
        return 5 * one_request + 5.0

    def account_path(self, path: str) -> str:
        return f"/api/v1/accounts/{self.account_id}{path}"
