"""The webhook endpoint of a Meta channel: subscription handshake and signed deliveries.

``GET``  answers Meta's ``hub.mode=subscribe`` handshake with the challenge.
``POST`` checks size, then the signature over the raw bytes, then parses JSON, maps, and
answers 200 only once ``context.publish`` returned (the broker confirmed every event).
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from aiohttp import web

from hub import BrokerUnavailable, PluginContext

from .config import MetaChannelConfig
from .events import Envelope
from .http import BodyTooLarge, problem, read_body
from .mapping import Mapper, WebhookItem
from .signature import SIGNATURE_HEADER, verify

log = structlog.get_logger("omnihub_meta.webhook")

ItemsOf = Callable[[dict[str, Any], Envelope], Iterable[WebhookItem]]


class NotJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotJson("the body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise NotJson("the body must be a JSON object")
    return payload


class WebhookEndpoint:
    def __init__(self, context: PluginContext, items_of: ItemsOf):
        self.context = context
        self.channel = context.name
        self.items_of = items_of
        self.mapper = Mapper(context.name)

    @property
    def config(self) -> MetaChannelConfig:
        config: MetaChannelConfig = self.context.config
        return config

    async def verify(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        token = query.get("hub.verify_token", "")
        expected = self.config.verify_token.get_secret_value()
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), expected.encode()
        ):
            log.info("webhook_verification_refused", channel=self.channel)
            return problem(403, "Forbidden", detail="hub.mode or hub.verify_token is wrong")
        challenge = query.get("hub.challenge")
        if not challenge:
            return problem(400, "Bad request", detail="hub.challenge is missing")
        return web.Response(text=challenge, content_type="text/plain")

    async def receive(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_body(request, self.config.max_body_bytes)
        except BodyTooLarge as exc:
            return problem(413, "Payload too large", detail=str(exc))
        secret = self.config.app_secret.get_secret_value()
        if not verify(secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("webhook_signature_refused", channel=self.channel, size=len(body))
            return problem(401, "Unauthorized", detail=f"{SIGNATURE_HEADER} does not sign the body")
        try:
            payload = parse_json(body)
        except NotJson as exc:
            return problem(400, "Bad request", detail=str(exc))
        try:
            events = self.mapper.events(self._items(payload))
        except ValueError as exc:
            log.error("webhook_unprocessable", channel=self.channel, error=str(exc))
            return problem(400, "Unprocessable webhook", detail=str(exc))
        if events:
            try:
                await self.context.publish(events)
            except BrokerUnavailable as exc:
                retry_after = str(max(1, math.ceil(exc.retry_after)))
                return problem(
                    503,
                    "Broker unavailable",
                    detail="nothing was lost: Meta delivers this webhook again",
                    headers={"Retry-After": retry_after},
                )
        log.info("webhook_accepted", channel=self.channel, events=len(events))
        return web.json_response({"accepted": len(events)})

    def _items(self, payload: dict[str, Any]) -> list[WebhookItem]:
        envelope = Envelope(self.channel, self.config.account_id)
        try:
            return list(self.items_of(payload, envelope))
        except Exception as exc:  # a bug while walking the payload: keep the whole of it
            log.warning("webhook_walk_failed", channel=self.channel, error=type(exc).__name__)
            return [WebhookItem(envelope, "payload", None, payload, reason="mapping_failed")]
