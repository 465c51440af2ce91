"""Standard Webhooks signatures (https://www.standardwebhooks.com, symmetric ``v1``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from hub import CloudEvent

# The spec: the id must not be able to contain a "." (the signed content is id.timestamp.body).
SAFE_ID = re.compile(r"^[A-Za-z0-9_:-]{1,255}$")


def webhook_id(event: CloudEvent) -> str:
    """The event id, stable across retries, so the receiver can use it to drop duplicates.

    An id the spec's header cannot carry safely (a ``.``, spaces, very long) is replaced by
    a digest of source and id: still stable, and unique where CloudEvents ids are.
    """
    if SAFE_ID.match(event.id):
        return event.id
    digest = hashlib.sha256(f"{event.source}\n{event.id}".encode()).hexdigest()
    return f"evt_{digest[:40]}"


def sign(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per key, space-separated (key rotation)."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        for key in keys
    )


def signed_headers(
    keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(keys, msg_id, timestamp, body),
    }
