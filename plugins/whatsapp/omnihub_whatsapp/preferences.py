"""WhatsApp marketing preferences (``user_preferences``) -> ``consent.granted`` / ``revoked``.

A customer who stops marketing messages in WhatsApp withdraws the ``marketing`` purpose;
"resume" and a sign-up through a link grant it, with the sign-up id as evidence.
"""

from __future__ import annotations

from typing import Any

from omnihub_contracts import CloudEvent
from omnihub_contracts.consent import ConsentGranted, ConsentRevoked
from omnihub_meta import Envelope
from omnihub_meta.events import ident, obj, text, timestamp
from omnihub_meta.mapping import Builder

from .messages import identifiers

MARKETING = "marketing_messages"
GRANTS = frozenset({"resume", "signup"})
REVOKES = frozenset({"stop"})


def preference_events(value: Any, envelope: Envelope) -> Builder | None:
    """How to build the consent event; None for a category or value the plugin does not know."""
    preference = obj(value)
    choice = preference.get("value")
    if preference.get("category") != MARKETING or choice not in GRANTS | REVOKES:
        return None

    def build() -> list[CloudEvent]:
        wa_id = ident(preference.get("wa_id"))
        at = timestamp(preference.get("timestamp"))
        change = {
            "purpose": "marketing",
            "source": "whatsapp",
            "evidence": {
                "reference": ident(preference.get("signup_id")),
                "detail": text(preference.get("detail")),
                "captured_at": at,
            },
            "identifiers": identifiers(wa_id, ident(preference.get("user_id"))),
        }
        revoked = choice in REVOKES
        model = ConsentRevoked if revoked else ConsentGranted
        type_ = "consent.revoked" if revoked else "consent.granted"
        data = model.model_validate(change)
        key = f"preference:{wa_id}:{MARKETING}:{choice}:{preference.get('timestamp')}"
        return [envelope.event(type_, key, data, at)]

    return build
