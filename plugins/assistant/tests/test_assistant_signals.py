"""Escalation signals: the customer asks for a person, their mood, topics that go to people."""

from __future__ import annotations

import pytest
from assistant_support import default_knowledge, new_assistant
from omnihub_assistant import AssistantConfig, EscalationConfig, Knowledge, SignalRules
from omnihub_assistant.signals import SignalDetector
from omnihub_assistant.text import Language

DETECTOR = SignalDetector(SignalRules.from_config())

HUMAN_REQUESTS = [
    ("pt", "quero falar com um atendente"),
    ("pt", "Quero falar com uma pessoa"),
    ("pt", "QUERO FALAR COM UMA PESSOA!!!"),
    ("pt", "humano"),
    ("pt", "Humano, por favor"),
    ("pt", "me passa para as atendentes"),  # plural and feminine: stems meet
    ("pt", "nao quero falar com robo"),
    ("pt", "Não quero falar com robô"),
    ("pt", "tem alguma pessoa de verdade aí?"),
    ("es", "hablar con un agente"),
    ("es", "Quiero hablar con un AGENTE"),
    ("es", "¿Puedo hablar con una persona real?"),
    ("es", "necesito un asesor"),
    ("es", "quiero un humano ya"),
    ("en", "agent"),
    ("en", "I want to talk to a human"),
    ("en", "Representative please"),
    ("en", "can I speak to someone"),
    ("en", "get me a real person"),
]
NOT_HUMAN_REQUESTS = [
    ("pt", "Onde está meu pedido?"),
    ("pt", "Quero falar sobre a entrega"),
    ("pt", "a pessoa que recebe pode ser outra?"),
    ("es", "¿Cuánto cuesta el envío?"),
    ("en", "Where is my order?"),
    ("en", "Can you help me with a return?"),
]


@pytest.mark.parametrize(("language", "text"), HUMAN_REQUESTS)
def test_asking_for_a_person_is_flagged(language: Language, text: str) -> None:
    assert DETECTOR.detect(text, language).human_requested


@pytest.mark.parametrize(("language", "text"), HUMAN_REQUESTS)
def test_asking_for_a_person_is_flagged_whatever_language_was_detected(
    language: Language, text: str
) -> None:
    # A short message is often detected as the default language: phrases of every
    # language are checked.
    assert all(DETECTOR.detect(text, other).human_requested for other in ("pt", "es", "en"))


@pytest.mark.parametrize(("language", "text"), NOT_HUMAN_REQUESTS)
def test_ordinary_questions_do_not_ask_for_a_person(language: Language, text: str) -> None:
    assert not DETECTOR.detect(text, language).human_requested


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("pt", "Péssimo atendimento, estou muito irritado", "negative"),
        ("pt", "pessimo atendimento", "negative"),
        ("pt", "Não gostei do produto", "negative"),
        ("pt", "o produto veio quebrado", "negative"),
        ("pt", "obrigado, mas o produto veio quebrado", "negative"),  # negative weighs more
        ("pt", "Adorei, muito obrigada!", "positive"),
        ("pt", "Excelente atendimento, parabéns", "positive"),
        ("pt", "Bom dia, qual o horário da loja?", "neutral"),  # a greeting is no praise
        ("pt", "Onde está meu pedido?", "neutral"),
        ("pt", "não foi ruim", "positive"),
        ("es", "Pésimo servicio, estoy enojado", "negative"),
        ("es", "No me gustó nada", "negative"),
        ("es", "¡Excelente! Muchas gracias", "positive"),
        ("es", "Buenas tardes, ¿aceptan Pix?", "neutral"),
        ("en", "This is terrible, I am so disappointed", "negative"),
        ("en", "I'm not happy with this", "negative"),
        ("en", "not bad at all", "positive"),
        ("en", "Great service, thank you!", "positive"),
        ("en", "Good morning, where is my order?", "neutral"),
        (None, "horrible!", "negative"),  # no language cue: the lexicon that finds most
        (None, "Péssimo", "negative"),
        (None, "excellent", "positive"),
        ("pt", "😡😡", "negative"),
        ("es", "👍", "positive"),
        ("en", "ok :(", "negative"),
    ],
)
def test_sentiment(language: Language | None, text: str, expected: str) -> None:
    signals = DETECTOR.detect(text, language)

    assert signals.sentiment == expected
    assert -1.0 <= signals.sentiment_score <= 1.0
    assert (signals.sentiment_score < 0, signals.sentiment_score > 0) == (
        expected == "negative",
        expected == "positive",
    )


