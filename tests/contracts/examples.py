"""Valid ``data`` for every core event type, several per type where the shape varies.

The message examples carry what the real webhook samples in ``../shared/fixtures`` carry
(WhatsApp Cloud API, Instagram, Messenger, Telegram, e-mail), mapped by hand.
"""

from __future__ import annotations

from typing import Any

WA = {"kind": "whatsapp", "value": "972987654321"}
WA_SENDER = {"identifiers": [WA], "display_name": "Test Name"}
IG_SENDER = {"identifiers": [{"kind": "instagram", "value": "Sender-id-1"}]}
AGENT = {"id": "agent-7", "name": "Ana"}


def _wa(kind: str, **payload: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "channel_message_id": "wamid.xyzxyz",
        "sender": WA_SENDER,
        "channel_account": "1122334455667",
        "sent_at": "2023-10-11T17:07:03Z",
        **payload,
    }


MESSAGES_RECEIVED: list[dict[str, Any]] = [
    _wa("text", text="Body Text"),
    _wa("text", text="replied text", reply_to="wamid.xyzxyz=="),
    _wa("text", text="text forwarded many times", frequently_forwarded=True),
    _wa("image", media={"id": "65463453", "mime_type": "image/jpeg", "sha256": "4654+8g=",
                        "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"}),
    _wa("audio", media={"id": "1234567890987654321", "mime_type": "audio/ogg; codecs=opus",
                        "sha256": "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI=", "voice": True}),
    _wa("document", forwarded=True,
        media={"id": "1", "caption": "caption", "filename": "filename.pdf",
               "mime_type": "application/pdf"}),
    _wa("sticker", media={"id": "1", "mime_type": "image/webp", "animated": False}),
    _wa("location", location={"latitude": -23.5505, "longitude": -46.6333, "name": "Loja"}),
    _wa("contacts", contacts=[
        {"formatted_name": "Chandler Bing", "first_name": "Chandler", "last_name": "Bing",
         "phones": [{"phone": "+1 555-555-5555", "channel_user_id": "972987654321",
                     "type": "cell"}]},
        {"formatted_name": "Monica", "phones": [{"phone": "+1 666-666-6666", "type": "home"}]},
    ]),
    _wa("interactive_reply", reply_to="wamid.xyzxyz",
        interactive_reply={"control": "button", "id": "callback_data", "title": "title"}),
    _wa("interactive_reply",
        interactive_reply={"control": "quick_reply", "id": "callback_data", "title": "title"}),
    _wa("reaction", reaction={"message_id": "wamid.abc", "emoji": "\U0001f44d"}),
    _wa("reaction", reaction={"message_id": "wamid.abc"}),
    _wa("text", text="Oi, vi o anúncio",
        referral={"source_type": "ad", "source_id": "120", "headline": "Promo",
                  "source_url": "https://fb.me/abc", "click_id": "ARAkLkA8rmlFeiCktEJQ"}),
    _wa("unsupported", raw={"type": "unsupported", "unsupported": {"type": "pool"},
                            "errors": [{"code": 131051, "title": "Message type unknown"}]}),
    {"kind": "story_reply", "channel_message_id": "message-id-1", "sender": IG_SENDER,
     "text": "This is the story reply",
     "story": {"id": "chatwoot-app-user-id-1", "url": "https://chatwoot-assets.local/sample.png"}},
    {"kind": "story_mention", "channel_message_id": "message-id-1", "sender": IG_SENDER,
     "story": {"url": "https://www.example.com/test.jpeg"}},
    {"kind": "text", "channel_message_id": "mid.1486464322190:cb04e5a654", "text": "text",
     "sender": {"identifiers": [{"kind": "messenger", "value": "1412611362105802"}]},
     "channel_account": "1895382890692545"},
    {"kind": "text", "channel_message_id": "1", "text": "HELLO",
     "sender": {"identifiers": [{"kind": "telegram", "value": "12345678"}],
                "display_name": "Test Firstname Test Lastname", "language": "en"}},
    {"kind": "text", "channel_message_id": "<CAEPk3R+4Zr@mail.example.org>",
     "subject": "Test subject", "text": "stripped plaintext body",
     "sender": {"identifiers": [{"kind": "email", "value": "from+test@example.org"}],
                "display_name": "Displayed From"},
     "channel_account": "test@inbound.example.com"},
]  # fmt: skip

