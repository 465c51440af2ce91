"""``POST /webhooks/hubspot``: HubSpot's webhook deliveries, verified, then published."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from hub import CloudEvent, PluginContext

from .config import HubSpotConfig
from .inbound import HubSpotEvent, Translator
from .signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, InvalidSignature, public_uri, verify_v3


def _problem(status: int, title: str, detail: str) -> web.Response:
    return web.json_response(
        {"title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def receiver(context: PluginContext) -> Any:
    config: HubSpotConfig = context.config
    assert config.client_secret is not None
    secret = config.client_secret.get_secret_value()
    translator = Translator(config, context.customers)

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify_v3(
                secret,
                method=request.method,
                uri=public_uri(request, config.webhook_url),
                body=body,
                timestamp=request.headers.get(TIMESTAMP_HEADER),
                signature=request.headers.get(SIGNATURE_HEADER),
            )
        except InvalidSignature as exc:
            context.log.warning("hubspot_request_rejected", reason=str(exc))
            return _problem(401, "Invalid signature", str(exc))
        try:
            items = json.loads(body)
        except ValueError:
            items = None
        if not isinstance(items, list):
            return _problem(400, "Bad request", "the body must be a JSON array of events")
        events: list[CloudEvent] = []
        skipped = 0
        for item in items:
            try:
                events += await translator.translate(HubSpotEvent.model_validate(item))
            except ValidationError as exc:
                # One malformed element must not make HubSpot resend the good ones forever.
                skipped += 1
                fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
                context.log.warning("hubspot_event_skipped", fields=fields)
        if events:
            await context.publish(events)  # returns once the broker confirmed them
        context.log.info(
            "hubspot_delivery", received=len(items), published=len(events), skipped=skipped
        )
        return web.json_response({"published": len(events), "skipped": skipped})

    return receive
