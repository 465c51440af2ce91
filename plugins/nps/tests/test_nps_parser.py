"""The reply parser: examples from the issue, and properties over open-ended text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from omnihub_nps.parser import Outcome, read_score
from omnihub_nps.themes import DEFAULT_THEMES, ThemeTagger


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("9", 9),
        ("nota 8", 8),
        ("8/10", 8),
        ("10/10!!", 10),
        ("nove", 9),
        ("Dez", 10),
        ("nine", 9),
        ("diez", 10),
        ("nota três", 3),
        ("0️⃣", 0),
        ("🔟", 10),
        ("1️⃣0️⃣", 10),
        ("8 de 10", 8),
        ("8 out of 10", 8),
        ("de 0 a 10 eu dou 7", 7),
        ("nota um", 1),
        ("dos", 2),
        ("nota nove, mas demorou", 9),
        ("demorou 5 dias, nota 6", 6),
        ("atraso dos correios, nota 6", 6),
    ],
)
def test_scores(text: str, score: int) -> None:
    reading = read_score(text)
    assert (reading.outcome, reading.score) == (Outcome.SCORED, score)


@pytest.mark.parametrize(
    "text", ["8 ou 9", "acho que uns 7 ou 8", "8,5", "7-8", "nota 9, demorou 10 ou 11", "😐"]
)
def test_ambiguous_replies_get_no_score(text: str) -> None:
    reading = read_score(text)
    assert (reading.outcome, reading.score) == (Outcome.AMBIGUOUS, None)


@pytest.mark.parametrize(
    "text", ["oi, quero outro pedido", "pedido 12345", "uma demora", "zero problemas", "às 14:30"]
)
def test_other_messages_are_no_answer(text: str) -> None:
    assert read_score(text).outcome is Outcome.NONE


def test_a_reason_with_the_score_is_a_comment() -> None:
    assert read_score("nota nove, mas demorou").has_comment
    assert not read_score("nota 9").has_comment
    assert not read_score("acho que 9, obrigado").has_comment


@given(st.text(max_size=200))
def test_never_a_score_outside_0_to_10(text: str) -> None:
    reading = read_score(text)
    assert reading.score is None or 0 <= reading.score <= 10
    assert (reading.score is not None) == (reading.outcome is Outcome.SCORED)


FILLER = ["mas", "o", "entrega", "chegou", "bem", "atendimento", "foi", "ótimo", "demorou",
          "the", "delivery", "was", "great", "pero", "llegó", "tarde", "muito", "bom", "!", ",",
          "obrigado", "acho", "que", "very", "good", "😀", "🙏", "...", "?"]  # fmt: skip
FORMS = {
    **{str(n): n for n in range(11)},
    **{f"{n}/10": n for n in range(11)},
    **{f"nota {n}": n for n in range(11)},
    **{f"{n} de 10": n for n in range(11)},
    "nota zero": 0, "nota um": 1, "dois": 2, "três": 3, "quatro": 4, "cinco": 5, "seis": 6,
    "sete": 7, "oito": 8, "nove": 9, "dez": 10, "nota cero": 0, "nota uno": 1, "cuatro": 4,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "one out of 10": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    **{f"{n}\ufe0f\u20e3": n for n in range(10)},
    "\U0001f51f": 10,
}  # fmt: skip


@given(
    st.lists(st.sampled_from(FILLER), max_size=8),
    st.sampled_from(sorted(FORMS)),
    st.lists(st.sampled_from(FILLER), max_size=8),
)
def test_one_unambiguous_score_form_is_read(before: list[str], form: str, after: list[str]) -> None:
    text = " ".join([*before, form, *after])
    reading = read_score(text)
    assert (reading.outcome, reading.score) == (Outcome.SCORED, FORMS[form])


@given(st.sampled_from(range(11)), st.sampled_from(range(11)))
def test_two_different_scores_are_never_guessed(first: int, second: int) -> None:
    reading = read_score(f"{first} ou {second}")
    assert reading.score == (first if first == second else None)


def test_themes_from_the_taxonomy() -> None:
    tagger = ThemeTagger(DEFAULT_THEMES)
    assert tagger.tag("nota nove, mas demorou") == ["delivery_time"]
    assert tagger.tag("O atendimento foi ótimo, mas o preço é caro") == ["service", "price"]
    assert tagger.tag("the package arrived late") == ["delivery_time", "delivery"]
    assert tagger.tag("boa tarde, Carol") == []
