"""HTTP helpers for webhooks: problem+json answers and a body read with a size limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

PROBLEM_JSON = "application/problem+json"


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the limit is {limit} bytes")
        self.limit = limit


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    """An RFC 9457 answer in the shape the rest of the hub uses (``hub/http/problem.py``)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.json_response(body, status=status, content_type=PROBLEM_JSON, headers=headers)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes before reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
