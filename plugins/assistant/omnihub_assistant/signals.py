"""Signals for the conversation core: does the customer want a person, how do they feel,
does the message touch a topic that always goes to people (complaint, cancellation, legal).

Phrases are matched word by word after folding and stemming, so accents, case and
inflections do not matter ("Quero falar com as ATENDENTES" finds "atendente").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .config import EscalationConfig, PhraseLists
from .text import LANGUAGES, Language, fold, load_data, stems, words

Sentiment = Literal["negative", "neutral", "positive"]
NEGATION_WINDOW = 3  # words before a sentiment word that a negator reaches
# Missing an unhappy customer costs more than a false alarm: negative words weigh more.
NEGATIVE_WEIGHT = 1.5
NEGATED_NEGATIVE = 0.5


@dataclass(frozen=True)
class Signals:
    human_requested: bool = False
    sentiment: Sentiment = "neutral"
    sentiment_score: float = 0.0  # -1 (negative) .. 1 (positive)
    topics: tuple[str, ...] = ()  # sorted names of the topics that go to people


class Phrases:
    """Phrases per language, each a sequence of stems."""

    def __init__(self, lists: Mapping[Language, Iterable[str]]) -> None:
        self._phrases: dict[Language, list[tuple[str, ...]]] = {}
        for language, phrases in lists.items():
            stemmed = [stems(language, words(p)) for p in phrases]
            self._phrases[language] = [p for p in stemmed if p]

    def spans(self, language: Language, text_stems: tuple[str, ...]) -> list[tuple[int, int]]:
        """(start, end) of every occurrence in ``text_stems`` (stemmed in ``language``)."""
        found = []
        for phrase in self._phrases.get(language, ()):
            n = len(phrase)
            for start in range(len(text_stems) - n + 1):
                if text_stems[start : start + n] == phrase:
                    found.append((start, start + n))
        return found

    def languages(self) -> list[Language]:
        return [lang for lang, phrases in self._phrases.items() if phrases]


@dataclass(frozen=True)
class SignalRules:
    """The word lists: the shipped ones with hub.toml's replacements applied."""

    human: PhraseLists
    topics: dict[str, PhraseLists]
    positive: PhraseLists
    negative: PhraseLists
    negators: PhraseLists
    neutral: PhraseLists
    positive_symbols: tuple[str, ...] = ()
    negative_symbols: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: EscalationConfig | None = None) -> SignalRules:
        config = config or EscalationConfig()
        shipped: dict[str, Any] = load_data("signals.yaml")
        sentiment = shipped["sentiment"]
        own = config.sentiment
        topics = {name: _lists(lists) for name, lists in shipped["topics"].items()}
        for name, lists in config.topics.items():
            topics[name] = {**topics.get(name, {}), **lists}
        return cls(
            human={**_lists(shipped["human_requested"]), **config.human_phrases},
            topics=topics,
            positive={**_lists(sentiment["positive"]), **own.positive},
            negative={**_lists(sentiment["negative"]), **own.negative},
            negators={**_lists(sentiment["negators"]), **own.negators},
            neutral={**_lists(sentiment["neutral"]), **own.neutral},
            positive_symbols=tuple(sentiment["positive_symbols"]),
            negative_symbols=tuple(sentiment["negative_symbols"]),
        )


def _lists(raw: Mapping[str, Iterable[Any]]) -> PhraseLists:
    return {lang: [str(p) for p in raw.get(lang, ())] for lang in LANGUAGES}


@dataclass
class SignalDetector:
    rules: SignalRules
    _human: Phrases = field(init=False)
    _topics: dict[str, Phrases] = field(init=False)
    _positive: Phrases = field(init=False)
    _negative: Phrases = field(init=False)
    _neutral: Phrases = field(init=False)

    def __post_init__(self) -> None:
        self._human = Phrases(self.rules.human)
        self._topics = {name: Phrases(lists) for name, lists in self.rules.topics.items()}
        self._positive = Phrases(self.rules.positive)
        self._negative = Phrases(self.rules.negative)
        self._neutral = Phrases(self.rules.neutral)
        self._negators = {
            lang: frozenset(fold(w) for w in ws) for lang, ws in self.rules.negators.items()
        }

    def detect(self, text: str, language: Language | None) -> Signals:
        """``language``: the message's language, or None when it gave no cue of one."""
        folded = words(text)
        stemmed = {lang: stems(lang, folded) for lang in LANGUAGES}
        # Every language's phrases, whatever the detected one: "humano" is pt and es, and a
        # short message is often detected as the default language.
        human = any(self._human.spans(lang, stemmed[lang]) for lang in self._human.languages())
        topics = tuple(
            sorted(
                name
                for name, phrases in self._topics.items()
                if any(phrases.spans(lang, stemmed[lang]) for lang in phrases.languages())
            )
        )
        # The message's own language's lexicon ("legal" is praise in pt, a topic in en); with
        # no cue ("horrible!"), the language whose lexicon finds the most.
        candidates = [language] if language is not None else list(LANGUAGES)
        positive, negative = max(
            (self._lexicon(folded, stemmed[lang], lang) for lang in candidates), key=sum
        )
        positive += sum(text.count(s) for s in self.rules.positive_symbols)
        negative += NEGATIVE_WEIGHT * sum(text.count(s) for s in self.rules.negative_symbols)
        total = positive + negative
        score = (positive - negative) / total if total else 0.0
        sentiment: Sentiment = "negative" if score < 0 else "positive" if score > 0 else "neutral"
        return Signals(human, sentiment, score, topics)

    def _lexicon(
        self, folded: list[str], stemmed: tuple[str, ...], language: Language
    ) -> tuple[float, float]:
        """(positive, negative) weight of the sentiment words of ``language``."""
        taken = {i for a, b in self._neutral.spans(language, stemmed) for i in range(a, b)}
        matches = [(a, b, 1.0) for a, b in self._positive.spans(language, stemmed)]
        matches += [(a, b, -NEGATIVE_WEIGHT) for a, b in self._negative.spans(language, stemmed)]
        negators = self._negators.get(language, frozenset())
        positive = negative = 0.0
        for start, end, weight in sorted(matches, key=lambda m: m[0] - m[1]):  # longest first
            if taken.intersection(range(start, end)):
                continue
            taken.update(range(start, end))
            if negators.intersection(folded[max(0, start - NEGATION_WINDOW) : start]):
                # "não gostei" is a complaint; "not bad" is faint praise.
                weight = -NEGATIVE_WEIGHT if weight > 0 else NEGATED_NEGATIVE
            if weight > 0:
                positive += weight
            else:
                negative -= weight
        return positive, negative
