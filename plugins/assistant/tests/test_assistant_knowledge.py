"""Your own knowledge file: loaded, validated with errors that name file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omnihub_assistant import Assistant, AssistantConfig, Knowledge, KnowledgeError
from omnihub_assistant.text import LANGUAGES

OWN = """\
# A bakery's FAQ
entries:
  - id: gluten
    topic: products
    questions:
      pt-BR:
        - Vocês têm pão sem glúten?
        - Tem opção sem glúten?
      en:
        - Do you have gluten-free bread?
    answers:
      pt-BR: Sim, às terças e sextas.
      en: Yes, on Tuesdays and Fridays.
  - id: no
    questions:
      pt:
        - no
        - Vocês entregam no sábado?
    answers:
      pt: Não entregamos aos sábados.
"""


def write(tmp_path: Path, text: str, name: str = "faq.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_knowledge_speaks_pt_es_en_in_every_entry() -> None:
    knowledge = Knowledge.load()

    assert {e.id for e in knowledge.entries} >= {
        "order_status",
        "delivery_time",
        "exchanges_returns",
        "payment_methods",
        "store_hours",
    }
    for entry in knowledge.entries:
        for language in LANGUAGES:
            assert len(entry.questions[language]) >= 5, (entry.id, language)
            assert entry.answers[language].strip(), (entry.id, language)


async def test_own_knowledge_file_from_config(tmp_path: Path) -> None:
    config = AssistantConfig(knowledge_file=write(tmp_path, OWN))
    assistant = Assistant.from_config(config)

    pt = await assistant.answer("tem pao sem gluten?")
    en = await assistant.answer("gluten free bread?")
    es = await assistant.answer("¿Tienen pan sin gluten?")

    assert (pt.entry_id, pt.text) == ("gluten", "Sim, às terças e sextas.")
    assert (en.entry_id, en.text) == ("gluten", "Yes, on Tuesdays and Fridays.")
    # No Spanish answer: the configured default language's, and the answer says so.
    assert (es.entry_id, es.language) == ("gluten", "pt")
    # No "unknown" text in the file: the shipped one.
    unknown = await assistant.answer("Qual é a capital da França?")
    assert unknown.text.startswith("Desculpe")


def test_yes_and_no_stay_text(tmp_path: Path) -> None:
    # Plain YAML 1.1 would read the id `no` and the question "no" as booleans.
    knowledge = Knowledge.load(write(tmp_path, OWN))

    assert knowledge.entry("no").questions["pt"][0] == "no"


def test_json_is_accepted(tmp_path: Path) -> None:
    data = {"entries": [{"id": "a", "questions": {"en": ["hi?"]}, "answers": {"en": "Hi!"}}]}

    knowledge = Knowledge.load(write(tmp_path, json.dumps(data), "faq.json"))

    assert knowledge.entry("a").answers["en"] == "Hi!"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entries: []", r"entries: List should have at least 1 item"),
        (
            "entries:\n  - {id: a, questions: {pt: [oi]}, answers: {en: Hi}}",
            r"entries\.0: Value error, has questions in 'pt' but no answer in it",
        ),
        (
            "entries:\n  - {id: a, questions: {fr: [salut]}, answers: {fr: Salut}}",
            r"entries\.0\.questions: Value error, language 'fr' is not one of pt, es, en",
        ),
        (
            "entries:\n  - {id: a, questions: {pt: [oi]}, answers: {pt: Oi}}\n"
            "  - {id: a, questions: {pt: [ola]}, answers: {pt: Olá}}",
            r"\(top level\): Value error, entry id 'a' is used twice",
        ),
        (
            "entries:\n  - {id: a, questions: {pt: []}, answers: {pt: Oi}}",
            r"entries\.0: Value error, has no questions",
        ),
        (
            "entries:\n  - {id: a, question: {}}",
            r"entries\.0\.questions: Field required \(and 2 more\)",
        ),
        (
            "entries:\n  - {id: Order-Status, questions: {pt: [oi]}, answers: {pt: Oi}}",
            r"entries\.0\.id: String should match pattern",
        ),
        ("entries: [", r"faq\.yaml: while parsing"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(KnowledgeError, match=message) as error:
        Knowledge.load(path)
    assert str(path) in str(error.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"missing\.yaml: .*No such file"):
        Knowledge.load(tmp_path / "missing.yaml")
