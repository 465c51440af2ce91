"""The routes a plugin registers; the HTTP layer mounts them under ``/webhooks/<plugin>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Route:
    method: str
    path: str
    handler: Any
    scope: str | None = None  # set for API routes: the token scope the core checks


@dataclass
class PluginRoutes:
    """Collects a plugin's routes; the HTTP layer mounts them under /webhooks/<plugin>/."""

    plugin: str
    routes: list[Route] = field(default_factory=list)
    api_routes: list[Route] = field(default_factory=list)

    def add_route(self, method: str, path: str, handler: Any) -> None:
        self.routes.append(Route(method.upper(), "/" + path.lstrip("/"), handler))

    def get(self, path: str, handler: Any) -> None:
        self.add_route("GET", path, handler)

    def post(self, path: str, handler: Any) -> None:
        self.add_route("POST", path, handler)

    def api(self, method: str, path: str, handler: Any, *, scope: str) -> None:
        """A route under ``/api/v1/`` (e.g. ``"nps"`` → ``/api/v1/nps``); the core checks
        the bearer token for ``scope`` before the handler runs."""
        self.api_routes.append(Route(method.upper(), "/" + path.lstrip("/"), handler, scope))
