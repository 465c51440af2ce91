"""Values from webhooks: times in every form Meta uses, and fields that must not sink a message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from omnihub_meta.events import Envelope, event_id, ident, is_phone_digits, slug, timestamp, uri

T = datetime(2023, 10, 11, 16, 53, 43, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1697043223", T),  # WhatsApp: seconds as text
        (1697043223, T),
        (1697043223000, T),  # Messenger: milliseconds
        ("2023-10-11T16:53:43+0000", T),  # Chatwoot's Instagram factories
        ("2023-10-11T16:53:43", None),  # no zone: not a time we can place
        ("yesterday", None),
        (10**30, None),
        (True, None),
        (None, None),
        ({"t": 1}, None),
    ],
)
def test_timestamps(value: Any, expected: datetime | None) -> None:
    assert timestamp(value) == expected


def test_optional_values_are_dropped_not_fatal() -> None:
    assert uri("AD_OR_POST_FB_URL") is None
    assert uri("https://example.com/a b") is None
    assert uri("https://example.com/ad") == "https://example.com/ad"
    assert slug("ad or post") == "ad_or_post"
    assert slug("CELL") == "cell"
    assert slug("123") is None
    assert ident(1895382890692545) == "1895382890692545"
    assert ident(True) is None
    assert is_phone_digits("5511988887777")
    assert not is_phone_digits("US.13491208655302741918")


def test_ids_are_deterministic_per_channel_object() -> None:
    assert event_id("whatsapp", "message:wamid.1") == event_id("whatsapp", "message:wamid.1")
    assert event_id("whatsapp", "message:wamid.1") != event_id("instagram", "message:wamid.1")
    assert Envelope("whatsapp", "1/2 3").source == "/plugins/whatsapp/1%2F2%203"
