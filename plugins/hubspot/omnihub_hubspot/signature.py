"""HubSpot's request signature v3 (``X-HubSpot-Signature-v3``).

base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), the timestamp being
``X-HubSpot-Request-Timestamp`` in Unix milliseconds; a request older than 5 minutes is
rejected. HubSpot signs the URI with some percent-escapes decoded (its docs list them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from aiohttp import web

MAX_AGE_MS = 5 * 60 * 1000
SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"

# The escapes HubSpot decodes before signing (developers.hubspot.com, "Validate the v3
# request signature").
_DECODED = {
    "3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$",
    "27": "'", "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";",
}  # fmt: skip
_ESCAPE = re.compile(r"%(" + "|".join(_DECODED) + ")", re.IGNORECASE)


class InvalidSignature(Exception):
    """The request is not HubSpot's (or is too old): answer 401, never process it."""


def signed_uri(uri: str) -> str:
    return _ESCAPE.sub(lambda m: _DECODED[m.group(1).upper()], uri)


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    content = method.encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_v3(
    secret: str,
    *,
    method: str,
    uri: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now_ms: int | None = None,
) -> None:
    """Raise InvalidSignature unless the signature holds and the timestamp is recent."""
    if not signature or not timestamp:
        raise InvalidSignature(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
    if not timestamp.isdigit():
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not Unix milliseconds")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        raise InvalidSignature("the request timestamp is more than 5 minutes off")
    expected = signature_v3(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature("the signature does not match")


def public_uri(request: web.Request, configured: str | None) -> str:
    """The URI HubSpot called: the configured webhook_url, else rebuilt from the request.

    Behind a proxy the request the hub sees differs from the one HubSpot sent, so the
    scheme and host come from ``X-Forwarded-Proto``/``X-Forwarded-Host`` when present.
    """
    if configured:
        return configured  # exactly the target URL set in the HubSpot app
    proto = _first(request.headers.get("X-Forwarded-Proto")) or request.scheme
    host = _first(request.headers.get("X-Forwarded-Host")) or request.host
    return f"{proto}://{host}{request.raw_path}"


def _first(value: str | None) -> str | None:
    # A chain of proxies appends: "https, http". The first is the client's.
    return value.split(",")[0].strip() if value else None
