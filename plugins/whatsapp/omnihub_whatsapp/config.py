"""The ``[plugins.whatsapp]`` table of hub.toml."""

from __future__ import annotations

from omnihub_meta import MetaChannelConfig
from pydantic import Field


class WhatsAppConfig(MetaChannelConfig):
    phone_number_id: str = Field(
        min_length=1, description="The business phone number's id (not the number itself)."
    )

    @property
    def account_id(self) -> str:
        return self.phone_number_id
