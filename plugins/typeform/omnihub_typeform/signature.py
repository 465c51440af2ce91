"""``Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "Typeform-Signature"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value Typeform sends for ``body`` (over the raw bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return PREFIX + base64.b64encode(digest).decode()


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the request's header signs ``body``; compared in constant time."""
    header = headers.get(SIGNATURE_HEADER, "").strip()
    if not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.encode(errors="replace"))
