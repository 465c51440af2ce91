"""Omnihub's canonical contracts: the CloudEvents envelope and the typed data of each event.

Depends on pydantic only, so a connector or CRM team can depend on this alone.
"""

from .catalog import CORE_EVENT_TYPES, RESERVED_NAMESPACES, core_registry
from .common import Identifier
from .envelope import NO_CHANNEL, CloudEvent, new_event_id, utc_now
from .registry import EventRegistry, EventType, FieldError, InvalidEvent

__version__ = "0.1.0"

__all__ = [
    "CORE_EVENT_TYPES",
    "NO_CHANNEL",
    "RESERVED_NAMESPACES",
    "CloudEvent",
    "EventRegistry",
    "EventType",
    "FieldError",
    "Identifier",
    "InvalidEvent",
    "core_registry",
    "new_event_id",
    "utc_now",
]
