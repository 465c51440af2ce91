"""Read a word typed with one slip as the knowledge word it was meant to be.

SymSpell-style: every knowledge word is indexed under itself and each of its one-letter
deletions; a typed word and its deletions look candidates up, and an edit distance confirms
them (one insertion, deletion, substitution or swap of neighbours).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

# Shorter words have too many neighbours one edit away ("signo" is no typo of "sigo"): only
# knowledge words of 5+ letters are targets, typed words of 4+ are looked up ("oder").
MIN_TARGET = 5
MIN_TYPED = 4


class Speller:
    def __init__(self, vocabulary: Counter[str]) -> None:
        """``vocabulary``: the knowledge's words (folded) and how often they occur."""
        self._vocabulary = vocabulary
        self._index: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) >= MIN_TARGET:
                self._index.setdefault(word, set()).add(word)  # the typo was an extra letter
                for deleted in _deletions(word):
                    self._index.setdefault(deleted, set()).add(word)

    def correct(self, word: str) -> str:
        """``word``, or the most frequent knowledge word one typo away from it."""
        if word in self._vocabulary or len(word) < MIN_TYPED:
            return word
        candidates = set(self._index.get(word, ()))
        for deleted in _deletions(word):
            candidates.update(self._index.get(deleted, ()))
        near = [c for c in candidates if one_edit_apart(word, c)]
        return max(near, key=lambda c: (self._vocabulary[c], c)) if near else word


def _deletions(word: str) -> Iterator[str]:
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1 :]
