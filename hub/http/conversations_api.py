"""``/api/v1/conversations``: list, read across channels, and the switchboard's steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from omnihub_contracts import FieldError, InvalidEvent

from ..conversations import store
from ..conversations.control import ControlConflict
from .api import read_json
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem

CONTROLLERS = ("bot", "human", "none")


def _invalid(field: str, message: str) -> web.Response:
    return problem(400, "Invalid request", errors=[FieldError(field, message)])


async def list_conversations(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].require(request, "customers:read")
    status, controller = request.query.get("status"), request.query.get("controller")
    if status not in (None, "open", "closed"):
        return _invalid("status", "open or closed")
    if controller not in (None, *CONTROLLERS):
        return _invalid("controller", "bot, human or none")
    async with request.app[HUB_KEY].store.db.connection() as tx:
        found = await store.listing(tx, status=status, controller=controller, limit=200)
    return web.json_response({"conversations": [c.view() for c in found]})


async def get_conversation(request: web.Request) -> web.Response:
    token = request.app[AUTH_KEY].require(request, "customers:read")
    hub = request.app[HUB_KEY]
    conversation_id = request.match_info["conversation_id"]
    async with hub.store.db.connection() as tx:
        found = await store.get(tx, conversation_id)
        messages = await store.messages(tx, conversation_id) if found else []
    if found is None:
        return problem(404, "Not found", detail="no such conversation")
    await hub.audit.record(token.name, "conversation.read", found.customer_id)
    return web.json_response({**found.view(), "events": messages})


Step = Callable[[Any, str, dict[str, Any]], Awaitable[list[str]]]


def _step(run: Step) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        request.app[AUTH_KEY].require(request, "conversations:write")
        body = await read_json(request) if request.can_read_body else {}
        if not isinstance(body, dict):
            return _invalid("(body)", "expected a JSON object")
        board = request.app[HUB_KEY].switchboard
        try:
            ids = await run(board, request.match_info["conversation_id"], body)
        except LookupError:
            return problem(404, "Not found", detail="no such conversation")
        except ControlConflict as exc:
            return problem(409, "Conflict", detail=str(exc))
        except InvalidEvent as exc:
            errors = [FieldError(e.field.removeprefix("data."), e.message) for e in exc.errors]
            return problem(400, "Invalid request", errors=errors)
        except ValueError as exc:
            field, _, message = str(exc).partition(": ")
            return _invalid(field, message)
        answer = {"conversation_id": request.match_info["conversation_id"], "events": ids}
        return web.json_response(answer, status=202)

    return handler


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(key, default)
    if value not in allowed:
        raise ValueError(f"{key}: one of {', '.join(allowed)}")
    return str(value)


async def _handoff(board: Any, cid: str, body: dict[str, Any]) -> list[str]:
    to = _choice(body, "to", CONTROLLERS, "human")
    mode = _choice(body, "mode", ("pass", "offer"), "pass")
    reason = body.get("reason") or "customer_request"
    ids: list[str] = await board.handoff(
        cid, to=to, mode=mode, reason=reason, understanding=body.get("bot_understanding")
    )
    return ids


async def _accept(board: Any, cid: str, body: dict[str, Any]) -> list[str]:
    agent = body.get("agent")
    if not isinstance(agent, dict) or not agent.get("id"):
        raise ValueError('agent: {"id": …, "name": …} of who accepts')
    ids: list[str] = await board.accept(cid, agent)
    return ids


async def _release(board: Any, cid: str, body: dict[str, Any]) -> list[str]:
    ids: list[str] = await board.release(cid)
    return ids


async def _close(board: Any, cid: str, body: dict[str, Any]) -> list[str]:
    ids: list[str] = await board.close(
        cid, resolution=body.get("resolution"), agent=body.get("agent")
    )
    return ids


async def _message(board: Any, cid: str, body: dict[str, Any]) -> list[str]:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text: the message to send")
    author = _choice(body, "author", ("human", "bot"), "human")
    ids: list[str] = await board.reply(cid, text=text, author=author, channel=body.get("channel"))
    return ids


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/conversations", list_conversations)
    app.router.add_get("/api/v1/conversations/{conversation_id}", get_conversation)
    base = "/api/v1/conversations/{conversation_id}"
    for name, run in (
        ("handoff", _handoff),
        ("accept", _accept),
        ("release", _release),
        ("close", _close),
        ("messages", _message),
    ):
        app.router.add_post(f"{base}/{name}", _step(run))
