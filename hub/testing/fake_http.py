"""Fake HTTP services for plugin tests: a CRM's, a help desk's or an LLM's API served on a
local port by a handler of the test's own, closed when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Serve(Protocol):
    async def __call__(
        self, handler: Handler, *, method: str = "*", path: str = "/{tail:.*}"
    ) -> TestServer: ...


@asynccontextmanager
async def fake_http_servers() -> AsyncIterator[Serve]:
    """``await serve(handler)`` answers every method and path with ``handler`` on a port of
    its own (``server.make_url(...)``); ``method=``/``path=`` narrow it to one route. Every
    server started in the block closes when it ends."""
    servers: list[TestServer] = []

    async def serve(handler: Handler, *, method: str = "*", path: str = "/{tail:.*}") -> TestServer:
        app = web.Application()
        app.router.add_route(method, path, handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return server

    try:
        yield serve
    finally:
        for server in servers:
            await server.close()
