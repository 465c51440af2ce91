"""The hub's store for a plugin's unit tests, where the plugin builds its context by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..plugin_store import collect_migrations, migrate_plugins
from ..plugins import PluginInfo, PluginSet, new_manager, register_plugin
from ..store import open_store
from ..store.database import PluginDatabase, SharedDatabase


@asynccontextmanager
async def plugin_database(plugin: object, name: str, url: str) -> AsyncIterator[PluginDatabase]:
    """The store at ``url`` (e.g. the ``store_url`` fixture's) with the core's migrations
    and ``plugin``'s ``hub_store_migrations`` applied, as ``context.database`` would be::

        async with plugin_database(my_plugin, "mine", store_url) as db:
            context = PluginContext("mine", config, tmp_path, publish, log, customers,
                                    database=db)
    """
    info = PluginInfo(name, "0", "(test)", plugin, enabled=True)
    manager = new_manager()
    if not register_plugin(manager, info):
        raise ValueError(f"plugin {name!r}: {info.error}")
    migrations = collect_migrations(PluginSet(manager, {name: info}))
    store = open_store(url)
    await store.open()
    try:
        await migrate_plugins(store.db, migrations)
        yield SharedDatabase(store.db)
    finally:
        await store.close()