@pytest.mark.parametrize(
    ("language", "text", "topics"),
    [
        ("pt", "Quero cancelar meu pedido", ("cancellation",)),
        ("pt", "como faço o cancelamento da compra?", ("cancellation",)),
        ("pt", "Vou registrar uma reclamação no Reclame Aqui", ("complaint",)),
        ("pt", "vou no PROCON e vou processar vocês", ("legal",)),
        ("pt", "meu advogado vai entrar em contato", ("legal",)),
        (
            "pt",
            "quero cancelar, isso é um absurdo, vou no procon",
            ("cancellation", "complaint", "legal"),
        ),
        ("pt", "Como funciona o processo de troca?", ()),  # "processo" alone is no lawsuit
        ("pt", "qual o prazo de entrega?", ()),
        ("es", "Quiero cancelar mi pedido", ("cancellation",)),
        ("es", "Quiero poner una queja", ("complaint",)),
        ("es", "Voy a hablar con mi abogado", ("legal",)),
        ("es", "hay mucha demanda hoy?", ()),
        ("en", "Please cancel my order", ("cancellation",)),
        ("en", "I want to file a complaint", ("complaint",)),
        ("en", "I'm going to sue you", ("legal",)),
        ("en", "My lawyer will call you", ("legal",)),
        ("en", "What are your store hours?", ()),
    ],
)
def test_topics_that_go_to_people(language: Language, text: str, topics: tuple[str, ...]) -> None:
    assert DETECTOR.detect(text, language).topics == topics


def test_configured_phrases_replace_a_languages_list_and_leave_the_others() -> None:
    config = EscalationConfig.model_validate(
        {
            "human_phrases": {"pt-BR": ["gerente"]},
            "topics": {"legal": {"en": []}, "fraud": {"pt": ["golpe", "fraude"]}},
            "sentiment": {"negative": {"pt": ["chateado"]}},
        }
    )
    detector = SignalDetector(SignalRules.from_config(config))

    assert detector.detect("quero falar com o gerente", "pt").human_requested
    assert not detector.detect("quero falar com um atendente", "pt").human_requested
    assert detector.detect("hablar con un agente", "es").human_requested  # es untouched
    assert detector.detect("I'm going to sue you", "en").topics == ()  # switched off
    assert detector.detect("vou no procon", "pt").topics == ("legal",)  # pt untouched
    assert detector.detect("isso é um golpe", "pt").topics == ("fraud",)  # a new topic
    assert detector.detect("estou chateado", "pt").sentiment == "negative"


def test_bad_language_in_escalation_config_is_an_error() -> None:
    with pytest.raises(ValueError, match="'fr' is not one of pt, es, en"):
        EscalationConfig.model_validate({"human_phrases": {"fr": ["quelqu'un"]}})


async def test_the_answer_carries_the_signals() -> None:
    answer = await new_assistant().answer("Péssimo! Quero falar com um atendente e cancelar")

    assert answer.signals.human_requested
    assert answer.signals.sentiment == "negative"
    assert answer.signals.topics == ("cancellation",)


async def test_a_matched_entry_whose_topic_goes_to_people_adds_that_topic() -> None:
    data = default_knowledge().model_dump()
    data["entries"].append(
        {
            "id": "cancel_order",
            "topic": "cancellation",
            "questions": {"pt": ["Posso desistir do pedido antes de ele sair?"]},
            "answers": {"pt": "Sim, em Minha Conta > Meus Pedidos."},
        }
    )
    assistant = new_assistant(knowledge=Knowledge.model_validate(data))

    answer = await assistant.answer("posso desistir do pedido antes de sair?")

    assert answer.entry_id == "cancel_order"
    assert answer.signals.topics == ("cancellation",)


def test_default_config_builds_the_shipped_rules() -> None:
    assert SignalRules.from_config(AssistantConfig().escalation) == SignalRules.from_config()
