"""The ``[plugins.assistant]`` table of hub.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, HttpUrl, SecretStr, field_validator

from hub import ConfigModel

from .text import Language, as_language

# Phrases per language; keys may be BCP 47 tags ("pt-BR" counts as "pt").
PhraseLists = dict[Language, list[str]]


def _languages(value: Any) -> Any:
    if isinstance(value, dict):
        return {as_language(str(k)): v for k, v in value.items()}
    return value


class LlmConfig(ConfigModel):
    """An OpenAI-compatible chat completions API (OpenAI, Azure OpenAI, Ollama, vLLM …)."""

    base_url: HttpUrl = Field(
        description="e.g. https://api.openai.com/v1; POST {base_url}/chat/completions."
    )
    model: str = Field(min_length=1, description="Model name as the API knows it.")
    api_key: SecretStr | None = Field(
        default=None, description='Sent as "Authorization: Bearer …"; none for a local server.'
    )
    timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds for a reply, retries included; then the FAQ answers.",
    )
    attempts: int = Field(
        default=3, ge=1, le=10, description="Tries on 429, 5xx and network errors."
    )
    temperature: float = Field(default=0.2, ge=0, le=2)


class SentimentConfig(ConfigModel):
    """Lexicon overrides; each language given replaces the shipped list for it."""

    positive: PhraseLists = Field(default_factory=dict)
    negative: PhraseLists = Field(default_factory=dict)
    negators: PhraseLists = Field(default_factory=dict)
    neutral: PhraseLists = Field(default_factory=dict)

    _keys = field_validator("positive", "negative", "negators", "neutral", mode="before")(
        _languages
    )


class EscalationConfig(ConfigModel):
    """What makes the conversation core hand a conversation to a person.

    A language given replaces the shipped list for that language only; an empty list
    switches it off. A topic name that is not shipped adds a topic.
    """

    human_phrases: PhraseLists = Field(default_factory=dict)
    topics: dict[str, PhraseLists] = Field(default_factory=dict)
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)

    _keys = field_validator("human_phrases", mode="before")(_languages)

    @field_validator("topics", mode="before")
    @classmethod
    def _topic_languages(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {topic: _languages(lists) for topic, lists in value.items()}
        return value


class BotConfig(ConfigModel):
    """When the bot steps aside (each rule can be switched off)."""

    enabled: bool = True
    timeout: float = Field(20.0, gt=0, description="Seconds before a silent bot counts as failed.")
    unknown_answers: int = Field(1, ge=0, description="'I don't know' replies, then a person.")
    max_turns: int = Field(6, ge=0, description="Bot replies without resolution (0: no limit).")
    negative_sentiment: bool = True
    vip_trait: str | None = "tier"
    vip_values: list[str] = ["vip", "gold"]
    handoff: Literal["pass", "offer"] = "pass"


class AssistantConfig(ConfigModel):
    knowledge_file: Path | None = Field(
        default=None, description="Your FAQ (YAML); default: the shipped retail example."
    )
    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="Below this, the answer is an explicit 'I don't know'."
    )
    language: str = Field(
        default="pt-BR", description="Language when a message gives no cue (pt, es or en)."
    )
    llm: LlmConfig | None = Field(default=None, description="Optional; the FAQ engine otherwise.")
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    bot: BotConfig = Field(default_factory=BotConfig, description="Answering conversations.")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        as_language(value)
        return value

    @property
    def default_language(self) -> Language:
        return as_language(self.language)
