"""``/api/v1/external-consumers``: queues of their own for systems that read RabbitMQ."""

from __future__ import annotations

from aiohttp import web
from omnihub_contracts import FieldError

from ..external import ExternalConsumer
from .api import read_json
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem


def _strings(body: dict[str, object], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key}: a list of non-empty strings")
    return tuple(value)


async def list_external(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "dlq:read")
    hub = request.app[HUB_KEY]
    depths = await hub.broker.queue_depths()
    items = []
    for consumer in sorted((await hub.external.definitions()).values(), key=lambda c: c.name):
        view = consumer.view()
        view["ready"] = depths.get(consumer.queue.name, 0)
        view["dead_letters"] = depths.get(consumer.queue.dead_letter_queue, 0)
        items.append(view)
    return web.json_response({"external_consumers": items})


async def put_external(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "admin")
    body = await read_json(request)
    if not isinstance(body, dict):
        return problem(400, "Invalid request", errors=[FieldError("(body)", "a JSON object")])
    try:
        consumer = ExternalConsumer(
            request.match_info["name"],
            _strings(body, "bind") or (),
            _strings(body, "purposes") or ("service",),
            _strings(body, "fields"),
        )
        hub = request.app[HUB_KEY]
        created = await hub.external.add(consumer)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        return problem(400, "Invalid request", errors=[FieldError(field, message)])
    return web.json_response(consumer.view(), status=201 if created else 200)


async def delete_external(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "admin")
    name = request.match_info["name"]
    if not await request.app[HUB_KEY].external.remove(name):
        return problem(404, "Not found", detail=f"no external consumer {name!r}")
    return web.json_response({"removed": name})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/external-consumers", list_external)
    app.router.add_put("/api/v1/external-consumers/{name}", put_external)
    app.router.add_delete("/api/v1/external-consumers/{name}", delete_external)
