"""Which of pt, es, en a message is written in.

A word-list detector rather than a general-purpose library: it only has to tell three
languages apart, on messages often a few words long, where general detectors (trained on
longer text in 50+ languages) guess, and lingua's wheel is ~160 MB. Cues: frequent words
exclusive to one language (built-in lists plus the knowledge file's own vocabulary) and
letters only one of them uses (ã õ ç → pt; ñ ¿ ¡ → es). No cue or a tie: the caller's
fallback (the conversation's earlier language, or the configured default).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .text import LANGUAGES, Language, markers, words

_LETTERS: dict[Language, str] = {"pt": "ãõçêôà", "es": "ñ¿¡", "en": ""}


class LanguageDetector:
    def __init__(self, vocabulary: Mapping[Language, Iterable[str]] | None = None) -> None:
        """``vocabulary``: extra texts per language (e.g. the knowledge file's questions)."""
        owners: dict[str, set[Language]] = {}
        for language in LANGUAGES:
            own = set(markers(language))
            for text in (vocabulary or {}).get(language, ()):
                own.update(words(text))
            for word in own:
                owners.setdefault(word, set()).add(language)
        # A word two languages share ("que", "pedido") tells nothing.
        self._cues: dict[str, Language] = {
            word: next(iter(langs)) for word, langs in owners.items() if len(langs) == 1
        }

    def scores(self, text: str) -> Counter[Language]:
        found: Counter[Language] = Counter()
        for word in words(text):
            language = self._cues.get(word)
            if language is not None:
                found[language] += 1
        lowered = text.lower()
        for language, letters in _LETTERS.items():
            found[language] += sum(lowered.count(letter) for letter in letters)
        return found

    def guess(self, text: str) -> Language | None:
        """The language with the most cues; None when there is none or a tie."""
        ranked = self.scores(text).most_common(2)
        if not ranked or ranked[0][1] <= 0:
            return None
        if len(ranked) == 2 and ranked[1][1] == ranked[0][1]:
            return None
        return ranked[0][0]

    def detect(self, text: str, fallback: Language) -> Language:
        return self.guess(text) or fallback
