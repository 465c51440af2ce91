"""Who may call the webhook: Chatwoot's signature where it signs, a shared token where not.

Newer Chatwoot signs each delivery: ``X-Chatwoot-Signature: sha256=<hex>`` is HMAC-SHA256
of ``"<X-Chatwoot-Timestamp>.<raw body>"`` with the webhook's secret. Older versions sign
nothing, so the webhook URL carries a shared token instead (``?token=…``, or the header
``X-Omnihub-Token`` from a proxy). Every configured check must pass; comparisons are
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from aiohttp import web

from .config import ChatwootConfig

SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
TOKEN_HEADER = "X-Omnihub-Token"
TOKEN_PARAM = "token"


class Unauthenticated(Exception):
    """The request is not from Chatwoot; the message says what was wrong (no secrets)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance: float,
    now: float | None = None,
) -> None:
    if not timestamp or not signature:
        raise Unauthenticated(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
    try:
        sent = float(timestamp)
    except ValueError:
        raise Unauthenticated(f"{TIMESTAMP_HEADER} is not a number") from None
    if abs((time.time() if now is None else now) - sent) > tolerance:
        raise Unauthenticated(f"{TIMESTAMP_HEADER} is too far from the hub's clock")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise Unauthenticated("the signature does not match")


def verify_token(expected: str, request: web.Request) -> None:
    given = request.headers.get(TOKEN_HEADER) or request.query.get(TOKEN_PARAM) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthenticated(f"the webhook token is missing or wrong (?{TOKEN_PARAM}=…)")


def authenticate(config: ChatwootConfig, request: web.Request, body: bytes) -> None:
    if config.webhook_token is not None:
        verify_token(config.webhook_token.get_secret_value(), request)
    if config.webhook_secret is not None:
        verify_signature(
            config.webhook_secret.get_secret_value(),
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            tolerance=config.signature_tolerance,
        )
