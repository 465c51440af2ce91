"""Omnihub's Messenger channel: the Facebook Page's conversations on Messenger.

Webhooks and the Send API are the Messenger Platform's, shared with Instagram in
``omnihub_meta``; customers are known by their Page-scoped id (PSID).
"""

from __future__ import annotations

from omnihub_meta import MetaChannelConfig, messaging_plugin
from pydantic import Field

__version__ = "0.1.0"


class MessengerConfig(MetaChannelConfig):
    """The ``[plugins.messenger]`` table of hub.toml."""

    page_id: str = Field(min_length=1, description="The Facebook Page's id.")

    @property
    def account_id(self) -> str:
        return self.page_id


plugin = messaging_plugin(
    "messenger",
    MessengerConfig,
    media_types={"image": "image", "video": "video", "audio": "audio", "document": "file"},
    # An answer to the customer within Messenger's 24-hour standard messaging window.
    messaging_type="RESPONSE",
    version=__version__,
)

__all__ = ["MessengerConfig", "plugin"]
