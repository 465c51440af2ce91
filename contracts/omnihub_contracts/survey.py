"""``survey.*``: NPS asked in the customer's channel, the answer, and detractor follow-up."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from .common import Agent, Controller, Identifier, LanguageTag, Slug, Text
from .envelope import Contract, NonEmpty

Score = Annotated[int, Field(strict=True, ge=0, le=10, description="NPS answer, 0-10.")]


class NpsCategory(StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"

    @classmethod
    def of(cls, score: int) -> NpsCategory:
        if score >= 9:
            return cls.PROMOTER
        return cls.PASSIVE if score >= 7 else cls.DETRACTOR


class SurveyTrigger(StrEnum):
    CONVERSATION_CLOSED = "conversation_closed"
    ORDER_DELIVERED = "order_delivered"
    ON_DEMAND = "on_demand"


class SurveyRequested(Contract):
    """The hub asked the customer for a score (in the envelope's ``channel``)."""

    survey_id: NonEmpty
    trigger: SurveyTrigger
    language: LanguageTag | None = None
    conversation_id: NonEmpty | None = None
    order_id: NonEmpty | None = None
    expires_at: AwareDatetime | None = None


class ScoredAnswer(Contract):
    """An NPS answer; ``category`` always agrees with ``score``."""

    survey_id: NonEmpty | None = Field(
        default=None, description="Absent for answers from external tools nobody requested."
    )
    score: Score
    category: NpsCategory | None = Field(
        default=None,
        validate_default=True,
        description="Derived from score when absent: 9-10 promoter, 7-8 passive, 0-6 detractor.",
    )
    comment: Text | None = None
    themes: list[Slug] = Field(default_factory=list, description="Tags from the taxonomy.")
    conversation_id: NonEmpty | None = None
    resolved_by: Controller | None = Field(default=None, description="Who resolved the case.")
    agent: Agent | None = None

    @field_validator("category")
    @classmethod
    def _category_of_score(
        cls, category: NpsCategory | None, info: ValidationInfo
    ) -> NpsCategory | None:
        score = info.data.get("score")
        if score is None:  # the score itself was invalid and is reported on its own
            return category
        if category is not None and category != NpsCategory.of(score):
            raise ValueError(f"score {score} is a {NpsCategory.of(score)}, not a {category}")
        return NpsCategory.of(score)


class SurveyResponded(ScoredAnswer):
    """The customer answered (in our channel or an external tool such as Typeform)."""

    identifiers: list[Identifier] = Field(
        default_factory=list,
        max_length=20,
        description="The respondent as an external tool knows them (e-mail, hidden fields), "
        "when it cannot state the customerid.",
    )
    tool: Slug | None = Field(default=None, description="typeform, formbricks … (none: ours).")


class SurveyDetractor(ScoredAnswer):
    """A detractor answered: CRMs and a human follow up (``follow_up_conversation_id``)."""

    score: Annotated[int, Field(strict=True, ge=0, le=6, description="A detractor's: 0-6.")]
    follow_up_conversation_id: NonEmpty | None = None
