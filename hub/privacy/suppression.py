"""Erased identifiers stay erased: their salted hashes stop the hub re-creating the person.

Only HMAC-SHA256 digests (keyed with ``[privacy] suppression_salt``) of the normalised
``kind:value`` and of ``customer:<id>`` are stored, never a value. The identity stage checks
an event's identifiers and its stated ``customerid`` in the same transaction (after their
locks) that would create or link a profile, so an erasure and a concurrent event for the
same identifiers run one after the other. A ``consent.granted`` carrying a suppressed
identifier lifts the suppression of what it carries: the customer came back and agreed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Literal

from pydantic import SecretStr

from ..identity.policy import Key
from ..store import Tx
from ..store.database import placeholders

LIFTING_TYPE = "consent.granted"
Verdict = Literal["clear", "suppressed", "lifted"]


class Suppression:
    def __init__(self, salt: SecretStr | str):
        secret = salt.get_secret_value() if isinstance(salt, SecretStr) else salt
        self._salt = secret.encode()

    def digest(self, text: str) -> str:
        return hmac.new(self._salt, text.encode(), hashlib.sha256).hexdigest()

    def digests(self, keys: Iterable[Key], customer_ids: Iterable[str] = ()) -> list[str]:
        """Digests of normalised identifiers and of customer ids, without repeats."""
        texts = [*(str(k) for k in keys), *(f"customer:{c}" for c in customer_ids if c)]
        return list(dict.fromkeys(self.digest(t) for t in texts))

    async def add(self, tx: Tx, erasure_id: str, digests: Iterable[str], now: float) -> None:
        await tx.executemany(
            "INSERT INTO suppressed (digest, erasure_id, at) VALUES (?, ?, ?) "
            "ON CONFLICT (digest) DO NOTHING",
            [(d, erasure_id, now) for d in dict.fromkeys(digests)],
        )

    async def matching(self, tx: Tx, digests: list[str]) -> list[str]:
        if not digests:
            return []
        rows = await tx.fetch(
            f"SELECT digest FROM suppressed WHERE digest IN ({placeholders(len(digests))})",
            *digests,
        )
        return [r[0] for r in rows]

    async def check(
        self, tx: Tx, event_type: str, keys: Iterable[Key], stated_id: str | None
    ) -> Verdict:
        """``suppressed`` when the event names an erased person and must be dropped.

        A ``consent.granted`` lifts the suppression of what it names instead (``lifted``)
        and proceeds; so does its stated id (the person may keep their old id).
        """
        found = await self.matching(tx, self.digests(keys, [stated_id] if stated_id else []))
        if not found:
            return "clear"
        if event_type != LIFTING_TYPE:
            return "suppressed"
        await tx.execute(
            f"DELETE FROM suppressed WHERE digest IN ({placeholders(len(found))})", *found
        )
        return "lifted"
