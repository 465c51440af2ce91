"""Match a customer's question to the knowledge file's question paraphrases.

TF-IDF cosine similarity over two views of the content words (stopwords removed):
Snowball stems, so inflections meet ("entregam"/"entrega"), and character trigrams, so a
word typed with a slip still shares most of its trigrams; a word one typo away from a
knowledge word also counts half as that word (``typos``). Question words weigh half: they
say what kind of answer is wanted, not what about. Cosine lies in [0, 1] by construction
and words the knowledge never uses count against the match; ``confidence`` turns the
scores into a probability. An entry scores its best paraphrase in any language: a Spanish
question may meet a Portuguese one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .knowledge import Knowledge
from .text import Language, question_words, stem, stopwords, words
from .typos import Speller

WORD_WEIGHT = 0.5  # the rest goes to character trigrams
# A question is compared with each paraphrase and with the entry as a whole (all its
# paraphrases in that language together), half and half: a long paraphrase that shares the
# telling word ("factura") then beats a short one that only shares the frame ("dónde está").
ENTRY_WEIGHT = 0.5
TYPO_SHARE = 0.5  # how much of a corrected word still counts as the word typed
QUESTION_WORD_WEIGHT = 0.5
# Platt scaling of (best score, its lead over the runner-up) into the probability that the
# best entry answers the question: a logistic regression (L2, lambda 3e-4) fitted on held-out
# questions for the shipped knowledge (tests/fixtures/questions.json), paraphrases that
# found their entry against unrelated questions: -3.6, 13.1, 6.7. The intercept is set a
# little lower, to -3.9: a wrong answer costs more than an "I don't know" that brings in a
# person. 0.5 falls between paraphrases and unrelated questions.
_INTERCEPT, _SCORE, _LEAD = -3.9, 13.0, 7.0

Vector = dict[str, float]
Counts = dict[str, float]  # feature -> (weighted) count


@dataclass(frozen=True)
class Hit:
    entry_id: str
    score: float  # similarity, 0..1; not a probability (see ``confidence``)


def confidence(hits: Sequence[Hit], rivals_from: int = 1) -> float:
    """Probability (0..1) that ``hits[0]`` answers the question.

    The lead is taken over ``hits[rivals_from]``: 1 when only the best entry will be
    shown; more when a reader (an LLM) sees the first ``rivals_from`` entries and picks.
    """
    if not hits:
        return 0.0
    best = hits[0].score
    rival = hits[rivals_from].score if len(hits) > rivals_from else 0.0
    z = _INTERCEPT + _SCORE * best + _LEAD * (best - rival)
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class _Vectors:
    stems: Vector
    trigrams: Vector

    def similarity(self, other: _Vectors) -> float:
        return WORD_WEIGHT * _cosine(self.stems, other.stems) + (1 - WORD_WEIGHT) * _cosine(
            self.trigrams, other.trigrams
        )


_Features = tuple[Counts, Counts]


class FaqIndex:
    def __init__(self, knowledge: Knowledge) -> None:
        self._vocabulary: dict[Language, Counter[str]] = {}
        paraphrases: list[tuple[Language, str, _Features]] = []
        whole: dict[tuple[Language, str], _Features] = {}
        for entry in knowledge.entries:
            for language, questions in entry.questions.items():
                vocabulary = self._vocabulary.setdefault(language, Counter())
                entry_stems, entry_trigrams = whole.setdefault(
                    (language, entry.id), (defaultdict(float), defaultdict(float))
                )
                for question in questions:
                    content = _content(language, words(question))
                    vocabulary.update(content)
                    stems_, trigrams = _features(language, content)
                    _add(entry_stems, stems_)
                    _add(entry_trigrams, trigrams)
                    paraphrases.append((language, entry.id, (stems_, trigrams)))
        # Document frequency over (language, entry) groups, not single paraphrases: a word
        # every paraphrase of one entry repeats ("pedido") is that entry's strongest cue.
        df = Counter(f for stems_, trigrams in whole.values() for f in (*stems_, *trigrams))
        self._groups = len(whole)
        self._idf = {f: self._idf_of(n) for f, n in df.items()}
        self._paraphrases: dict[Language, list[tuple[str, _Vectors]]] = {}
        for language, entry_id, features in paraphrases:
            self._paraphrases.setdefault(language, []).append((entry_id, self._vectors(features)))
        self._entries: dict[Language, dict[str, _Vectors]] = {}
        for (language, entry_id), features in whole.items():
            self._entries.setdefault(language, {})[entry_id] = self._vectors(features)
        self._spellers = {lang: Speller(vocab) for lang, vocab in self._vocabulary.items()}

    def search(self, text: str, limit: int = 4) -> list[Hit]:
        """The best ``limit`` entries for ``text``, best first (entries scoring 0 left out)."""
        folded = words(text)
        best: dict[str, float] = {}
        for language, paraphrases in self._paraphrases.items():
            typed = _content(language, folded)
            if not typed:
                continue
            query = self._vectors(
                (self._typed_stems(language, typed), _trigrams_of(language, typed))
            )
            as_entry = {e: query.similarity(v) for e, v in self._entries[language].items()}
            for entry_id, vectors in paraphrases:
                score = (1 - ENTRY_WEIGHT) * query.similarity(vectors)
                score += ENTRY_WEIGHT * as_entry[entry_id]
                if score > best.get(entry_id, 0.0):
                    best[entry_id] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [Hit(entry_id, min(1.0, score)) for entry_id, score in ranked[:limit]]

    def _idf_of(self, df: int) -> float:
        return math.log((1 + self._groups) / (1 + df)) + 1.0

    def _vectors(self, features: _Features) -> _Vectors:
        return _Vectors(self._vector(features[0]), self._vector(features[1]))

    def _vector(self, counts: Counts) -> Vector:
        # Unknown features get the highest idf: words the knowledge never uses weigh
        # against the match rather than vanishing from it.
        unseen = self._idf_of(0)
        weights = {f: _tf(n) * self._idf.get(f, unseen) for f, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {f: w / norm for f, w in weights.items()} if norm else {}

    def _typed_stems(self, language: Language, typed: list[str]) -> Counts:
        """Stems of the customer's words; a word one typo away from a knowledge word counts
        half as itself, half as that word. With trigrams taken from the typed words, a real
        typo still matches well while a different word read as one cannot make a strong
        match on its own."""
        found: Counts = defaultdict(float)
        speller = self._spellers[language]
        for word in typed:
            fixed = speller.correct(word)
            weight = _weight(language, word)
            if fixed == word:
                found[stem(language, word)] += weight
            else:
                found[stem(language, word)] += weight * TYPO_SHARE
                found[stem(language, fixed)] += weight * (1 - TYPO_SHARE)
        return found


def _content(language: Language, folded: Iterable[str]) -> list[str]:
    skip = stopwords(language)
    return [w for w in folded if w not in skip]


def _features(language: Language, content: list[str]) -> _Features:
    stems_: Counts = defaultdict(float)
    for word in content:
        stems_[stem(language, word)] += _weight(language, word)
    return stems_, _trigrams_of(language, content)


def _add(total: Counts, more: Counts) -> None:
    for feature, count in more.items():
        total[feature] += count


def _trigrams_of(language: Language, content: list[str]) -> Counts:
    found: Counts = defaultdict(float)
    for word in content:
        weight = _weight(language, word)
        for gram in _trigrams(word):
            found[gram] += weight
    return found


def _weight(language: Language, word: str) -> float:
    """Question words say what kind of answer is wanted, not what about: half weight."""
    return QUESTION_WORD_WEIGHT if word in question_words(language) else 1.0


def _tf(count: float) -> float:
    """Sublinear term frequency; a fractional count (a corrected typo) weighs less."""
    return 1 + math.log(count) if count >= 1 else count


def _trigrams(word: str) -> Iterator[str]:
    padded = f" {word} "
    for i in range(len(padded) - 2):
        yield padded[i : i + 3]


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(f, 0.0) for f, w in a.items())
