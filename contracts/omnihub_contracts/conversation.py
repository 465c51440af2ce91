"""``conversation.*``: one conversation per customer across channels, and who controls it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, JsonValue, ValidationInfo, field_validator

from .common import Agent, Amount, Controller, CurrencyCode, LanguageTag, Slug, Text, Title
from .envelope import ChannelName, Contract, NonEmpty
from .message import MessageKind
from .survey import NpsCategory, Score

KNOWN_HANDOFF_REASONS = frozenset(
    {
        "low_confidence",
        "customer_request",
        "negative_sentiment",
        "no_progress",
        "sensitive_topic",
        "vip",
        "bot_failure",
        "detractor_follow_up",
        "offer_timeout",
        "agent_released",
    }
)
"""Reasons the hub itself gives; rules may add more, so ``reason`` is a word, not an enum."""

Confidence = Annotated[float, Field(strict=True, ge=0, le=1)]


class ConversationOpened(Contract):
    """A customer's conversation began; it continues across channels until closed."""

    conversation_id: NonEmpty
    controller: Controller = Field(description="Who answers first.")


class HandoffAction(StrEnum):
    PASS = "pass"
    """Control moves now."""
    OFFER = "offer"
    """Control is offered; it moves on ``accept`` (or falls back when the offer expires)."""
    ACCEPT = "accept"
    RELEASE = "release"
    """A human gives control back, so the bot is never left mute."""


class ProfileSummary(Contract):
    """What the agent may know of the customer (already limited to the agent's purpose)."""

    display_name: Title | None = None
    language: LanguageTag | None = None
    traits: dict[str, JsonValue] = Field(default_factory=dict)
    customer_since: AwareDatetime | None = None


class Author(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    HUMAN = "human"
    SYSTEM = "system"


class TranscriptEntry(Contract):
    at: AwareDatetime
    author: Author
    channel: ChannelName | None = None
    kind: MessageKind | None = None
    text: Text | None = Field(default=None, description="Text or a caption/summary of media.")


class BotUnderstanding(Contract):
    intent: Slug | None = None
    confidence: Confidence | None = None
    summary: Text | None = Field(default=None, description="What the bot understood.")
    attempted: list[Text] = Field(default_factory=list, description="What the bot tried.")
    sentiment: Annotated[float, Field(strict=True, ge=-1, le=1)] | None = None


class OrderSummary(Contract):
    order_id: NonEmpty
    status: Slug
    total: Amount | None = None
    currency: CurrencyCode | None = None
    placed_at: AwareDatetime | None = None


class NpsSummary(Contract):
    score: Score
    category: NpsCategory
    comment: Text | None = None
    responded_at: AwareDatetime | None = None


class HandoffContext(Contract):
    """Everything the next controller needs so the customer never repeats themselves."""

    profile: ProfileSummary = Field(default_factory=ProfileSummary)
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    bot_understanding: BotUnderstanding | None = None
    escalation_reason: Text | None = Field(default=None, description="In words, for people.")
    orders: list[OrderSummary] = Field(default_factory=list)
    last_nps: NpsSummary | None = None


class ConversationHandoff(Contract):
    """Control of a conversation passed (or is offered) between bot and human."""

    conversation_id: NonEmpty
    action: HandoffAction
    from_controller: Controller
    to_controller: Controller
    reason: Slug = Field(description=f"Known: {', '.join(sorted(KNOWN_HANDOFF_REASONS))}.")
    context: HandoffContext | None = Field(
        default=None, validate_default=True, description="Required when a human takes over."
    )
    offer_expires_at: AwareDatetime | None = None

    @field_validator("to_controller")
    @classmethod
    def _moves(cls, to: Controller, info: ValidationInfo) -> Controller:
        if to == info.data.get("from_controller"):
            raise ValueError("must differ from from_controller")
        return to

    @field_validator("context")
    @classmethod
    def _context_for_humans(
        cls, context: HandoffContext | None, info: ValidationInfo
    ) -> HandoffContext | None:
        if context is None and info.data.get("to_controller") == Controller.HUMAN:
            raise ValueError("required when to_controller is 'human'")
        return context


class ConversationAssigned(Contract):
    """A human desk routed the conversation to an agent and/or team."""

    conversation_id: NonEmpty
    agent: Agent | None = None
    team: Title | None = Field(default=None, validate_default=True)

    @field_validator("team")
    @classmethod
    def _someone(cls, team: str | None, info: ValidationInfo) -> str | None:
        if team is None and info.data.get("agent") is None:
            raise ValueError("agent or team is required")
        return team


class ConversationClosed(Contract):
    """The conversation ended; control returns to the bot for the next one."""

    conversation_id: NonEmpty
    resolved_by: Controller = Field(description="none: closed without resolution (timeout …).")
    agent: Agent | None = None
    resolution: Text | None = None
