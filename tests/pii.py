"""The personal data the test suite uses, and a scanner that finds it in log lines.

``tests/conftest.py`` records every log line of the run and fails the session when one of
these needles shows up (issue 5: no phone, e-mail, name or message text in a log line).
Needles come from the JSON fixtures (values under ``PII_KEYS``) and from ``KNOWN``; a test
that invents personal data elsewhere adds it with ``register(...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PII_KEYS = frozenset(
    {
        "from", "wa_id", "phone", "phone_number", "email", "name", "display_name",
        "first_name", "last_name", "username", "text", "body", "caption", "comment",
    }
)  # fmt: skip
FIXTURE_GLOBS = ("tests/fixtures/**/*.json", "plugins/*/tests/fixtures/**/*.json")
# Personal data used by tests outside the fixture files.
KNOWN: set[str] = {
    "+55 11 99999-9999",
    "5511988887777",
    "maria.silva@example.com",
    "Maria Silva",
    "João Pereira",
    "Quero saber do meu pedido, por favor",
}
# Fixture values under PII_KEYS that are not personal (generic words a log may contain).
# Fixture words that name no person: the Typeform sample's form variable is the vendor's
# own name, which is in every webhook URL logged.
NOT_PERSONAL: set[str] = {"typeform"}
_SLUG = re.compile(r"[a-z0-9_.\-]+")  # "name": "hello_world" is a template, not a person
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-]+")


def register(*values: str) -> None:
    """Treat ``values`` as personal data for the end-of-session log scan."""
    KNOWN.update(values)


@dataclass(frozen=True)
class Needle:
    value: str
    kind: str  # phone | email | text
    origin: str
    pattern: re.Pattern[str]

    def masked(self) -> str:
        """Enough to find the fixture, too little to print the data."""
        v = self.value
        return f"{v[:2]}{'*' * max(len(v) - 4, 1)}{v[-2:]}" if len(v) > 4 else "*" * len(v)


def make_needle(value: str, origin: str) -> Needle | None:
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if _PHONE_LIKE.fullmatch(value) and len(digits) >= 8:
        # National formats drop the country code, so match the last 10 digits with any
        # separators between them: 5511999999999 also finds "(11) 99999-9999".
        core = digits[-10:]
        body = r"[\s().\-]*".join(core)
        return Needle(value, "phone", origin, re.compile(body + r"(?!\d)"))
    if len(value) < 3 or value in NOT_PERSONAL:
        return None
    if "@" in value:
        local, _, domain = value.partition("@")
        body = re.escape(local) + "(?:@|%40)" + re.escape(domain)
        return Needle(value, "email", origin, re.compile(body, re.IGNORECASE))
    # The JSON renderer may escape non-ASCII and quotes: look for every spelling.
    spellings = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    body = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
    return Needle(value, "text", origin, re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE))


def _walk(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k).lower())
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    elif (
        isinstance(value, str)
        and key in PII_KEYS
        and not (key == "name" and _SLUG.fullmatch(value))
    ):
        yield value


def harvest(root: Path) -> list[Needle]:
    """Needles from the JSON fixtures below ``root`` and from ``KNOWN``."""
    found: dict[str, Needle] = {}
    for pattern in FIXTURE_GLOBS:
        for path in sorted(root.glob(pattern)):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not our job to validate fixtures
            for value in _walk(data):
                needle = make_needle(value, str(path.relative_to(root)))
                if needle is not None:
                    found.setdefault(needle.value, needle)
    for value in sorted(KNOWN):
        needle = make_needle(value, "tests/pii.py")
        if needle is not None:
            found.setdefault(needle.value, needle)
    return list(found.values())


@dataclass(frozen=True)
class Hit:
    line: int  # 1-based position in the captured log
    column: int
    needle: Needle


def scan(lines: Sequence[str], needles: Sequence[Needle]) -> list[Hit]:
    if not needles:
        return []
    # One combined search per line; only a line that matches is searched needle by needle.
    anything = re.compile("|".join(f"(?:{n.pattern.pattern})" for n in needles), re.IGNORECASE)
    hits = []
    for number, line in enumerate(lines, 1):
        if anything.search(line) is None:
            continue
        for needle in needles:
            match = needle.pattern.search(line)
            if match is not None:
                hits.append(Hit(number, match.start() + 1, needle))
    return hits


def report(lines: Sequence[str], hits: Iterable[Hit], needles: Sequence[Needle]) -> list[str]:
    """Human-readable findings; the printed lines have every needle masked."""
    out = []
    for hit in hits:
        line = lines[hit.line - 1]
        for needle in needles:
            line = needle.pattern.sub(f"[{needle.kind}]", line)
        out.append(
            f"log line {hit.line}, column {hit.column}: {hit.needle.kind} "
            f"{hit.needle.masked()!r} from {hit.needle.origin}\n    {line[:500]}"
        )
    return out
