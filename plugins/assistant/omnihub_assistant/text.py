"""Text normalisation shared by retrieval, language detection and signals.

Everything is accent-folded and case-folded *before* stemming, on both sides (knowledge and
customer text), so "reclamação" and "reclamacao" always meet at the same stem even though
the Snowball stemmers are written for accented text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

import snowballstemmer  # type: ignore[import-untyped]
import yaml

Language = Literal["pt", "es", "en"]
LANGUAGES: tuple[Language, ...] = ("pt", "es", "en")
_SNOWBALL = {"pt": "portuguese", "es": "spanish", "en": "english"}
# Letters and digits of any script; "_" is a separator (it is \w for re).
_WORD = re.compile(r"[^\W_]+")


def as_language(tag: str) -> Language:
    """``"pt-BR"`` → ``"pt"``; ValueError for a language the assistant does not speak."""
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary not in LANGUAGES:
        raise ValueError(f"language {tag!r} is not one of pt, es, en")
    return primary


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``"Não É"`` → ``"nao e"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


@cache
def _stemmer(language: Language) -> Any:
    return snowballstemmer.stemmer(_SNOWBALL[language])


@lru_cache(maxsize=65536)
def stem(language: Language, word: str) -> str:
    """Snowball stem of an already folded word."""
    stemmed: str = _stemmer(language).stemWord(word)
    return stemmed or word


def stems(language: Language, folded_words: Sequence[str]) -> tuple[str, ...]:
    return tuple(stem(language, w) for w in folded_words)


class _Yaml12Loader(yaml.SafeLoader):
    """YAML with only true/false as booleans: word lists hold "no", "on", "si"."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader: no arbitrary objects


def load_data(name: str) -> Any:
    """A YAML file shipped in ``omnihub_assistant/data``."""
    return load_yaml(files("omnihub_assistant").joinpath("data", name).read_text("utf-8"))


@cache
def stopwords(language: Language) -> frozenset[str]:
    lists: dict[str, dict[str, list[str]]] = load_data("language.yaml")
    return frozenset(fold(w) for w in lists[language]["stopwords"])


@cache
def question_words(language: Language) -> frozenset[str]:
    lists: dict[str, dict[str, list[str]]] = load_data("language.yaml")
    return frozenset(fold(w) for w in lists[language]["question_words"])


@cache
def markers(language: Language) -> frozenset[str]:
    """Words typical of ``language``: its markers and stopwords (folded)."""
    lists: dict[str, dict[str, list[str]]] = load_data("language.yaml")
    own = lists[language]
    return frozenset(fold(w) for w in (*own["markers"], *own["stopwords"], *own["question_words"]))
