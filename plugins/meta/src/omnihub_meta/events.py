"""Building canonical events from webhook values: deterministic ids, times, safe field values.

Webhook bodies are the channel's JSON, so every helper here accepts anything and returns a
value the contracts accept, or None: an odd optional field must not cost the whole message.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from omnihub_contracts import CloudEvent, Identifier, utc_now

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_NOT_SLUG = re.compile(r"[^a-z0-9_]+")
_DIGITS = re.compile(r"^\d{4,20}$")
_MS_THRESHOLD = 100_000_000_000  # a Unix time above this is in milliseconds (after 1973)


def event_id(channel: str, key: str) -> str:
    """The same channel object gives the same id, so the hub drops Meta's retries."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:omnihub:{channel}:{key}"))


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def ident(value: Any) -> str | None:
    """An id as text: Meta sends ids as strings, sometimes as numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return text(value)


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def flag(value: Any) -> bool:
    return value is True


def uri(value: Any) -> str | None:
    """An absolute URI, else None (samples carry placeholders such as "AD_OR_POST_FB_URL")."""
    return value if isinstance(value, str) and len(value) <= 4096 and _URI.match(value) else None


def slug(value: Any) -> str | None:
    """A lower-case word of an open vocabulary: "CELL" -> "cell", "ad or post" -> "ad_or_post"."""
    if not isinstance(value, str):
        return None
    word = _NOT_SLUG.sub("_", value.lower()).strip("_")[:60]
    return word if word and word[0].isalpha() else None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def is_phone_digits(value: str) -> bool:
    """A wa_id that is an international number without "+" (not a business-scoped id)."""
    return bool(_DIGITS.match(value))


def timestamp(value: Any) -> datetime | None:
    """Meta's times: Unix seconds or milliseconds (number or digits) or ISO 8601 text."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > _MS_THRESHOLD else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo is not None else None
    except (ValueError, OverflowError, OSError):
        return None
    return None


def identifier(kind: str, value: str | None) -> Identifier | None:
    return Identifier(kind=kind, value=value) if value else None


@dataclass(frozen=True)
class Envelope:
    """Builds the events of one business account: channel, ``source`` and deterministic ids."""

    channel: str
    account: str

    @property
    def source(self) -> str:
        return f"/plugins/{self.channel}/{quote(self.account, safe='')}"

    def event(
        self, type_: str, key: str, data: Any, at: datetime | None = None, **ext: str | None
    ) -> CloudEvent:
        return CloudEvent(
            id=event_id(self.channel, key),
            source=self.source,
            type=type_,
            time=at or utc_now(),
            channel=self.channel,
            data=data,
            **ext,
        )
