"""The routes a plugin registers; the HTTP layer mounts them under ``/webhooks/<plugin>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Route:
    method: str
    path: str
    handler: Any


@dataclass
class PluginRoutes:
    """Collects a plugin's routes; the HTTP layer mounts them under /webhooks/<plugin>/."""

    plugin: str
    routes: list[Route] = field(default_factory=list)

    def add_route(self, method: str, path: str, handler: Any) -> None:
        self.routes.append(Route(method.upper(), "/" + path.lstrip("/"), handler))

    def get(self, path: str, handler: Any) -> None:
        self.add_route("GET", path, handler)

    def post(self, path: str, handler: Any) -> None:
        self.add_route("POST", path, handler)
