"""``/api/v1/customers/{id}/consent``: the current state and history, and one call to give
or withdraw a purpose (it becomes one ``consent.*`` event, like any other source's)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from omnihub_contracts import FieldError, InvalidEvent

from .api import read_json
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem

STATUSES = {"granted": "consent.granted", "revoked": "consent.revoked"}


def _invalid(field: str, message: str) -> web.Response:
    return problem(400, "Invalid request", errors=[FieldError(field, message)])


async def get_consent(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "customers:read")
    hub = request.app[HUB_KEY]
    state = await hub.consent.state(request.match_info["customer_id"])
    if state is None:
        return problem(404, "Not found", detail="no such customer")
    return web.json_response(hub.consent.view(*state))


async def put_consent(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "consent:write")
    hub = request.app[HUB_KEY]
    purpose = request.match_info["purpose"]
    if purpose not in hub.config.privacy.purposes:
        return _invalid("purpose", f"unknown purpose; known: {hub.config.privacy.purposes}")
    body = await read_json(request)
    if not isinstance(body, dict):
        return _invalid("(body)", "expected a JSON object")
    status = body.pop("status", None)
    if status not in STATUSES:
        return _invalid("status", "must be 'granted' or 'revoked'")
    state = await hub.consent.state(request.match_info["customer_id"])
    if state is None:
        return problem(404, "Not found", detail="no such customer")
    data: dict[str, Any] = {"purpose": purpose, "source": f"api:{token.name}", **body}
    event = {"source": "/omnihub/api", "type": STATUSES[status], "customerid": state[0]}
    try:
        [event_id] = await hub.publish([{**event, "data": data}])
    except InvalidEvent as exc:
        errors = [FieldError(e.field.removeprefix("data."), e.message) for e in exc.errors]
        return problem(400, "Invalid request", errors=errors)
    return web.json_response({"customer_id": state[0], "event": event_id}, status=202)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/customers/{customer_id}/consent", get_consent)
    app.router.add_put("/api/v1/customers/{customer_id}/consent/{purpose}", put_consent)
