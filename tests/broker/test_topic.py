"""Topic matching as RabbitMQ does it, checked by examples and against a regex reference."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.broker.topic import binding_matches, split_words, topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        # RabbitMQ tutorial five
        ("*.orange.*", "quick.orange.rabbit", True),
        ("*.*.rabbit", "quick.orange.rabbit", True),
        ("lazy.#", "lazy.orange.elephant", True),
        ("*.orange.*", "quick.brown.fox", False),
        ("lazy.#", "lazy.orange.male.rabbit", True),
        ("*.orange.*", "orange", False),
        ("*.orange.*", "quick.orange.male.rabbit", False),
        # ``#`` takes zero words, wherever it stands
        ("lazy.#", "lazy", True),
        ("#.a", "a", True),
        ("a.#.b", "a.b", True),
        ("a.#.b", "a.x.y.b", True),
        ("#.#", "", True),
        ("#.*", "", False),
        ("#.*", "a", True),
        ("*.#.*", "a", False),
        ("*.#.*", "a.b", True),
        # the empty key has no words; other keys may have empty words
        ("#", "", True),
        ("*", "", False),
        ("", "", True),
        ("", "a", False),
        ("*", ".", False),
        ("*.*", ".", True),
        ("a.*", "a.", True),
        ("a.*.b", "a..b", True),
        ("a..b", "a..b", True),
        # a wildcard only as a whole word
        ("a*", "ab", False),
        ("a*", "a*", True),
        ("message.#", "message.received.whatsapp", True),
        ("message.received.*", "message.received.whatsapp.extra", False),
    ],
)
def test_examples(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def test_words() -> None:
    assert split_words("") == ()
    assert split_words("a") == ("a",)
    assert split_words("a..b.") == ("a", "", "b", "")


def test_direct_and_fanout() -> None:
    assert binding_matches("direct", "a.*", "a.*")
    assert not binding_matches("direct", "a.*", "a.b")
    assert binding_matches("fanout", "anything", "")
    assert binding_matches("topic", "a.*", "a.b")


def reference_matches(pattern: str, key: str) -> bool:
    """Independent model: each word becomes ``word\\0`` and the pattern a regex over that."""
    key_words = key.split(".") if key else []
    pattern_words = pattern.split(".") if pattern else []
    subject = "".join(f"{word}\0" for word in key_words)
    parts = {"*": "[^\0]*\0", "#": "(?:[^\0]*\0)*"}
    regex = "".join(parts.get(word, re.escape(word) + "\0") for word in pattern_words)
    return re.fullmatch(regex, subject) is not None


WORD = st.sampled_from(["", "a", "b", "ab", "*", "#", "a*", "#b"])


def dotted(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(words, max_size=7).map(".".join)


@given(pattern=dotted(WORD), key=dotted(WORD))
def test_agrees_with_the_regex_reference(pattern: str, key: str) -> None:
    assert topic_matches(pattern, key) is reference_matches(pattern, key)


@given(pattern=dotted(WORD), key=dotted(WORD))
def test_a_pattern_without_wildcards_matches_only_itself(pattern: str, key: str) -> None:
    literal = pattern.replace("#", "x").replace("*", "y")
    assert topic_matches(literal, key) is (literal == key)
