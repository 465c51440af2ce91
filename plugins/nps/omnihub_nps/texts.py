"""What the customer reads, per language, and the channel's native form of the question.

0-10 needs 11 choices. WhatsApp shows at most 3 reply buttons and 10 list rows in total
(Cloud API), so an 11-row list is refused: WhatsApp gets the question as text, and the
reply parser reads digits, words and keycap emoji. Messenger and Instagram quick replies
take up to 13 options (``choice_limits``), so there 0-10 are buttons. Elsewhere: text.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("pt-BR", "es", "en")

TEXTS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "question": "De 0 a 10, o quanto você recomendaria a gente para um amigo ou familiar?",
        "hint": "Responda com um número de 0 a 10.",
        "follow_up": "Obrigado! O que mais pesou na sua nota?",
        "clarify": "Só para confirmar: qual é a sua nota? Um número só, de 0 a 10.",
        "thanks": "Obrigado pela resposta!",
    },
    "es": {
        "question": "Del 0 al 10, ¿qué tan probable es que nos recomiendes a un amigo o familiar?",
        "hint": "Responde con un número del 0 al 10.",
        "follow_up": "¡Gracias! ¿Qué fue lo que más influyó en tu nota?",
        "clarify": "Solo para confirmar: ¿cuál es tu nota? Un solo número, del 0 al 10.",
        "thanks": "¡Gracias por tu respuesta!",
    },
    "en": {
        "question": "From 0 to 10, how likely are you to recommend us to a friend or family?",
        "hint": "Reply with a number from 0 to 10.",
        "follow_up": "Thank you! What mattered most for your score?",
        "clarify": "Just to be sure: what is your score? One number from 0 to 10, please.",
        "thanks": "Thanks for your answer!",
    },
}


def language_of(tag: str | None, default: str) -> str:
    """pt-BR, es or en from a BCP 47 tag (``pt``, ``es-AR``, ``en_US`` …); else the default."""
    prefix = (tag or "").replace("_", "-").split("-")[0].lower()
    return {"pt": "pt-BR", "es": "es", "en": "en"}.get(prefix, default)


def choice_id(survey_id: str, score: int) -> str:
    return f"nps:{survey_id}:{score}"


def score_of_choice(choice: str, survey_id: str) -> int | None:
    prefix = f"nps:{survey_id}:"
    if choice.startswith(prefix) and choice[len(prefix) :].isdigit():
        score = int(choice[len(prefix) :])
        return score if 0 <= score <= 10 else None
    return None


def question(
    survey_id: str, customer_id: str, language: str, channel: str | None, limits: dict[str, int]
) -> dict[str, Any]:
    """The ``message.send`` data asking for the score."""
    text = TEXTS[language]
    recipient = {"customer_id": customer_id}
    if channel is not None and limits.get(channel, 0) >= 11:
        buttons = [{"id": choice_id(survey_id, n), "title": str(n)} for n in range(11)]
        interactive = {"kind": "buttons", "body": text["question"], "buttons": buttons}
        return {"kind": "interactive", "recipient": recipient, "interactive": interactive}
    body = f"{text['question']}\n{text['hint']}"
    return {"kind": "text", "recipient": recipient, "text": body}


def template_question(customer_id: str, language: str, template: str) -> dict[str, Any]:
    """WhatsApp outside the 24-hour window: the approved template asks instead."""
    return {
        "kind": "template",
        "recipient": {"customer_id": customer_id},
        "template": {"name": template, "language": language},
    }


def plain(customer_id: str, language: str, key: str) -> dict[str, Any]:
    return {"kind": "text", "recipient": {"customer_id": customer_id}, "text": TEXTS[language][key]}
