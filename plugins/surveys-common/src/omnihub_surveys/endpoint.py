"""The webhook answer flow every survey tool shares.

Size, then the tool's signature over the raw bytes (401, nothing published), then JSON (400),
then the mapping: each response becomes a ``survey.responded`` or is ignored with a reason.
The answer is 200 only once ``context.publish`` returned; 503 + Retry-After when the broker
is away, so the tool delivers again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from aiohttp import web
from omnihub_contracts import CloudEvent

from hub import BrokerUnavailable, PluginContext

from .answer import Ignored, Malformed, SurveyAnswer

PROBLEM_JSON = "application/problem+json"

Verifier = Callable[[bytes, Mapping[str, str]], bool]
Mapper = Callable[[Any], list["SurveyAnswer | Ignored"]]

log = structlog.get_logger("omnihub_surveys")


def problem(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An RFC 9457 answer, the shape the rest of the hub uses."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return web.json_response(body, status=status, content_type=PROBLEM_JSON, headers=headers)


class BodyTooLarge(Exception):
    pass


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes before reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python takes them, JSON not


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed("the body is not valid JSON") from exc


class SurveyWebhook:
    """``POST /webhooks/<tool>``: ``verify`` checks the signature, ``to_answers`` maps."""

    def __init__(
        self, context: PluginContext, verify: Verifier, to_answers: Mapper, signature: str
    ):
        self.context = context
        self.verify = verify
        self.to_answers = to_answers
        self.signature = signature  # the header(s) named in a 401

    async def receive(self, request: web.Request) -> web.StreamResponse:
        tool = self.context.name
        limit: int = self.context.config.max_body_bytes
        try:
            body = await read_body(request, limit)
        except BodyTooLarge:
            return problem(413, "Payload too large", f"the limit is {limit} bytes")
        if not self.verify(body, request.headers):
            log.warning("survey_webhook_signature_refused", tool=tool, size=len(body))
            return problem(401, "Unauthorized", f"{self.signature} does not sign the body")
        try:
            outcomes = self.to_answers(parse_json(body))
        except Malformed as exc:
            log.info("survey_webhook_malformed", tool=tool, size=len(body))
            return problem(400, "Bad request", str(exc))
        events, ignored = self._events(outcomes)
        if events:
            try:
                await self.context.publish(events)
            except BrokerUnavailable as exc:
                retry_after = str(max(1, math.ceil(exc.retry_after)))
                detail = f"nothing was lost: {tool} delivers this webhook again"
                return problem(503, "Broker unavailable", detail, {"Retry-After": retry_after})
        log.info("survey_webhook_accepted", tool=tool, events=len(events), ignored=ignored)
        answer: dict[str, Any] = {"accepted": len(events)}
        if ignored:
            answer["ignored"] = ", ".join(dict.fromkeys(ignored))
        return web.json_response(answer)

    def _events(self, outcomes: list[SurveyAnswer | Ignored]) -> tuple[list[CloudEvent], list[str]]:
        events: list[CloudEvent] = []
        ignored: list[str] = []
        for outcome in outcomes:
            try:
                if isinstance(outcome, Ignored):
                    raise outcome
                events.append(outcome.to_event())
            except Ignored as skip:
                ignored.append(skip.reason)
        return events, ignored
