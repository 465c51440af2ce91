"""``/api/v1``: publish events, inspect and replay dead letters, replay archived events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web
from omnihub_contracts import FieldError, InvalidEvent

from ..broker import DeadLetter
from ..pipeline import PIPELINE_QUEUE
from .keys import AUTH_KEY, HUB_KEY

if TYPE_CHECKING:
    from ..runtime import Hub


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; malformed JSON is a 400 naming the position."""
    raw = await request.read()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent([FieldError("(body)", f"malformed JSON: {exc}")]) from None


def _as_list(body: Any, request: web.Request) -> list[Any]:
    items = body if isinstance(body, list) else [body]
    limit = request.app[HUB_KEY].config.http.max_batch
    if len(items) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(items))
    if not items:
        raise InvalidEvent([FieldError("(body)", "an empty array holds no event")])
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidEvent([FieldError("(event)", "an event must be a JSON object", index)])
    return items


async def post_events(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "events:write")
    items = _as_list(await read_json(request), request)
    hub = request.app[HUB_KEY]
    ids = await hub.publish(items)
    return web.json_response({"accepted": ids}, status=202)


EXTERNAL = "external."  # "external.crm": the queue an external system reads


async def _dead_letter_queues(hub: Hub) -> dict[str, str]:
    """Every consumer whose dead letters can be listed → the queue they came from."""
    queues = {"pipeline": PIPELINE_QUEUE}
    queues |= {name: runner.spec.name for name, runner in sorted(hub.runners.items())}
    externals = await hub.external.definitions()
    queues |= {EXTERNAL + name: externals[name].queue.name for name in sorted(externals)}
    return queues


async def _queue_of(request: web.Request, consumer: str) -> str:
    queue = (await _dead_letter_queues(request.app[HUB_KEY])).get(consumer)
    if queue is None:
        kind = "external consumer" if consumer.startswith(EXTERNAL) else "consumer"
        raise web.HTTPNotFound(reason=f"no {kind} named {consumer!r}")
    return queue


def _dead_letter_json(consumer: str, letter: DeadLetter) -> dict[str, Any]:
    return {
        "consumer": consumer,
        "id": letter.message.message_id,
        "routing_key": letter.message.routing_key,
        "attempts": letter.attempts,
        "exception": letter.exception,
        "error": letter.error,
        "first_failure": letter.first_failure.isoformat(),
        "last_failure": letter.last_failure.isoformat(),
    }


async def get_dead_letters(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "dlq:read")
    hub = request.app[HUB_KEY]
    try:
        limit = max(1, min(int(request.query.get("limit", "100")), 1000))
    except ValueError:
        raise InvalidEvent([FieldError("limit", "must be an integer")]) from None
    wanted = request.query.get("consumer")
    if wanted:
        queues = {wanted: await _queue_of(request, wanted)}
    else:
        queues = await _dead_letter_queues(hub)
    letters: list[dict[str, Any]] = []
    for consumer, queue in queues.items():
        for letter in await hub.broker.dead_letters(queue, limit):
            letters.append(_dead_letter_json(consumer, letter))
    return web.json_response({"dead_letters": letters[:limit]})


async def replay_dead_letters(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "dlq:write")
    consumer = request.match_info["consumer"]
    queue = await _queue_of(request, consumer)
    body = await read_json(request) if request.can_read_body else {}
    ids = body.get("ids") if isinstance(body, dict) else None
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise InvalidEvent([FieldError("ids", "must be a list of event ids")])
    hub = request.app[HUB_KEY]
    count = await hub.broker.replay_dead_letters(queue, frozenset(ids) if ids else None)
    return web.json_response({"consumer": consumer, "replayed": count})


async def post_replay(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "admin")
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise InvalidEvent([FieldError("events", "expected an object with an events array")])
    target = body.get("to")
    hub = request.app[HUB_KEY]
    if target is not None and target not in hub.runners:
        raise web.HTTPNotFound(reason=f"no consumer named {target!r}")
    count = await hub.replay(_as_list(body["events"], request), target)
    return web.json_response({"replayed": count, "to": target}, status=202)


async def get_consumers(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "dlq:read")
    hub = request.app[HUB_KEY]
    depths = await hub.broker.queue_depths()
    consumers = [
        {
            "name": name,
            "plugin": runner.plugin,
            "patterns": list(runner.consumer.patterns),
            "purposes": list(runner.consumer.purposes),
            "queue": runner.spec.name,
            "ready": depths.get(runner.spec.name, 0),
            "dead_letters": depths.get(runner.spec.dead_letter_queue, 0),
        }
        for name, runner in sorted(hub.runners.items())
    ]
    return web.json_response({"consumers": consumers})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/events", post_events)
    app.router.add_get("/api/v1/dead-letters", get_dead_letters)
    app.router.add_post("/api/v1/dead-letters/{consumer}/replay", replay_dead_letters)
    app.router.add_post("/api/v1/replay", post_replay)
    app.router.add_get("/api/v1/consumers", get_consumers)
