"""Reading a 0-10 score out of a free-text reply, without ever guessing.

A reply yields a score only when every score form in it names the same value: "nota nove,
mas demorou" is 9, "8/10" is 8, "🔟" is 10; "8 ou 9", "8,5" or "acho que uns 7 ou 8" are
ambiguous (the caller asks once more). Numbers that cannot be scores (order numbers, times,
dates, 11+) are ignored. Weak number words that are also articles ("um", "uma", "one",
"uno", Portuguese "dos" = "of the") count only after a cue ("nota um") or alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

NUMBER_WORDS = {
    # pt
    "zero": 0, "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5,
    "seis": 6, "sete": 7, "oito": 8, "nove": 9, "dez": 10,
    # es
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "cuatro": 4, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10,
    # en
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}  # fmt: skip
# Also articles ("um", "one"), "of the" (pt "dos") or "no" ("zero problemas"): these count
# only after a cue ("nota um"), before "de 10", or alone.
WEAK_WORDS = frozenset({"um", "uma", "uno", "una", "one", "dos", "zero", "cero"})
CUES = frozenset(
    {"nota", "score", "rating", "rate", "puntuacion", "puntaje", "calificacion", "give", "dou",
     "doy", "daria", "dei", "di", "gave"}
)  # fmt: skip
SCALE_OF = frozenset({"de", "of", "sobre", "em", "en"})  # "8 de 10", "8 out of 10"
# A number before one of these counts something else: "demorou 5 dias", "R$ 9".
UNITS = frozenset(
    {"dia", "dias", "day", "days", "hora", "horas", "hour", "hours", "h", "min", "mins",
     "minuto", "minutos", "minute", "minutes", "semana", "semanas", "week", "weeks", "mes",
     "meses", "month", "months", "ano", "anos", "year", "years", "vez", "vezes", "veces",
     "times", "reais", "real", "pesos", "dolares", "dollars", "item", "itens", "items",
     "pedido", "pedidos", "order", "orders", "x", "kg", "km", "unidades", "produtos"}
)  # fmt: skip
MONEY = frozenset({"r", "us", "usd", "brl", "rs"})
SCALE_PHRASE = re.compile(
    r"\b(?:0|zero|cero)\s*(?:-|\u2013|\ba\b|\bto\b|\bate\b|\bal\b|\bhasta\b)\s*(?:10|dez|diez|ten)\b"
)  # "de 0 a 10", "0-10": the scale, not an answer
# Replies that only say how the customer feels: an answer, but no score.
FACES = re.compile(r"^[\s\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D!?.]+$")

KEYCAPS = re.compile(r"(?:[0-9]\uFE0F?\u20E3)+")  # "1️⃣0️⃣" is one number: 10
TOKEN = re.compile(r"[0-9]+(?:[.,:/][0-9]+)*|[^\W\d_]+")


class Outcome(StrEnum):
    SCORED = "scored"
    AMBIGUOUS = "ambiguous"  # several values, a decimal, or only a face: ask once more
    NONE = "none"  # no score form: probably not an answer to the survey


@dataclass(frozen=True)
class Reading:
    outcome: Outcome
    score: int | None = None
    candidates: tuple[int, ...] = ()
    has_comment: bool = False  # words beyond the score: the reason came with it


FILLER = frozenset(
    {"nota", "minha", "meu", "eu", "acho", "que", "uns", "umas", "talvez", "ou", "o", "a", "e",
     "my", "i", "think", "maybe", "or", "the", "it", "mi", "yo", "creo", "quizas", "tal", "vez",
     "ok", "okay", "sim", "si", "yes", "obrigado", "obrigada", "gracias", "thanks", "thank",
     "you", "dou", "doy", "give", "de", "of", "out", "sobre", "em", "en", "seria", "would", "be",
     "score", "rating", "puntuacion", "calificacion", "puntaje", "es", "is", "dei", "di", "gave",
     "pra", "para", "voce", "vc", "vcs", "voces", "usted", "ustedes", "le", "lhe", "te", "mas",
     "but", "pero", "uma", "um", "una", "uno", "one", "dos"}
)  # fmt: skip


def normalise(text: str) -> str:
    """Lower case, accents off (canonical decomposition only: '²' stays no digit)."""
    text = KEYCAPS.sub(lambda m: f" {''.join(c for c in m[0] if c.isdigit())} ", text)
    text = text.replace("\U0001f51f", " 10 ")  # 🔟
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return SCALE_PHRASE.sub(" ", plain)


def _number(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def read_score(text: str) -> Reading:
    """The score a reply gives (see the module's doc); never outside 0-10."""
    words = TOKEN.findall(normalise(text))
    values: set[int] = set()
    unsure = False
    used: set[int] = set()  # token positions that are part of a score form
    i = 0
    while i < len(words):
        token = words[i]
        if token[0].isdigit() and not token.isdigit():
            value, fuzzy = _compound(token)
            if value is not None:
                values.add(value)
                used.add(i)
            unsure |= fuzzy
            i += 1
            continue
        value = _number(token)
        if value is None or value > 10:
            i += 1
            continue
        if _counts_something_else(words, i):
            i += 1
            continue
        if token in WEAK_WORDS and not _weak_counts(words, i):
            i += 1
            continue
        values.add(value)
        used.add(i)
        i += 1
        scale = _scale_suffix(words, i)
        used.update(range(i, i + scale))
        i += scale
    if unsure or len(values) > 1:
        return Reading(Outcome.AMBIGUOUS, candidates=tuple(sorted(values)))
    if not values:
        outcome = Outcome.AMBIGUOUS if text.strip() and FACES.match(text) else Outcome.NONE
        return Reading(outcome)
    rest = [w for n, w in enumerate(words) if n not in used and w not in FILLER]
    has_comment = any(len(w) >= 3 and not w.isdigit() for w in rest)
    return Reading(Outcome.SCORED, score=values.pop(), has_comment=has_comment)


def _compound(token: str) -> tuple[int | None, bool]:
    """'8/10' is 8; '8,5' is unsure; times, dates and order numbers are no score."""
    if re.fullmatch(r"[0-9]{1,2}/10", token):
        value = int(token.split("/")[0])
        return (value, False) if value <= 10 else (None, False)
    parts = re.split(r"[.,]", token, maxsplit=1)
    decimal = len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit()
    if decimal and len(parts[1]) <= 2 and int(parts[0]) <= 10:  # "8,5": between two scores
        return None, True
    return None, False


def _weak_counts(words: list[str], i: int) -> bool:
    alone = len(words) == 1
    cued = i > 0 and words[i - 1] in CUES
    return alone or cued or _scale_suffix(words, i + 1) > 0


def _scale_suffix(words: list[str], i: int) -> int:
    """How many tokens from ``i`` say 'out of ten' ("de 10", "out of 10", "sobre diez")."""
    if i + 1 < len(words) and words[i] in SCALE_OF and _number(words[i + 1]) == 10:
        return 2
    if i + 2 < len(words) and words[i : i + 2] == ["out", "of"]:
        return 3 if _number(words[i + 2]) == 10 else 0
    return 0


def _counts_something_else(words: list[str], i: int) -> bool:
    after = words[i + 1] if i + 1 < len(words) else ""
    before = words[i - 1] if i > 0 else ""
    return after in UNITS or before in MONEY
