"""Property tests: any text, any conversation, and the answer stays well-formed."""

from __future__ import annotations

from typing import Any

from assistant_support import default_knowledge, new_assistant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omnihub_assistant import Answer, Turn
from omnihub_assistant.retrieval import Hit, confidence
from omnihub_assistant.text import LANGUAGES, fold

ASSISTANT = new_assistant()
KNOWLEDGE_QUESTIONS = [
    (entry.id, question)
    for entry in default_knowledge().entries
    for questions in entry.questions.values()
    for question in questions
]
turns = st.builds(Turn, st.sampled_from(["customer", "assistant", "agent"]), st.text(max_size=80))
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def well_formed(answer: Answer) -> None:
    assert 0.0 <= answer.confidence <= 1.0
    assert answer.language in LANGUAGES
    assert answer.text.strip()
    assert answer.engine == "faq"
    assert -1.0 <= answer.signals.sentiment_score <= 1.0
    assert answer.signals.sentiment in ("negative", "neutral", "positive")
    assert answer.known == (answer.confidence >= ASSISTANT.min_confidence)


@PROPERTY
@given(text=st.text(max_size=300), history=st.lists(turns, max_size=4))
async def test_any_unicode_text_is_answered_without_raising(text: str, history: Any) -> None:
    well_formed(await ASSISTANT.answer(text, history=history))


@PROPERTY
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z")),
        max_size=120,
    )
)
async def test_letters_marks_and_emoji_from_any_script(text: str) -> None:
    well_formed(await ASSISTANT.answer(text))


@PROPERTY
@given(
    pick=st.sampled_from(KNOWLEDGE_QUESTIONS), noise=st.sampled_from(["", "!", "?!", " ...", "  "])
)
async def test_case_accents_and_punctuation_do_not_change_the_match(
    pick: tuple[str, str], noise: str
) -> None:
    entry_id, question = pick
    shouted = await ASSISTANT.answer(question.upper() + noise)
    flattened = await ASSISTANT.answer(fold(question))

    assert shouted.entry_id == entry_id
    assert flattened.entry_id == entry_id


@settings(max_examples=500, deadline=None)
@given(scores=st.lists(st.floats(0.0, 1.0), max_size=5), rivals_from=st.integers(1, 4))
def test_confidence_is_a_probability(scores: list[float], rivals_from: int) -> None:
    hits = [Hit(str(i), s) for i, s in enumerate(sorted(scores, reverse=True))]

    assert 0.0 <= confidence(hits, rivals_from) <= 1.0


async def test_a_huge_message_is_read_up_to_its_first_4096_characters() -> None:
    question = "Quero falar com um atendente. "
    early = await ASSISTANT.answer(question + "blá " * 50_000)
    late = await ASSISTANT.answer("blá " * 50_000 + question)

    well_formed(early)
    well_formed(late)
    assert early.signals.human_requested
    assert not late.signals.human_requested
