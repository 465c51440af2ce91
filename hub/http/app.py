"""The aiohttp application: health, metrics, the API and plugin webhooks."""

from __future__ import annotations

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from omnihub_contracts import InvalidEvent

from ..broker import BrokerUnavailable
from ..config import SCOPES, ConfigError
from ..publishing import PartialPublish
from ..runtime import Hub
from . import (
    api,
    consent_api,
    conversations_api,
    customers,
    external_api,
    health,
    privacy_api,
)
from .auth import Forbidden, TokenAuth, Unauthorized
from .keys import AUTH_KEY, HUB_KEY
from .problem import problem

log = structlog.get_logger("hub.http")


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into problem+json; never leak a traceback to the caller."""
    try:
        return await handler(request)
    except InvalidEvent as exc:
        return problem(400, "Invalid event", errors=exc.errors)
    except Unauthorized as exc:
        return problem(401, "Unauthorized", detail=str(exc), headers={"WWW-Authenticate": "Bearer"})
    except Forbidden as exc:
        return problem(403, "Forbidden", detail=str(exc))
    except PartialPublish as exc:
        return problem(
            503,
            "Broker unavailable",
            detail="not all events were accepted: resend the batch with these ids "
            "(the hub drops the ones it already has)",
            headers={"Retry-After": str(int(exc.retry_after))},
            ids=exc.ids,
            confirmed=exc.confirmed,
        )
    except BrokerUnavailable as exc:
        return problem(
            503,
            "Broker unavailable",
            detail="nothing was accepted; retry later",
            headers={"Retry-After": str(int(exc.retry_after))},
        )
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[HUB_KEY].config.http.max_body_bytes
        return problem(413, "Payload too large", detail=f"the limit is {limit} bytes")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(
            exc.status,
            exc.reason,
            headers={k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")},
        )
    except Exception:
        log.exception("request_failed", path=request.path)
        return problem(500, "Internal error")


def _mount_plugin_routes(app: web.Application, hub: Hub) -> None:
    for plugin, collected in sorted(hub.routes.items()):
        for route in collected.routes:
            path = f"/webhooks/{plugin}{route.path}"
            app.router.add_route(route.method, path, route.handler)
            if route.path == "/":  # the plugin's root answers with and without the slash
                app.router.add_route(route.method, path.rstrip("/"), route.handler)


def _mount_plugin_api(app: web.Application, hub: Hub) -> None:
    taken = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    for plugin, collected in sorted(hub.routes.items()):
        for route in collected.api_routes:
            path = f"/api/v1{route.path}"
            if (route.method, path) in taken:
                raise ConfigError(f"plugins.{plugin}: {route.method} {path} is the hub's own")
            if route.scope not in SCOPES:
                raise ConfigError(f"plugins.{plugin}: unknown scope {route.scope!r} for {path}")
            app.router.add_route(route.method, path, _scoped(route.handler, str(route.scope)))


def _scoped(handler: Handler, scope: str) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        request.app[AUTH_KEY].require(request, scope)
        return await handler(request)

    return checked


def build_app(hub: Hub) -> web.Application:
    app = web.Application(middlewares=[problems], client_max_size=hub.config.http.max_body_bytes)
    app[HUB_KEY] = hub
    app[AUTH_KEY] = TokenAuth(hub.config.api.tokens)
    health.add_routes(app)
    api.add_routes(app)
    customers.add_routes(app)
    consent_api.add_routes(app)
    external_api.add_routes(app)
    conversations_api.add_routes(app)
    privacy_api.add_routes(app)
    _mount_plugin_routes(app, hub)
    _mount_plugin_api(app, hub)
    return app
