"""Shared machinery of Omnihub's Meta channel plugins (WhatsApp, Instagram, Messenger).

Not a plugin itself (no entry point): the three channel distributions depend on it.
"""

from .config import MetaChannelConfig
from .events import Envelope, event_id
from .graph import GraphClient, GraphError, TransientGraphError, is_transient_code
from .mapping import Mapper, UnmappedItem, WebhookItem
from .outbound import OUTSIDE_WINDOW, Outbound, SendHandler, Unsendable
from .plugin import MetaChannelPlugin
from .send_api import messaging_plugin
from .signature import SIGNATURE_HEADER, sign, verify

__version__ = "0.1.0"

__all__ = [
    "OUTSIDE_WINDOW",
    "SIGNATURE_HEADER",
    "Envelope",
    "GraphClient",
    "GraphError",
    "Mapper",
    "MetaChannelConfig",
    "MetaChannelPlugin",
    "Outbound",
    "SendHandler",
    "TransientGraphError",
    "UnmappedItem",
    "Unsendable",
    "WebhookItem",
    "event_id",
    "is_transient_code",
    "messaging_plugin",
    "sign",
    "verify",
]
