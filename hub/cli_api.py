"""What a plugin's CLI command gets: the config and a client for the running hub's API."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError

from .config import ConfigError, HubConfig, describe, load_config

M = TypeVar("M", bound=BaseModel)

DEFAULT_CONFIG = "hub.toml"


class ApiError(Exception):
    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body
        detail = body.get("detail") or body.get("title") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}")


@dataclass
class ApiClient:
    """A small synchronous client for ``/api/v1`` (the CLI needs nothing more)."""

    base_url: str
    token: str | None
    timeout: float = 30.0

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url.rstrip("/") + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                parsed: Any = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise ApiError(exc.code, parsed) from None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body if body is not None else {})


@dataclass
class CliContext:
    config_path: Path
    token: str | None = None
    api_url: str | None = None

    def load_config(self) -> HubConfig:
        path = self.config_path if self.config_path.exists() else None
        if path is None and str(self.config_path) != DEFAULT_CONFIG:
            return load_config(self.config_path)  # named explicitly: missing is an error
        return load_config(path)

    def plugin_config(self, name: str, model: type[M]) -> M:
        """The plugin's ``[plugins.<name>]`` table validated by ``model``.

        Raises ConfigError naming plugin and field, as ``omnihub run`` would.
        """
        table = self.load_config().plugin_table(name)
        try:
            return model.model_validate(table)
        except ValidationError as exc:
            raise ConfigError(describe(exc, prefix=f"plugins.{name}")) from None

    def plugin_data_dir(self, name: str) -> Path:
        """The directory the running hub gives the plugin (``PluginContext.data_dir``)."""
        return self.load_config().hub.data_dir / name

    def api(self, scope: str) -> ApiClient:
        """A client for the hub this config describes, with a token holding ``scope``.

        ``--api-url`` and ``--token`` (or their environment variables) win; the config is
        read only for what they leave open.
        """
        url = self.api_url or os.environ.get("OMNIHUB_API_URL")
        token = self.token or os.environ.get("OMNIHUB_API_TOKEN")
        if url and token:
            return ApiClient(url, token)
        config = self.load_config()
        if url is None:
            host = config.http.host if config.http.host not in ("0.0.0.0", "::") else "127.0.0.1"
            url = f"http://{host}:{config.http.port}"
        if token is None:
            for candidate in config.api.tokens:
                if scope in candidate.scopes or "admin" in candidate.scopes:
                    token = candidate.token.get_secret_value()
                    break
        return ApiClient(url, token)


def echo_list(
    items: list[dict[str, Any]],
    *,
    as_json: bool,
    empty: str,
    lines: Callable[[dict[str, Any]], list[str]],
) -> None:
    """What a ``list`` command prints: the items as JSON, or ``lines(item)`` for each
    (``empty`` when there is none)."""
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo(empty)
    for item in items:
        for line in lines(item):
            click.echo(line)
