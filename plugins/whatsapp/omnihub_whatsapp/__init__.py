"""Omnihub's WhatsApp Cloud API channel: signed webhooks in, Graph API messages out.

The entry point ``whatsapp`` names :data:`plugin`; the shared Meta machinery (signature,
safety net, Graph client, send consumer) is in ``omnihub_meta``.
"""

from __future__ import annotations

from datetime import timedelta

from omnihub_meta import MetaChannelPlugin, Outbound

from .config import WhatsAppConfig
from .inbound import webhook_items
from .outbound import message_body, message_id, pick_recipient

__version__ = "0.1.0"

plugin = MetaChannelPlugin(
    "whatsapp",
    WhatsAppConfig,
    webhook_items,
    Outbound(pick_recipient, message_body, message_id, service_window=timedelta(hours=24)),
    version=__version__,
)

__all__ = ["WhatsAppConfig", "plugin"]
