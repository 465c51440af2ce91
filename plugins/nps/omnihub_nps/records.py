"""What the plugin remembers: a customer's state as its events told it, and a survey."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

PURPOSE = "surveys"  # the consent purpose the plugin serves

# A survey's life: scheduled → asking (claimed by one hub, question going out) → asked →
# awaiting_reason → responded; or skipped, expired, unscored, merged (the person had
# another survey going when two profiles became one), erased.
PENDING = ("scheduled", "asking", "asked", "awaiting_reason")
ANSWERING = ("asked", "awaiting_reason")


@dataclass
class Survey:
    survey_id: str
    customer_id: str
    trigger: str
    status: str
    due_at: float
    channel: str | None = None
    conversation_id: str | None = None
    order_id: str | None = None
    resolved_by: str | None = None
    agent: str | None = None  # JSON of the contract's Agent
    language: str | None = None
    requested_at: float | None = None
    expires_at: float | None = None
    clarified: int = 0
    score: int | None = None
    comment: str | None = None
    themes: str | None = None  # JSON list
    answer_channel: str | None = None
    reason_due: float | None = None
    responded_at: float | None = None
    question: str | None = None  # JSON of the message.send data, fixed when claimed
    lease_until: float | None = None  # while "asking": when another hub may take over
    reply_id: str | None = None  # the message event that moved the survey last

    @property
    def agent_data(self) -> dict[str, Any] | None:
        return None if self.agent is None else dict(json.loads(self.agent))

    @property
    def theme_list(self) -> list[str]:
        return [] if self.themes is None else list(json.loads(self.themes))

    @property
    def question_data(self) -> dict[str, Any]:
        return {} if self.question is None else dict(json.loads(self.question))

    @property
    def progress(self) -> int:
        """How far a pending survey got: of two, the one further along is kept."""
        return PENDING.index(self.status) if self.status in PENDING else -1


SURVEY_COLUMNS = tuple(f.name for f in fields(Survey))


@dataclass
class CustomerState:
    customer_id: str
    language: str | None = None
    timezone: str | None = None
    last_channel: str | None = None
    open_conversation: str | None = None
    surveys_allowed: int = 0


CUSTOMER_COLUMNS = tuple(f.name for f in fields(CustomerState))[1:]
