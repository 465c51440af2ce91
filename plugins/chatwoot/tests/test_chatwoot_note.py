"""The context packet as the agent reads it."""

from __future__ import annotations

from omnihub_chatwoot.note import render
from omnihub_contracts.conversation import ConversationHandoff


def test_the_note_says_why_who_what_and_everything_said() -> None:
    handoff = ConversationHandoff.model_validate(
        {
            "conversation_id": "conv_1",
            "action": "pass",
            "from_controller": "bot",
            "to_controller": "human",
            "reason": "negative_sentiment",
            "context": {
                "profile": {"display_name": "Ana", "language": "pt-BR", "traits": {"tier": "gold"}},
                "transcript": [
                    {"at": "2026-11-20T12:01:00Z", "author": "customer", "channel": "instagram",
                     "kind": "text", "text": "Cadê meu pedido?"},
                    {"at": "2026-11-20T12:02:00Z", "author": "bot", "channel": "instagram",
                     "text": "Vou verificar."},
                    {"at": "2026-11-20T12:05:00Z", "author": "customer", "channel": "whatsapp",
                     "kind": "image"},
                ],
                "bot_understanding": {"intent": "order_status", "confidence": 0.35,
                                      "attempted": ["order lookup"]},
                "escalation_reason": "the customer is upset",
                "orders": [{"order_id": "1234", "status": "shipped", "total": "99.90",
                            "currency": "BRL"}],
                "last_nps": {"score": 3, "category": "detractor", "comment": "demorou"},
            },
        }
    )  # fmt: skip
    note = render(handoff)
    assert (
        note.splitlines()[0]
        == "**Omnihub handoff** (handed to you) · reason: the customer is upset"
    )
    assert "**Customer:** Ana · language pt-BR" in note
    assert "- tier: gold" in note
    assert "- 2026-11-20 12:01 · instagram · **customer**: Cadê meu pedido?" in note
    assert "- 2026-11-20 12:02 · instagram · **bot**: Vou verificar." in note
    assert "- 2026-11-20 12:05 · whatsapp · **customer** [image]: (no text)" in note
    assert "order_status · confidence 35%" in note
    assert "- tried: order lookup" in note
    assert "- 1234 · shipped · 99.90 BRL" in note
    assert '**Last NPS:** 3 (detractor) — "demorou"' in note
