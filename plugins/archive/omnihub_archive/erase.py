"""Which archived lines name a customer who asked to be erased."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub import ErasureRequest, json_strings

# An identifier value at least this long also counts when it appears inside a longer string
# (a phone or e-mail quoted in a message text names the customer too); shorter values, such
# as a small CRM id, must match a whole string so they do not erase unrelated lines.
MIN_CONTAINED = 6


@dataclass(frozen=True)
class CustomerLines:
    """``matcher(line)`` is true for a JSON line that names the customer."""

    customer_ids: tuple[str, ...]  # the profile and those merged into it
    values: tuple[str, ...]  # identifier values, case-folded
    needles: tuple[str, ...]  # the values also as they appear JSON-escaped in a line

    @classmethod
    def of(cls, request: ErasureRequest) -> CustomerLines:
        values = tuple(dict.fromkeys(i.value.casefold() for i in request.identifiers if i.value))
        escaped = (json.dumps(v, ensure_ascii=False)[1:-1] for v in values)
        ids = tuple(i for i in request.customer_ids if i)
        return cls(ids, values, tuple(dict.fromkeys((*values, *escaped))))

    def __call__(self, line: bytes) -> bool:
        text = line.decode("utf-8", "replace")
        # Cheap test first: most lines name someone else and are never parsed.
        named = any(i in text for i in self.customer_ids)
        if not named:
            folded = text.casefold()
            if not any(n in folded for n in self.needles):
                return False
        try:
            event = json.loads(text)
        except ValueError:
            return False
        return any(self._names(s) for s in json_strings(event))

    def _names(self, string: str) -> bool:
        if string in self.customer_ids:
            return True
        folded = string.casefold()
        return any(v == folded or (len(v) >= MIN_CONTAINED and v in folded) for v in self.values)
