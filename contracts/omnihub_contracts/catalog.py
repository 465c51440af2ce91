"""The core event families and their data models (placeholder: being filled in)."""

from __future__ import annotations

from .registry import EventRegistry, EventType

RESERVED_NAMESPACES = frozenset(
    {"customer", "consent", "message", "conversation", "survey", "order", "omnihub"}
)

CORE_EVENT_TYPES: tuple[EventType, ...] = ()


def core_registry() -> EventRegistry:
    """A fresh registry holding the core event types (one per hub; plugins add to it)."""
    return EventRegistry(CORE_EVENT_TYPES)
