"""The Cloud API bodies for each kind of ``message.send`` (Meta's "Messages" reference)."""

from __future__ import annotations

from typing import Any

import pytest
from omnihub_contracts import Identifier
from omnihub_contracts.message import MessageSend
from omnihub_meta import Unsendable
from omnihub_whatsapp.outbound import message_body, message_id, pick_recipient

TO = Identifier(kind="whatsapp", value="5511988887777")
HEAD = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511988887777"}


def body(**data: Any) -> dict[str, Any]:
    command = MessageSend.model_validate({"recipient": {"customer_id": "c"}} | data)
    return message_body(command, TO)


def options(count: int) -> list[dict[str, str]]:
    return [{"id": f"opt-{n}", "title": f"Option {n}"} for n in range(count)]


def test_media_by_link_and_by_id() -> None:
    assert body(
        kind="media",
        media={"type": "image", "url": "https://cdn.example.com/p.jpg", "caption": "Seu pedido"},
    ) == HEAD | {
        "type": "image",
        "image": {"link": "https://cdn.example.com/p.jpg", "caption": "Seu pedido"},
    }
    assert body(
        kind="media",
        media={"type": "document", "id": "1013", "filename": "nota.pdf", "caption": "Nota fiscal"},
    ) == HEAD | {
        "type": "document",
        "document": {"id": "1013", "caption": "Nota fiscal", "filename": "nota.pdf"},
    }
    # WhatsApp has no captions on audio and stickers: left out rather than refused by Meta.
    assert body(kind="media", media={"type": "audio", "id": "77", "caption": "x"})["audio"] == {
        "id": "77"
    }


def test_reply_buttons_and_a_reply_context() -> None:
    sent = body(
        kind="interactive",
        reply_to="wamid.abc",
        interactive={
            "kind": "buttons",
            "body": "Confirma a entrega?",
            "header": "Pedido 123",
            "buttons": [{"id": "yes", "title": "Sim"}, {"id": "no", "title": "Não"}],
        },
    )
    assert sent == HEAD | {
        "context": {"message_id": "wamid.abc"},
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Pedido 123"},
            "body": {"text": "Confirma a entrega?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Sim"}},
                    {"type": "reply", "reply": {"id": "no", "title": "Não"}},
                ]
            },
        },
    }


def test_lists() -> None:
    sent = body(
        kind="interactive",
        interactive={
            "kind": "list",
            "body": "Escolha",
            "footer": "Loja",
            "list_label": "Ver opções",
            "sections": [
                {
                    "title": "Entrega",
                    "rows": [{"id": "r1", "title": "Hoje", "description": "Até 18h"}],
                }
            ],
        },
    )
    assert sent["interactive"] == {
        "type": "list",
        "body": {"text": "Escolha"},
        "footer": {"text": "Loja"},
        "action": {
            "button": "Ver opções",
            "sections": [
                {
                    "title": "Entrega",
                    "rows": [{"id": "r1", "title": "Hoje", "description": "Até 18h"}],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    "interactive",
    [
        {"kind": "buttons", "body": "b", "buttons": options(4)},
        {"kind": "list", "body": "b", "list_label": "l", "sections": [{"rows": options(11)}]},
        {"kind": "list", "body": "b", "sections": [{"rows": options(2)}]},
    ],
    ids=["4-buttons", "11-rows", "no-list-label"],
)
def test_whatsapp_limits_are_checked_before_calling_meta(interactive: dict[str, Any]) -> None:
    with pytest.raises(Unsendable) as raised:
        body(kind="interactive", interactive=interactive)
    assert raised.value.code == "invalid_content"


def test_template_media_header() -> None:
    sent = body(
        kind="template",
        template={
            "name": "boleto",
            "language": "pt-BR",
            "components": [
                {
                    "type": "header",
                    "parameters": [
                        {
                            "kind": "media",
                            "media": {
                                "type": "document",
                                "url": "https://cdn.example.com/b.pdf",
                                "filename": "b.pdf",
                            },
                        }
                    ],
                }
            ],
        },
    )
    assert sent["template"]["components"] == [
        {
            "type": "header",
            "parameters": [
                {
                    "type": "document",
                    "document": {"link": "https://cdn.example.com/b.pdf", "filename": "b.pdf"},
                }
            ],
        }
    ]


def test_recipient_choice_and_answer() -> None:
    bsuid = Identifier(kind="whatsapp", value="BR.1502576394655843")
    phone = Identifier(kind="phone", value="+55 11 98888-7777")
    assert pick_recipient([bsuid, phone, TO]) == TO
    assert pick_recipient([bsuid, phone]) == phone
    assert pick_recipient([bsuid]) == bsuid
    assert pick_recipient([Identifier(kind="email", value="a@example.com")]) is None
    answer = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "1", "wa_id": "1"}],
        "messages": [{"id": "wamid.HBgN"}],
    }
    assert message_id(answer) == "wamid.HBgN"
    assert message_id({}) is None
