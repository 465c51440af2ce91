"""Bearer tokens with scopes from ``[[api.tokens]]``; compared by digest in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from aiohttp import web

from ..config import ApiToken


class Unauthorized(Exception):
    """No valid token: answer 401."""


class Forbidden(Exception):
    """A valid token without the scope: answer 403."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenAuth:
    def __init__(self, tokens: Sequence[ApiToken]):
        self._tokens = [(_digest(t.token.get_secret_value()), t) for t in tokens]

    def authenticate(self, request: web.Request) -> ApiToken:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise Unauthorized("a bearer token is required")
        digest = _digest(presented.strip())
        match = None
        for known, token in self._tokens:  # no early exit: time does not tell which matched
            if hmac.compare_digest(known, digest):
                match = token
        if match is None:
            raise Unauthorized("the bearer token is not valid")
        return match

    def require(self, request: web.Request, scope: str) -> ApiToken:
        token = self.authenticate(request)
        if scope not in token.scopes and "admin" not in token.scopes:
            raise Forbidden(f"token {token.name!r} lacks the scope {scope!r}")
        return token
