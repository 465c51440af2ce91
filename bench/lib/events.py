"""The payloads every scenario sends: valid canonical events and signed webhook bodies.

Baselines carry the same bytes the hub receives, so the comparison is about the path,
not the payload. Events name a customer (``customerid``) so the hub's identity and consent
stages run as they exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

CUSTOMERS = 1000  # distinct customers the events spread over
EVENT_TYPE = "customer.identified"
ROUTING_KEY = "customer.identified.none"  # <type>.<channel>, as the hub routes it
SIGNATURE_HEADER = "X-Hub-Signature-256"


def customer_identified(event_id: str, n: int) -> dict[str, Any]:
    """A returning customer, as a CRM reports them: the CRM id they already have.

    (Until 2026-11-24 every event carried a new ``crm:bench`` value, which the identity
    policy sets aside — ``crm:*`` allows one per profile — and logs on each event: the path
    of a conflicting identifier, ~0.05 ms and a log line per event more than this one.)
    """
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "/bench",
        "type": EVENT_TYPE,
        "customerid": f"cus-bench-{n % CUSTOMERS}",
        "data": {"identifiers": [{"kind": "crm:bench", "value": str(n % CUSTOMERS)}]},
    }


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def inbound_message(message_id: str, n: int) -> dict[str, Any]:
    """One message as a channel's webhook would carry it (WhatsApp-like, trimmed)."""
    return {
        "id": message_id,
        "from": f"+5511{n % CUSTOMERS:08d}",
        "customer": f"cus-bench-{n % CUSTOMERS}",
        "text": f"benchmark message {n}",
    }


def webhook_body(messages: list[dict[str, Any]]) -> bytes:
    return encode({"messages": messages})


def signature(secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256`` as Meta sends it: ``sha256=`` + HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
