"""Routing-key matching exactly as RabbitMQ's exchanges do it.

Keys and binding patterns are words separated by dots. Words may be empty (``"a..b"`` has
three words, ``"a."`` two), and the empty key has no words at all: RabbitMQ's
``split_topic_key`` treats ``""`` that way, so ``"*"`` does not match it but ``"#"`` does.
In a pattern only a whole word ``*`` (exactly one word) or ``#`` (zero or more words) is
a wildcard; ``"a*"`` is an ordinary word.
"""

from __future__ import annotations

from functools import lru_cache

from .base import ExchangeKind


def split_words(key: str) -> tuple[str, ...]:
    """The words of a routing key or binding pattern."""
    return tuple(key.split(".")) if key else ()


@lru_cache(maxsize=16384)
def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a topic binding ``pattern`` takes a message published with ``routing_key``."""
    # Cached: a hub routes a handful of event types through the same few patterns.
    return _match(split_words(pattern), split_words(routing_key))


def binding_matches(kind: ExchangeKind, pattern: str, routing_key: str) -> bool:
    """Whether a binding of an exchange of ``kind`` takes ``routing_key``."""
    if kind == "fanout":
        return True
    if kind == "direct":
        return pattern == routing_key
    return topic_matches(pattern, routing_key)


def _match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # Glob matching over words, ``*`` as a one-word ``?`` and ``#`` as a many-word ``*``.
    # On a mismatch it is enough to backtrack to the latest ``#`` and let it swallow one
    # more word: an earlier ``#`` could only produce splits the later one also covers.
    p = w = 0
    hash_at = -1  # pattern index of the latest ``#`` seen
    hash_took_to = 0  # words index up to which that ``#`` swallows
    while w < len(words):
        if p < len(pattern) and pattern[p] == "#":
            hash_at, hash_took_to = p, w
            p += 1
        elif p < len(pattern) and pattern[p] in ("*", words[w]):
            p += 1
            w += 1
        elif hash_at >= 0:
            hash_took_to += 1
            p, w = hash_at + 1, hash_took_to
        else:
            return False
    # Words used up: what is left of the pattern must be able to match nothing.
    return all(word == "#" for word in pattern[p:])
