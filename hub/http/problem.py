"""RFC 9457 problem details: every error the API returns has this shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from omnihub_contracts import FieldError

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [
            {"field": e.field, "message": e.message}
            | ({"index": e.index} if e.index is not None else {})
            for e in errors
        ]
    body.update(extra)
    return web.json_response(body, status=status, content_type=PROBLEM_JSON, headers=headers)
