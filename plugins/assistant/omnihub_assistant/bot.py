"""The assistant at work: it answers the conversations the bot controls and hands the
complex ones to a person, with reasons, so the customer never repeats themselves.

A consumer of ``message.received`` (purposes ``service`` and ``ai_assistant``; it receives
only the text, kind and language, never the phone or the name). It reads the conversation
through ``context.conversations``, so any number of hub processes can run it: the
transcript, not process memory, says how many turns the bot has had.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub import CloudEvent, Consumer, PluginContext

from .assistant import Answer, Assistant, Turn
from .config import BotConfig

NOTICE = {
    "pt": "Vou te passar para uma pessoa da nossa equipe. Ela já vai ver toda a conversa.",
    "es": "Te paso con una persona de nuestro equipo. Ya verá toda la conversación.",
    "en": "I'm passing you to a person from our team. They will see the whole conversation.",
}
FIELDS = ("text", "kind", "sender.language", "media.caption")


def escalation(
    answer: Answer, *, bot_turns: int, unknowns: int, traits: dict[str, Any], config: BotConfig
) -> str | None:
    """Why this conversation should go to a person now (a handoff reason), or None."""
    if answer.signals.human_requested:
        return "customer_request"
    if answer.signals.topics:
        return "sensitive_topic"
    if config.vip_trait and str(traits.get(config.vip_trait, "")).lower() in config.vip_values:
        return "vip"
    if config.negative_sentiment and answer.signals.sentiment == "negative":
        return "negative_sentiment"
    if not answer.known and unknowns >= config.unknown_answers:
        return "low_confidence"
    if config.max_turns and bot_turns >= config.max_turns:
        return "no_progress"
    return None


def understanding(answer: Answer | None, tried: list[str]) -> dict[str, Any]:
    if answer is None:
        return {"summary": "The assistant did not answer in time.", "attempted": tried}
    return {
        "intent": answer.entry_id,
        "confidence": round(answer.confidence, 3),
        "attempted": tried,
        "sentiment": round(answer.signals.sentiment_score, 3),
    }


class Bot:
    def __init__(self, context: PluginContext, config: BotConfig):
        self.context = context
        self.config = config

    @property
    def assistant(self) -> Assistant:
        assistant: Assistant | None = self.context.state.get("assistant")
        if assistant is None:
            raise RuntimeError("the assistant is not started")
        return assistant

    def consumer(self) -> Consumer:
        return Consumer(
            "assistant",
            ("message.received.#",),
            self.handle,
            purposes=("service", "ai_assistant"),
            fields=FIELDS,
            ordered=True,  # a customer's messages one at a time, in order
            timeout=self.config.timeout + 10,
        )

    async def handle(self, event: CloudEvent) -> None:
        conversations = self.context.conversations
        if event.conversationid is None or event.customerid is None:
            return
        conversation = await conversations.get(event.conversationid)
        if conversation is None or conversation["status"] != "open":
            return
        if conversation["controller"] != "bot":
            return  # a person (or nobody) has it: the bot stays quiet
        transcript = await conversations.transcript(event.conversationid)
        history = [_turn(t) for t in transcript[:-1] if t.get("text")]
        bot_said = [str(t["text"]) for t in transcript if t["author"] == "bot" and t.get("text")]
        text = (event.data or {}).get("text") or (event.data or {}).get("media", {}).get("caption")
        try:
            answer = await asyncio.wait_for(
                self.assistant.answer(str(text or ""), history), self.config.timeout
            )
        except Exception as exc:  # never silence: a failing bot hands over
            self.context.log.warning("assistant.failed", error=type(exc).__name__)
            await self._hand_over(event.conversationid, "bot_failure", None, bot_said, "pt")
            return
        unknowns = sum(1 for said in bot_said if said in self._unknown_texts())
        unknowns += 0 if answer.known else 1
        reason = escalation(
            answer,
            bot_turns=len(bot_said),
            unknowns=unknowns,
            traits=await self.context.customers.traits(event.customerid),
            config=self.config,
        )
        if reason is None:
            await conversations.reply(event.conversationid, answer.text)
            return
        await self._hand_over(event.conversationid, reason, answer, bot_said, answer.language)

    async def _hand_over(
        self,
        conversation_id: str,
        reason: str,
        answer: Answer | None,
        tried: list[str],
        language: str,
    ) -> None:
        conversations = self.context.conversations
        await conversations.reply(conversation_id, NOTICE.get(language, NOTICE["pt"]))
        await conversations.handoff(
            conversation_id,
            to="human",
            reason=reason,
            mode=self.config.handoff,
            understanding=understanding(answer, tried),
        )
        self.context.log.info("assistant.handed_over", reason=reason)

    def _unknown_texts(self) -> set[str]:
        unknown = self.assistant.knowledge.unknown
        return set(unknown.values())


def _turn(entry: dict[str, Any]) -> Turn:
    role = {"customer": "customer", "bot": "assistant"}.get(str(entry["author"]), "agent")
    return Turn(role, str(entry["text"]))  # type: ignore[arg-type]
