"""The synthetic population of the identity benchmark, derived from an index alone.

Profile ``i`` has a customer id, a Brazilian mobile number (as a phone and as a WhatsApp
id), an e-mail address and two traits; nothing has to be kept in memory to look one up
later. Indices ``>= profiles`` are numbers the store has never seen (new customers).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

from omnihub_contracts import CloudEvent, EventRegistry

MAX_PROFILES = 50_000_000  # 8 subscriber digits, with room for new numbers above
# An odd 128-bit multiplier is a bijection modulo 2**128: unique ids that are spread over
# the key space like the hub's uuid4 ids (not inserted in order, unlike a counter).
_SPREAD = 0x9E3779B97F4A7C15F39CC0605CEDC835
SEED_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z, long before the benchmark's events


def customer_id(i: int) -> str:
    return f"cus_{(i * _SPREAD) % 2**128:032x}"


def subscriber(i: int) -> str:
    return f"{i:08d}"


def phone_e164(i: int) -> str:
    """As the store keeps it (+55 11 9xxxx-xxxx, normalised)."""
    return f"+55119{subscriber(i)}"


def phone_display(i: int) -> str:
    """As a person or a CRM types it; the service has to normalise it."""
    digits = subscriber(i)
    return f"+55 11 9{digits[:4]}-{digits[4:]}"


def wa_id(i: int) -> str:
    return f"55119{subscriber(i)}"


def email(i: int) -> str:
    # Not example.com: the identifier policy treats those domains as junk.
    return f"p{i}@bench-mail.com.br"


def identifier_rows(i: int) -> list[tuple[str, str, str, float]]:
    cid, at = customer_id(i), SEED_TIME + i % 86_400
    return [
        ("phone", phone_e164(i), cid, at),
        ("whatsapp", wa_id(i), cid, at),
        ("email", email(i), cid, at),
    ]


def trait_rows(i: int) -> list[tuple[str, str, str, str, float, float]]:
    cid, at = customer_id(i), SEED_TIME + i % 86_400
    return [
        (cid, "display_name", json.dumps(f"Cliente {i}"), "whatsapp", at, at),
        (cid, "language", json.dumps("pt-BR"), "crm:hubspot", at, at),
    ]


@dataclass
class EventMix:
    """Shares of a resolution run: ``link`` events join two existing profiles (a merge);
    of the rest, ``new`` are numbers never seen, the others existing WhatsApp customers."""

    profiles: int
    new: float = 0.2
    link: float = 0.0


class EventFactory:
    def __init__(self, registry: EventRegistry, profiles: int, seed: int):
        self.registry = registry
        self.profiles = profiles
        self.rng = random.Random(seed)
        self._fresh = count(profiles)  # never-seen numbers, unique across runs
        self._serial = count()

    def batch(self, total: int, mix: EventMix) -> list[CloudEvent]:
        return [self.one(mix) for _ in range(total)]

    def one(self, mix: EventMix) -> CloudEvent:
        roll = self.rng.random()
        if roll < mix.link:
            a, b = self.rng.sample(range(self.profiles), 2)
            # An e-mail from one profile with the phone of another: one person, two
            # profiles so far. E-mail has the higher priority, so ``a`` survives.
            ids = [{"kind": "email", "value": email(a)}, {"kind": "phone", "value": phone_e164(b)}]
            return self._received("web", ids, None)
        if roll < mix.link + (1 - mix.link) * mix.new:
            i = next(self._fresh)
        else:
            i = self.rng.randrange(self.profiles)
        # What the WhatsApp plugin maps a sender to: whatsapp:<wa_id> and phone:+<wa_id>.
        ids = [{"kind": "whatsapp", "value": wa_id(i)}, {"kind": "phone", "value": f"+{wa_id(i)}"}]
        return self._received("whatsapp", ids, f"Cliente {i}")

    def _received(self, channel: str, ids: list[dict[str, str]], name: str | None) -> CloudEvent:
        n = next(self._serial)
        sender: dict[str, Any] = {"identifiers": ids}
        if name:
            sender["display_name"] = name
        event = CloudEvent.model_validate(
            {
                "source": f"/plugins/{channel}",
                "type": "message.received",
                "channel": channel,
                "time": datetime.now(UTC).isoformat(),
                "data": {
                    "kind": "text",
                    "channel_message_id": f"bench.{n}",
                    "sender": sender,
                    "text": "Olá, tudo bem?",
                },
            }
        )
        return self.registry.type_data(event)


def sample(rng: random.Random, profiles: int, total: int) -> Iterator[int]:
    return (rng.randrange(profiles) for _ in range(total))
