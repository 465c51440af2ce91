"""Fixtures of the NPS tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from omnihub_nps import NpsPlugin

from hub import PluginDatabase
from hub.testing import plugin_database


@pytest.fixture
async def database(store_url: str) -> AsyncIterator[PluginDatabase]:
    """The hub's store with the plugin's tables (SQLite and PostgreSQL)."""
    async with plugin_database(NpsPlugin(), "nps", store_url) as opened:
        yield opened
