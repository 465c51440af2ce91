"""The core event families: each ``type`` with its typed ``data`` model and version."""

from __future__ import annotations

from . import consent, conversation, customer, message, order, survey
from .registry import EventRegistry, EventType

RESERVED_NAMESPACES = frozenset(
    {"customer", "consent", "message", "conversation", "survey", "order", "omnihub"}
)
"""First words of ``type`` that only the core may use; a plugin prefixes its own name."""

CORE_EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "customer.identified",
        customer.CustomerIdentified,
        summary="Identifiers seen together belong to one customer.",
    ),
    EventType("customer.updated", customer.CustomerUpdated, summary="Traits of a profile changed."),
    EventType(
        "customer.merged",
        customer.CustomerMerged,
        summary="Profiles were merged into a surviving one.",
    ),
    EventType("customer.unmerged", customer.CustomerUnmerged, summary="A merge was undone."),
    EventType(
        "customer.erasure_requested",
        customer.CustomerErasureRequested,
        summary="Erase the customer everywhere (LGPD Art. 18).",
    ),
    EventType(
        "customer.erased",
        customer.CustomerErased,
        summary="An erasure finished, with a receipt per system.",
    ),
    EventType("consent.granted", consent.ConsentGranted, summary="The customer allowed a purpose."),
    EventType(
        "consent.revoked", consent.ConsentRevoked, summary="The customer withdrew a purpose."
    ),
    EventType(
        "message.received",
        message.MessageReceived,
        summary="A customer sent a message on a channel.",
    ),
    EventType("message.deleted", message.MessageDeleted, summary="A customer unsent a message."),
    EventType(
        "message.send", message.MessageSend, summary="Command: send a message to a customer."
    ),
    EventType("message.sent", message.MessageSent, summary="The channel accepted a message."),
    EventType(
        "message.delivered",
        message.MessageDelivered,
        summary="A message reached the customer's device.",
    ),
    EventType("message.read", message.MessageRead, summary="The customer read a message."),
    EventType(
        "message.failed", message.MessageFailed, summary="A message could not be sent or delivered."
    ),
    EventType(
        "conversation.opened", conversation.ConversationOpened, summary="A conversation began."
    ),
    EventType(
        "conversation.handoff",
        conversation.ConversationHandoff,
        summary="Control passed between bot and human, with context.",
    ),
    EventType(
        "conversation.assigned",
        conversation.ConversationAssigned,
        summary="A conversation was assigned to an agent or team.",
    ),
    EventType(
        "conversation.closed", conversation.ConversationClosed, summary="A conversation ended."
    ),
    EventType(
        "survey.requested",
        survey.SurveyRequested,
        summary="The customer was asked for an NPS score.",
    ),
    EventType(
        "survey.responded", survey.SurveyResponded, summary="The customer gave an NPS score."
    ),
    EventType(
        "survey.detractor", survey.SurveyDetractor, summary="A detractor answered; follow up."
    ),
    EventType("order.placed", order.OrderPlaced, summary="A customer placed an order."),
    EventType("order.updated", order.OrderUpdated, summary="An order changed status or content."),
)


def core_registry() -> EventRegistry:
    """A fresh registry holding the core event types (one per hub; plugins add to it)."""
    return EventRegistry(CORE_EVENT_TYPES)
