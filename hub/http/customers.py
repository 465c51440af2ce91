"""``/api/v1/customers``: the 360° profile, lookup by identifier, timeline and unmerge."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from omnihub_contracts import FieldError

from ..identity import JunkIdentifier, MergeConflict
from ..identity.profiles import Cursor
from .api import read_json
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem

MAX_PAGE = 500


def _field_problem(field: str, message: str) -> web.Response:
    return problem(400, "Invalid request", errors=[FieldError(field, message)])


def _not_found(customer_id: str) -> web.Response:
    return problem(404, "Not found", detail=f"no customer {customer_id!r}")


def _redirect(request: web.Request, surviving_id: str, suffix: str = "") -> web.Response:
    """A merged id points at the surviving profile (307: a merge can be undone)."""
    location = f"/api/v1/customers/{surviving_id}{suffix}"
    if request.query_string:
        location += "?" + request.query_string
    return web.json_response(
        {"merged_into": surviving_id, "location": location},
        status=307,
        headers={"Location": location},
    )


async def _with_consent(request: web.Request, profile: dict[str, Any]) -> dict[str, Any]:
    """The profile with its consent state (purposes allowed now, the latest decisions)."""
    ledger = request.app[HUB_KEY].consent
    state = await ledger.state(profile["id"])
    if state is not None:
        view = ledger.view(*state)
        profile["consent"] = {"allowed": view["allowed"], "purposes": view["purposes"]}
    return profile


async def get_customer(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "customers:read")
    customer_id = request.match_info["customer_id"]
    hub = request.app[HUB_KEY]
    found = await hub.identity.profile(customer_id)
    if found is None:
        return _not_found(customer_id)
    if found.redirected:
        return _redirect(request, found.profile["id"])
    await hub.audit.record(token.name, "customer.read", customer_id)
    return web.json_response(await _with_consent(request, found.profile))


async def find_customers(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "customers:read")
    wanted = request.query.get("identifier")
    if not wanted or ":" not in wanted:
        return _field_problem("identifier", "expected <kind>:<value>, e.g. phone:+5511999999999")
    if wanted.startswith("crm:"):
        parts = wanted.split(":", 2)
        if len(parts) != 3 or not parts[1]:
            return _field_problem("identifier", "expected crm:<system>:<value>")
        kind, value = f"crm:{parts[1]}", parts[2]
    else:
        kind, value = wanted.split(":", 1)
    identity = request.app[HUB_KEY].identity
    try:
        key = identity.normalize(kind, value)
    except JunkIdentifier as exc:
        return _field_problem("identifier", f"identifies nobody: {exc}")
    found = await identity.lookup(key)
    # Who looked, and whom they found: never the identifier they looked for.
    await request.app[HUB_KEY].audit.record(
        token.name, "customer.lookup", found["id"] if found else None, f"by {key.kind}"
    )
    return web.json_response({"customers": [await _with_consent(request, found)] if found else []})


async def get_timeline(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "customers:read")
    customer_id = request.match_info["customer_id"]
    try:
        limit = int(request.query.get("limit", "50"))
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError
    except ValueError:
        return _field_problem("limit", f"must be an integer from 1 to {MAX_PAGE}")
    before = request.query.get("before")
    try:
        cursor = Cursor.decode(before) if before else None
    except ValueError as exc:
        return _field_problem("before", f"expected an ISO 8601 time or a next cursor: {exc}")
    page = await request.app[HUB_KEY].identity.timeline(customer_id, limit=limit, before=cursor)
    if page is None:
        return _not_found(customer_id)
    live, events, more = page
    if live != customer_id:
        return _redirect(request, live, "/timeline")
    await request.app[HUB_KEY].audit.record(token.name, "customer.timeline", live)
    following = None
    if more is not None:
        query = urlencode({"limit": limit, "before": more.encode()})
        following = f"/api/v1/customers/{live}/timeline?{query}"
    return web.json_response({"customer_id": live, "events": events, "next": following})


async def post_unmerge(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "customers:write")
    customer_id = request.match_info["customer_id"]
    body = await read_json(request) if request.can_read_body else {}
    if not isinstance(body, dict):
        return _field_problem("(body)", "expected a JSON object")
    merge_id, reason = body.get("merge_id"), body.get("reason")
    for name, value in (("merge_id", merge_id), ("reason", reason)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            return _field_problem(name, "must be a non-empty string")
    hub = request.app[HUB_KEY]
    if await hub.identity.profile(customer_id) is None:
        return _not_found(customer_id)
    try:
        record, announcements = await hub.identity.unmerge(customer_id, merge_id, reason)
    except MergeConflict as exc:
        return problem(409, "Conflict", detail=str(exc))
    except LookupError as exc:
        return problem(404, "Not found", detail=str(exc))
    await hub.pipeline.announce(announcements)
    return web.json_response(
        {
            "merge_id": record.id,
            "surviving_id": record.surviving_id,
            "restored_ids": [record.merged_id],
            "events": [e.id for e in announcements],
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/customers", find_customers)
    app.router.add_get("/api/v1/customers/{customer_id}", get_customer)
    app.router.add_get("/api/v1/customers/{customer_id}/timeline", get_timeline)
    app.router.add_post("/api/v1/customers/{customer_id}/unmerge", post_unmerge)
