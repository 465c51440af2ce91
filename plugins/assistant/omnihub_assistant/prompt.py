"""The chat messages sent to the LLM: a system prompt holding the retrieved FAQ entries,
the conversation so far, and the customer's latest message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .knowledge import Entry
from .llm import Message
from .text import Language

if TYPE_CHECKING:
    from .assistant import Turn

NO_ANSWER = "NO_ANSWER"  # what the model must reply when the entries do not answer
MAX_HISTORY = 10  # earlier turns sent along
LANGUAGE_NAMES: dict[Language, str] = {
    "pt": "Brazilian Portuguese",
    "es": "Spanish",
    "en": "English",
}
ROLES = {"customer": "user", "assistant": "assistant", "agent": "assistant"}

SYSTEM_PROMPT = """\
You are the customer-service assistant of a retail store.
Answer the customer's last message using ONLY the FAQ entries below.
Reply in {language}, briefly and politely, as plain text.
Never invent prices, deadlines, policies, order details or anything else not in the entries.
If the entries do not answer the message, reply exactly {no_answer} and nothing else.

FAQ entries:
{entries}"""


def chat_messages(
    entries: Sequence[Entry],
    history: Sequence[Turn],
    text: str,
    language: Language,
    default_language: Language,
) -> list[Message]:
    blocks = []
    for entry in entries:
        answer, answered_in = entry.answer(language, default_language)
        questions = entry.questions.get(answered_in) or next(iter(entry.questions.values()))
        blocks.append(f"[{entry.id}]\nQ: {questions[0]}\nA: {answer}")
    system = SYSTEM_PROMPT.format(
        language=LANGUAGE_NAMES[language], no_answer=NO_ANSWER, entries="\n\n".join(blocks)
    )
    messages: list[Message] = [{"role": "system", "content": system}]
    for turn in history[-MAX_HISTORY:]:
        messages.append({"role": ROLES[turn.role], "content": turn.text})
    messages.append({"role": "user", "content": text})
    return messages
