"""Tagging a comment with themes from a keyword taxonomy (per theme, per language)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .parser import normalise

# A keyword ending in '*' matches the start of a word ("atras*": atraso, atrasou, atrasada).
DEFAULT_THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery_time": {
        "pt": ("atras*", "demor*", "prazo", "lento", "lenta", "nunca chegou"),
        "es": ("retras*", "demor*", "tardo", "tardaron", "lento", "lenta"),
        "en": ("late", "delay*", "slow", "took too long", "took forever"),
    },
    "delivery": {
        "pt": ("entreg*", "frete", "correio*", "transportadora"),
        "es": ("entreg*", "envio*", "paquete*"),
        "en": ("deliver*", "shipping", "courier", "package"),
    },
    "service": {
        "pt": ("atendiment*", "atendente*", "educad*", "grosseir*", "suporte"),
        "es": ("atencion", "atendi*", "servicio", "amable*", "soporte"),
        "en": ("service", "support", "agent", "rude", "helpful", "friendly"),
    },
    "price": {
        "pt": ("preco*", "caro", "cara", "barat*", "valor"),
        "es": ("precio*", "caro", "cara", "barat*"),
        "en": ("price*", "expensive", "cheap*", "cost*"),
    },
    "product": {
        "pt": ("produto*", "qualidade", "quebrad*", "defeit*"),
        "es": ("producto*", "calidad", "roto", "rota", "defect*"),
        "en": ("product*", "quality", "broken", "defect*"),
    },
    "bot": {
        "pt": ("robo", "bot", "automatic*"),
        "es": ("robot", "bot", "automatic*"),
        "en": ("bot", "robot", "automated"),
    },
}


def _pattern(keyword: str) -> str:
    word = re.escape(normalise(keyword.rstrip("*")).strip())
    return rf"\b{word}" if keyword.endswith("*") else rf"\b{word}\b"


class ThemeTagger:
    def __init__(self, taxonomy: Mapping[str, Mapping[str, Sequence[str]]]):
        self.patterns = {
            theme: re.compile("|".join(_pattern(k) for words in langs.values() for k in words))
            for theme, langs in taxonomy.items()
            if any(langs.values())
        }

    def tag(self, text: str) -> list[str]:
        """Themes whose keywords occur, in the taxonomy's order (any language: people mix)."""
        plain = normalise(text)
        return [theme for theme, pattern in self.patterns.items() if pattern.search(plain)]
