"""The settings every Meta channel shares; each plugin adds the id of its business account."""

from __future__ import annotations

from pydantic import Field, SecretStr

from hub import ConfigModel

MIB = 1024 * 1024
DEFAULT_GRAPH_API_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v25.0"  # released 2026-02-18, available until 2028-07-29


class MetaChannelConfig(ConfigModel):
    app_secret: SecretStr = Field(
        description="The Meta app's secret: signs every webhook (X-Hub-Signature-256)."
    )
    verify_token: SecretStr = Field(
        description="The token you typed in the app dashboard for the subscription handshake."
    )
    access_token: SecretStr = Field(description="A system-user or page token to send messages.")
    graph_api_url: str = Field(
        default=DEFAULT_GRAPH_API_URL, pattern=r"^https?://\S+$", description="Graph API base."
    )
    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^v\d+\.\d+$")
    max_body_bytes: int = Field(default=MIB, gt=0, description="Larger webhooks answer 413.")
    request_timeout: float = Field(default=10.0, gt=0, description="Seconds per Graph API call.")
    send_attempts: int = Field(
        default=4, ge=1, le=10, description="Graph API calls per send before the hub retries."
    )
    backoff_initial: float = Field(default=0.5, ge=0, description="First retry wait, seconds.")
    backoff_max: float = Field(default=8.0, ge=0, description="Longest retry wait, seconds.")

    @property
    def account_id(self) -> str:
        """The business account this hub sends from (phone number, Page or IG account id)."""
        raise NotImplementedError

    @property
    def messages_url(self) -> str:
        return f"{self.graph_api_url.rstrip('/')}/{self.api_version}/{self.account_id}/messages"

    def handler_timeout(self) -> float:
        """Seconds a send may take with every retry: the hub counts longer as a failure."""
        waits = (self.send_attempts - 1) * self.backoff_max
        return self.send_attempts * self.request_timeout + waits + 5.0
