"""Standard Webhooks verification, as Formbricks signs its webhooks.

``webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>``
(several space-separated during a key rotation); the key is the base64 after ``whsec_``;
a ``webhook-timestamp`` further than the tolerance from now is refused (replays).
https://formbricks.com/docs/xm-and-surveys/core-features/integrations/webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

HEADERS = "webhook-id, webhook-timestamp and webhook-signature"


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode(errors="surrogateescape") + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def verify(
    key: bytes,
    body: bytes,
    headers: Mapping[str, str],
    tolerance: int = 300,
    now: Callable[[], float] = time.time,
) -> bool:
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not msg_id or not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    timestamp = int(stamp)
    if abs(now() - timestamp) > tolerance:
        return False
    expected = sign(key, msg_id, timestamp, body).encode()
    # Compare with every offered v1 signature; no early exit on the first mismatch.
    matched = False
    for offered in signatures.split():
        matched |= hmac.compare_digest(expected, offered.encode(errors="replace"))
    return matched
