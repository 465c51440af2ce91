"""Plugins may serve API routes under /api/v1, behind the hub's tokens and scopes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from hub import ConfigError, hookimpl
from hub.testing import ADMIN_TOKEN, HubFactory

READER = "reader-token-of-some-length"
TOKENS = {
    "tokens": [
        {"name": "admin", "token": ADMIN_TOKEN, "scopes": ["admin"]},
        {"name": "reader", "token": READER, "scopes": ["customers:read"]},
    ]
}


class Scores:
    def __init__(self, path: str = "scores", scope: str = "audit:read"):
        self.path, self.scope = path, scope

    @hookimpl
    def hub_register_routes(self, router: Any) -> None:
        async def scores(request: web.Request) -> web.Response:
            return web.json_response({"nps": 42})

        router.api("GET", self.path, scores, scope=self.scope)


async def test_the_core_checks_the_scope_before_the_plugin_runs(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins={"scores": Scores()}, api=TOKENS)
    ok = await harness.client.get("/api/v1/scores", headers=harness.auth)
    assert (ok.status, await ok.json()) == (200, {"nps": 42})
    assert (await harness.client.get("/api/v1/scores")).status == 401
    reader = {"Authorization": f"Bearer {READER}"}
    assert (await harness.client.get("/api/v1/scores", headers=reader)).status == 403


@pytest.mark.parametrize(
    ("plugin", "message"),
    [(Scores(path="events", scope="admin"), "hub's own"), (Scores(scope="x"), "unknown scope")],
)
async def test_a_plugin_cannot_take_a_core_path_or_invent_a_scope(
    hub_factory: HubFactory, plugin: Scores, message: str
) -> None:
    from hub.http import build_app

    harness = await hub_factory(plugins={"scores": Scores(path="ok")})
    routes = harness.hub.routes["scores"]
    routes.api_routes.clear()
    method = "POST" if message == "hub's own" else "GET"  # POST /api/v1/events is the core's
    routes.api(method, plugin.path, lambda request: request, scope=plugin.scope)
    with pytest.raises(ConfigError, match=message):
        build_app(harness.hub)
