"""Omnihub's Instagram channel: Direct messages of an Instagram professional account.

Instagram messaging runs on the Messenger Platform, so webhooks and the Send API are the
shared ones of ``omnihub_meta``; customers are known by their Instagram-scoped id (IGSID).
"""

from __future__ import annotations

from omnihub_meta import MetaChannelConfig, messaging_plugin
from pydantic import Field

__version__ = "0.1.0"


class InstagramConfig(MetaChannelConfig):
    """The ``[plugins.instagram]`` table of hub.toml."""

    ig_id: str = Field(
        min_length=1,
        description="The Instagram professional account's id (IG_ID); with Facebook Login, "
        "the id of the Page linked to it.",
    )

    @property
    def account_id(self) -> str:
        return self.ig_id


# Instagram sends images, videos and audio; documents and stickers have no Send API type.
plugin = messaging_plugin(
    "instagram",
    InstagramConfig,
    media_types={"image": "image", "video": "video", "audio": "audio"},
    version=__version__,
)

__all__ = ["InstagramConfig", "plugin"]
