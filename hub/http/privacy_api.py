"""``/api/v1``: erasure requests and receipts, the customer export and the audit of reads."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from omnihub_contracts import FieldError

from ..config import ApiToken
from ..privacy.erasure import now
from ..privacy.export import export
from ..privacy.requests import LISTINGS, RECEIPT_STATUSES, Receipt
from .api import read_json
from .auth import Forbidden
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem

SYSTEM = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_LIMIT = 1000  # of a listing: audit entries, erasures


def _field_problem(field: str, message: str) -> web.Response:
    return problem(400, "Invalid request", errors=[FieldError(field, message)])


def _limit(request: web.Request) -> int | None:
    """The query's ``limit`` (1 to ``MAX_LIMIT``, default 100); None when invalid."""
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return None
    return limit if 1 <= limit <= MAX_LIMIT else None


def _require_any(request: web.Request, *scopes: str) -> ApiToken:
    auth = request.app[AUTH_KEY]
    token = auth.authenticate(request)
    if "admin" in token.scopes or any(s in token.scopes for s in scopes):
        return token
    raise Forbidden(f"token {token.name!r} lacks one of the scopes {list(scopes)}")


async def _object_body(request: web.Request) -> dict[str, Any] | None:
    if not request.can_read_body:
        return {}
    body = await read_json(request)
    return body if isinstance(body, dict) else None


def _erasure_location(erasure_id: str) -> str:
    return f"/api/v1/erasures/{erasure_id}"


async def post_erasure(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "erasure:write")
    customer_id = request.match_info["customer_id"]
    body = await _object_body(request)
    if body is None:
        return _field_problem("(body)", "expected a JSON object")
    requested_by = body.get("requested_by", "api")
    if not isinstance(requested_by, str) or not 0 < len(requested_by.strip()) <= 200:
        return _field_problem("requested_by", "a role such as 'customer' or 'dpo', never a name")
    hub = request.app[HUB_KEY]
    await hub.audit.record(token.name, "erasure.request", customer_id)
    erasure = await hub.erasures.for_customer(customer_id, requested_by.strip())
    if erasure is None:
        return problem(404, "Not found", detail=f"no customer {customer_id!r}")
    location = _erasure_location(erasure.id)
    return web.json_response(
        {"erasure_id": erasure.id, "status": erasure.status, "location": location},
        status=202,
        headers={"Location": location},
    )


async def get_erasure(request: web.Request) -> web.Response:
    token = _require_any(request, "erasure:write", "audit:read")
    erasure_id = request.match_info["erasure_id"]
    hub = request.app[HUB_KEY]
    erasure = await hub.erasures.get(erasure_id)
    if erasure is None:
        return problem(404, "Not found", detail=f"no erasure {erasure_id!r}")
    # The request outlives the person: the audit names the erasure, not the customer.
    await hub.audit.record(token.name, "erasure.read", None, f"erasure {erasure_id}")
    return web.json_response(erasure.view())


async def list_erasures(request: web.Request) -> web.Response:
    token = _require_any(request, "erasure:write", "audit:read")
    status = request.query.get("status", "unfinished")
    if status not in LISTINGS:
        return _field_problem("status", f"one of {sorted(LISTINGS)}")
    limit = _limit(request)
    if limit is None:
        return _field_problem("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    hub = request.app[HUB_KEY]
    at = now()
    found = await hub.erasure_deadlines.listing(status, limit, at)
    await hub.audit.record(token.name, "erasure.list", None, f"status {status}")
    return web.json_response({"erasures": [e.view(at) for e in found]})


async def post_receipt(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "erasure:write")
    erasure_id, system = request.match_info["erasure_id"], request.match_info["system"]
    if not SYSTEM.match(system):
        return _field_problem("system", "a lower-case word, e.g. 'hubspot'")
    body = await _object_body(request)
    if body is None:
        return _field_problem("(body)", "expected a JSON object")
    status, detail, items = body.get("status"), body.get("detail"), body.get("items", 0)
    if status not in RECEIPT_STATUSES:
        return _field_problem("status", f"one of {sorted(RECEIPT_STATUSES)}")
    if detail is not None and (not isinstance(detail, str) or not 0 < len(detail) <= 1000):
        return _field_problem("detail", "up to 1000 characters, never personal data")
    if not isinstance(items, int) or isinstance(items, bool) or items < 0:
        return _field_problem("items", "a count of erased items, 0 or more")
    hub = request.app[HUB_KEY]
    erasure = await hub.erasures.confirm(erasure_id, Receipt(system, status, items, detail, now()))
    if erasure is None:
        return problem(404, "Not found", detail=f"no erasure {erasure_id!r}")
    await hub.audit.record(token.name, "erasure.receipt", None, f"erasure {erasure_id}")
    return web.json_response(erasure.view())


async def get_export(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "customers:read")
    customer_id = request.match_info["customer_id"]
    hub = request.app[HUB_KEY]
    document = await export(hub.store, customer_id)
    if document is None:
        return problem(404, "Not found", detail=f"no customer {customer_id!r}")
    await hub.audit.record(token.name, "customer.export", document["customer_id"])
    return web.json_response(document)


async def get_audit(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "audit:read")
    limit = _limit(request)
    if limit is None:
        return _field_problem("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    customer_id = request.query.get("customer_id") or None
    entries = await request.app[HUB_KEY].audit.entries(customer_id, limit)
    return web.json_response({"entries": [e.view() for e in entries]})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/customers/{customer_id}/erasure", post_erasure)
    app.router.add_get("/api/v1/customers/{customer_id}/export", get_export)
    app.router.add_get("/api/v1/erasures", list_erasures)
    app.router.add_get("/api/v1/erasures/{erasure_id}", get_erasure)
    app.router.add_post("/api/v1/erasures/{erasure_id}/receipts/{system}", post_receipt)
    app.router.add_get("/api/v1/audit", get_audit)
