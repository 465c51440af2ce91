"""The assistant: an answer to a customer's message, with how sure it is and the signals the
conversation core needs to hand the conversation to a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import structlog

from .config import AssistantConfig
from .knowledge import Knowledge
from .language import LanguageDetector
from .llm import LlmClient, LlmError
from .prompt import NO_ANSWER, chat_messages
from .retrieval import FaqIndex, Hit, confidence
from .signals import SignalDetector, SignalRules, Signals
from .text import Language

Engine = Literal["faq", "llm"]
LLM_CONTEXT = 3  # FAQ entries the LLM is shown
MAX_CHARS = 4096  # of a message, matched and sent on (WhatsApp's limit for a text)


@dataclass(frozen=True)
class Turn:
    """An earlier message of the conversation."""

    role: Literal["customer", "assistant", "agent"]
    text: str


@dataclass(frozen=True)
class Answer:
    text: str
    language: Language
    confidence: float  # 0..1; below the configured minimum the text is an "I don't know"
    entry_id: str | None  # the FAQ entry answered from; None for "I don't know"
    signals: Signals = field(default_factory=Signals)
    engine: Engine = "faq"

    @property
    def known(self) -> bool:
        """False when the text is the explicit "I don't know" message."""
        return self.entry_id is not None


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        *,
        min_confidence: float = 0.5,
        default_language: Language = "pt",
        rules: SignalRules | None = None,
        llm: LlmClient | None = None,
        log: Any = None,
    ) -> None:
        self.knowledge = knowledge
        self.min_confidence = min_confidence
        self.default_language = default_language
        self.llm = llm
        self.llm_failures = 0  # since start, for hub_health
        self._index = FaqIndex(knowledge)
        self._rules = rules or SignalRules.from_config()
        self._signals = SignalDetector(self._rules)
        vocabulary: dict[Language, list[str]] = {}
        for entry in knowledge.entries:
            for language, questions in entry.questions.items():
                vocabulary.setdefault(language, []).extend(questions)
            for language, answer in entry.answers.items():
                vocabulary.setdefault(language, []).append(answer)
        self._languages = LanguageDetector(vocabulary)
        self._log = log if log is not None else structlog.get_logger("omnihub_assistant")

    @classmethod
    def from_config(cls, config: AssistantConfig, *, log: Any = None) -> Assistant:
        return cls(
            Knowledge.load(config.knowledge_file),
            min_confidence=config.min_confidence,
            default_language=config.default_language,
            rules=SignalRules.from_config(config.escalation),
            llm=LlmClient(config.llm) if config.llm is not None else None,
            log=log,
        )

    async def close(self) -> None:
        if self.llm is not None:
            await self.llm.close()

    async def answer(self, text: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer ``text`` (the customer's latest message); ``history``: earlier turns,
        oldest first. Never raises for odd text; an LLM failure falls back to the FAQ."""
        text = text[:MAX_CHARS]  # no FAQ question is longer; keeps the event loop free
        cue = self._languages.guess(text)
        language = cue or self._history_language(history)
        hits = self._index.search(text)
        signals = self._with_entry_topic(self._signals.detect(text, cue), hits)
        answer = None
        if self.llm is not None:
            answer = await self._ask_llm(self.llm, text, history, language, hits, signals)
        if answer is None:
            answer = self._from_faq(language, hits, signals)
        # Ids, numbers and flags only: the texts are the customer's words.
        self._log.debug(
            "assistant.answered",
            entry_id=answer.entry_id,
            engine=answer.engine,
            language=answer.language,
            confidence=round(answer.confidence, 3),
            human_requested=signals.human_requested,
            sentiment=signals.sentiment,
            topics=list(signals.topics),
        )
        return answer

    def _from_faq(self, language: Language, hits: list[Hit], signals: Signals) -> Answer:
        sure = confidence(hits)
        if not hits or sure < self.min_confidence:
            return self._unknown(language, sure, signals, "faq")
        text, answered_in = self.knowledge.entry(hits[0].entry_id).answer(
            language, self.default_language
        )
        return Answer(text, answered_in, sure, hits[0].entry_id, signals, "faq")

    async def _ask_llm(
        self,
        llm: LlmClient,
        text: str,
        history: Sequence[Turn],
        language: Language,
        hits: list[Hit],
        signals: Signals,
    ) -> Answer | None:
        """The LLM's answer from the best FAQ entries; None to fall back to the FAQ engine."""
        context = hits
        earlier = _last_customer_text(history)
        if earlier and confidence(hits, LLM_CONTEXT) < self.min_confidence:
            # A follow-up ("e para o Nordeste?") is about the question before it.
            with_earlier = self._index.search(f"{earlier}\n{text}")
            if confidence(with_earlier, LLM_CONTEXT) > confidence(hits, LLM_CONTEXT):
                context = with_earlier
        sure = confidence(context, LLM_CONTEXT)
        if not context or sure < self.min_confidence:
            return None  # nothing relevant to ground an answer on: no call, "I don't know"
        entries = [self.knowledge.entry(hit.entry_id) for hit in context[:LLM_CONTEXT]]
        messages = chat_messages(entries, history, text, language, self.default_language)
        try:
            reply = await llm.complete(messages)
        except LlmError as exc:
            self.llm_failures += 1
            self._log.warning("assistant.llm_failed", reason=str(exc), model=llm.config.model)
            return None
        if reply.strip().strip(".\"'`").upper().startswith(NO_ANSWER):
            return self._unknown(language, 0.0, signals, "llm")
        return Answer(reply, language, sure, context[0].entry_id, signals, "llm")

    def _unknown(self, language: Language, sure: float, signals: Signals, engine: Engine) -> Answer:
        text, answered_in = self.knowledge.unknown_text(language, self.default_language)
        return Answer(text, answered_in, min(sure, self.min_confidence), None, signals, engine)

    def _history_language(self, history: Sequence[Turn]) -> Language:
        for turn in reversed(history):
            if turn.role == "customer":
                guess = self._languages.guess(turn.text)
                if guess is not None:
                    return guess
        return self.default_language

    def _with_entry_topic(self, signals: Signals, hits: list[Hit]) -> Signals:
        """Add the matched entry's topic when it is one that goes to people."""
        if not hits or confidence(hits) < self.min_confidence:
            return signals
        topic = self.knowledge.entry(hits[0].entry_id).topic
        if topic in self._rules.topics and topic not in signals.topics:
            return replace(signals, topics=tuple(sorted((*signals.topics, topic))))
        return signals


def _last_customer_text(history: Sequence[Turn]) -> str:
    return next((t.text for t in reversed(history) if t.role == "customer"), "")
