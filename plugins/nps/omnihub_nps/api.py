"""``POST /api/v1/surveys`` (ask on demand) and ``GET /api/v1/nps`` (scores), behind the
hub's tokens (scopes ``conversations:write`` and ``customers:read``); also at
``/webhooks/nps/surveys`` and ``/webhooks/nps/scores`` with the plugin's ``api_token``.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from hub import PluginContext

from .scores import GROUPS, summarise
from .surveys import Nps, Trigger, schedule

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response(body, status=status, content_type=PROBLEM_JSON, headers=headers)


class NpsApi:
    """``behind_hub``: served under /api/v1, where the hub has checked its own token."""

    def __init__(self, context: PluginContext, *, behind_hub: bool = False):
        self.context = context
        self.behind_hub = behind_hub
        token = context.config.api_token
        self.token = token.get_secret_value().encode() if token is not None else None

    def _authorised(self, request: web.Request) -> bool:
        if self.behind_hub:
            return True
        if self.token is None:
            return False
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), self.token)

    @property
    def nps(self) -> Nps:
        nps: Nps = self.context.state["nps"]
        return nps

    async def ask(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return problem(401, "Unauthorized", "Authorization: Bearer <plugins.nps.api_token>")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("customer_id"), str):
            return problem(400, "Invalid request", 'expected {"customer_id": "…"}')
        channel, delay = body.get("channel"), body.get("delay_seconds", 0)
        if channel is not None and not isinstance(channel, str):
            return problem(400, "Invalid request", "channel: a channel name such as whatsapp")
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            return problem(400, "Invalid request", "delay_seconds: a number >= 0")
        key = body.get("request_id")  # the caller's idempotency key: a retry asks once
        key = f"api:{key}" if isinstance(key, str) and key else str(uuid.uuid4())
        trigger = Trigger("on_demand", key, channel=channel, delay=float(delay))
        survey, outcome = await schedule(self.nps, body["customer_id"], trigger)
        if survey is None:
            detail = f"not asked: {outcome}"
            return problem(409, "Conflict", detail, reason=outcome)
        return web.json_response({"survey_id": survey.survey_id, "status": outcome}, status=202)

    async def scores(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return problem(401, "Unauthorized", "Authorization: Bearer <plugins.nps.api_token>")
        now = self.nps.clock()
        try:
            until = _time(request.query.get("until"), now)
            since = _time(request.query.get("since"), until - timedelta(days=30))
        except ValueError as exc:
            return problem(400, "Invalid request", str(exc))
        group_by = request.query.get("group_by") or None
        if group_by is not None and group_by not in GROUPS:
            return problem(400, "Invalid request", f"group_by: one of {', '.join(GROUPS)}")
        surveys = await self.nps.store.requested(since.timestamp(), until.timestamp())
        answer = summarise(surveys, group_by)
        counters = await self.nps.store.counters()
        answer |= {"since": since.isoformat(), "until": until.isoformat()}
        answer["skipped"] = counters.get("skipped", {})
        answer["deferred"] = counters.get("deferred", {})
        answer["ended"] = counters.get("ended", {})
        return web.json_response(answer)


def _time(value: str | None, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is no ISO 8601 time (e.g. 2025-01-31T00:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
