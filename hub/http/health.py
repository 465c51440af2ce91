"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import contextlib

from aiohttp import web

from .keys import HUB_KEY


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    checks = await hub.readiness()
    ready = hub.started and all(c.ok for c in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
    }
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    # A scrape still answers with what it has while the broker is down.
    with contextlib.suppress(Exception):
        hub.metrics.update_queue_depths(await hub.broker.queue_depths())
    payload, content_type = hub.metrics.render()
    response = web.Response(body=payload)
    response.headers["Content-Type"] = content_type
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
