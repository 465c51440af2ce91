from __future__ import annotations

from aiohttp import web

from ..runtime import Hub
from .auth import TokenAuth

HUB_KEY = web.AppKey("hub", Hub)
AUTH_KEY = web.AppKey("auth", TokenAuth)