MESSAGES_SEND: list[dict[str, Any]] = [
    {"kind": "text", "recipient": {"customer_id": "c-1"}, "text": "Olá!"},
    {"kind": "media", "recipient": {"identifiers": [WA]},
     "media": {"type": "image", "url": "https://example.com/p.jpg", "caption": "Seu pedido"}},
    {"kind": "interactive", "recipient": {"customer_id": "c-1"},
     "interactive": {"kind": "buttons", "body": "Resolvemos?",
                     "buttons": [{"id": "yes", "title": "Sim"}, {"id": "no", "title": "Não"}]}},
    {"kind": "interactive", "recipient": {"customer_id": "c-1"},
     "interactive": {"kind": "list", "body": "De 0 a 10?", "list_label": "Nota",
                     "sections": [{"rows": [{"id": str(n), "title": str(n)} for n in range(11)]}]}},
    {"kind": "template", "recipient": {"customer_id": "c-1"}, "reply_to": "wamid.1",
     "template": {"name": "order_update", "language": "pt-BR",
                  "components": [{"type": "body", "parameters": [
                      {"kind": "text", "text": "#123"}]}]}},
]  # fmt: skip

HANDOFF_CONTEXT = {
    "profile": {"display_name": "Test Name", "language": "pt-BR", "traits": {"vip": True}},
    "transcript": [
        {"at": "2024-05-01T12:00:00Z", "author": "customer", "channel": "instagram",
         "kind": "text", "text": "Qual o prazo de entrega?"},
        {"at": "2024-05-01T12:00:02Z", "author": "bot", "channel": "instagram",
         "text": "Até 5 dias úteis."},
    ],
    "bot_understanding": {"intent": "delivery_time", "confidence": 0.42,
                          "attempted": ["FAQ answer"], "sentiment": -0.3},
    "escalation_reason": "O cliente pediu uma pessoa.",
    "orders": [{"order_id": "576684019603311365", "status": "awaiting_shipment",
                "total": "199.90", "currency": "BRL"}],
    "last_nps": {"score": 6, "category": "detractor", "comment": "demorou"},
}  # fmt: skip

ORDER = {
    "order_id": "576684019603311365",
    "platform": "tiktok_shop",
    "identifiers": [{"kind": "tiktok", "value": "7494726673780148744"}],
    "currency": "BRL",
    "items": [{"sku": "TSHIRT-M", "name": "Camiseta", "quantity": 2, "unit_price": "49.95"}],
    "totals": {"subtotal": "99.90", "shipping": "10.00", "discount": "0", "total": "109.90"},
}

EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "customer.identified": [
        {"identifiers": [WA, {"kind": "email", "value": "laura@example.com"}]},
        {"identifiers": [{"kind": "crm:hubspot", "value": "1246965"}], "created": True,
         "traits": {"crm:hubspot.lifecyclestage": {"value": "subscriber",
                                                   "source": "crm:hubspot"}}},
    ],
    "customer.updated": [
        {"traits": {"first_name": {"value": "Laura", "source": "typeform",
                                   "observed_at": "2018-01-18T18:17:02Z"},
                    "language": {"value": None, "source": "api"}},
         "changed": ["first_name", "language"]},
    ],
    "customer.merged": [
        {"merge_id": "m-1", "surviving_id": "c-1", "merged_ids": ["c-2"],
         "rule": "shared_identifier", "identifier": {"kind": "email", "value": "a@b.com"}},
        {"merge_id": "m-2", "surviving_id": "c-1", "merged_ids": ["c-3", "c-4"], "rule": "manual"},
    ],
    "customer.unmerged": [
        {"merge_id": "m-1", "surviving_id": "c-1", "restored_ids": ["c-2"],
         "reason": "different people"},
    ],
    "customer.erasure_requested": [
        {"request_id": "e-1", "requested_by": "customer", "deadline": "2024-05-16T00:00:00Z"},
    ],
    "customer.erased": [
        {"request_id": "e-1", "receipts": [
            {"system": "store", "status": "done", "at": "2024-05-01T12:00:00Z"},
            {"system": "chatwoot", "status": "failed", "detail": "HTTP 503"},
        ]},
    ],
    "consent.granted": [
        {"purpose": "marketing", "source": "whatsapp",
         "evidence": {"reference": "signup:13176843987434774",
                      "detail": "User signed up via signup link"},
         "identifiers": [{"kind": "whatsapp", "value": "16505551234"}]},
        {"purpose": "service", "legal_basis": "contract", "source": "store"},
        {"purpose": "loyalty_club", "source": "api", "expires_at": "2025-01-01T00:00:00Z"},
    ],
    "consent.revoked": [
        {"purpose": "marketing", "source": "whatsapp", "reason": "STOP"},
    ],
    "message.received": MESSAGES_RECEIVED,
    "message.deleted": [{"channel_message_id": "message-id-to-delete"}],
    "message.send": MESSAGES_SEND,
    "message.sent": [
        {"channel_message_id": "wamid.1", "recipient": WA},
        {"channel_message_id": "mid.2", "echo": True, "text": "Respondi pelo app"},
    ],
    "message.delivered": [{"channel_message_id": "wamid.xyzxyz", "recipient": WA}],
    "message.read": [{"channel_message_id": "wamid.xyzxyz"}],
    "message.failed": [
        {"channel_message_id": "wamid.1", "attempts": 1,
         "error": {"code": "131047", "title": "Re-engagement message", "permanent": True}},
        {"error": {"code": "429", "title": "Too many requests", "permanent": False}},
    ],
    "conversation.opened": [{"conversation_id": "conv-1", "controller": "bot"}],
    "conversation.handoff": [
        {"conversation_id": "conv-1", "action": "pass", "from_controller": "bot",
         "to_controller": "human", "reason": "customer_request", "context": HANDOFF_CONTEXT},
        {"conversation_id": "conv-1", "action": "offer", "from_controller": "bot",
         "to_controller": "human", "reason": "low_confidence", "context": {},
         "offer_expires_at": "2024-05-01T12:05:00Z"},
        {"conversation_id": "conv-1", "action": "release", "from_controller": "human",
         "to_controller": "bot", "reason": "agent_released"},
    ],
    "conversation.assigned": [
        {"conversation_id": "conv-1", "agent": AGENT, "team": "Suporte"},
        {"conversation_id": "conv-1", "team": "Suporte"},
    ],
    "conversation.closed": [
        {"conversation_id": "conv-1", "resolved_by": "human", "agent": AGENT},
        {"conversation_id": "conv-2", "resolved_by": "bot"},
    ],
    "survey.requested": [
        {"survey_id": "s-1", "trigger": "conversation_closed", "language": "pt-BR",
         "conversation_id": "conv-1"},
    ],
    "survey.responded": [
        {"survey_id": "s-1", "score": 9, "comment": "mas demorou", "themes": ["delivery_time"],
         "resolved_by": "bot", "conversation_id": "conv-1"},
        {"score": 4, "category": "detractor", "resolved_by": "human", "agent": AGENT},
        {"score": 7},
    ],
    "survey.detractor": [
        {"survey_id": "s-2", "score": 3, "comment": "péssimo",
         "follow_up_conversation_id": "conv-9"},
    ],
    "order.placed": [ORDER, {"order_id": "1", "platform": "store", "status": "pending_payment"}],
    "order.updated": [
        {"order_id": "576684019603311365", "platform": "tiktok_shop", "status": "delivered",
         "platform_status": "DELIVERED", "previous_status": "shipped",
         "shipment": {"carrier": "Correios", "tracking_number": "BR123"}},
        {**ORDER, "status": "awaiting_shipment", "platform_status": "AWAITING_SHIPMENT"},
    ],
}  # fmt: skip

CHANNEL_OF = {"message.received": "whatsapp", "message.send": "whatsapp"}


def envelope(type_: str, data: Any, **attributes: Any) -> dict[str, Any]:
    """A complete event as a producer would publish it (JSON-ready)."""
    return {
        "specversion": "1.0",
        "id": "7a6c1e0e-2f9f-4f5e-9a53-2f1bb1d2c4a1",
        "source": "/tests/contracts",
        "type": type_,
        "time": "2024-05-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": data,
        **attributes,
    }


def all_examples() -> list[tuple[str, dict[str, Any]]]:
    return [(name, data) for name, items in sorted(EXAMPLES.items()) for data in items]
