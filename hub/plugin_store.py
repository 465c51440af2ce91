"""Plugins' tables in the hub's store: collect each plugin's steps, apply them at start."""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from .config import ConfigError
from .plugins import PluginSet
from .store.database import Database
from .store.plugin_migrations import PluginSchemaError, checked_steps, migrate_plugin

log = structlog.get_logger("hub.plugin_store")


def collect_migrations(plugins: PluginSet) -> dict[str, list[str]]:
    """Each enabled plugin's ``hub_store_migrations`` steps, checked (no I/O)."""
    found: dict[str, list[str]] = {}
    for info in plugins.enabled:
        steps = plugins.call("hub_store_migrations", info)
        if steps is None:
            continue
        try:
            found[info.name] = checked_steps(info.name, steps)
        except PluginSchemaError as exc:
            raise ConfigError(str(exc)) from None
    return found


async def migrate_plugins(db: Database, migrations: Mapping[str, list[str]]) -> None:
    """Apply every plugin's pending steps; a failing step names its plugin."""
    for plugin, steps in migrations.items():
        try:
            applied = await migrate_plugin(db, plugin, steps)
        except Exception as exc:  # rolled back: the plugin's steps apply all or none
            raise ConfigError(
                f"plugins.{plugin}: its store migrations failed: {type(exc).__name__}: {exc}"
            ) from exc
        if applied > len(steps):
            # A newer version of the plugin ran on this store; its steps only add, so an
            # older one keeps working: say so rather than refuse to start.
            log.warning("plugin_schema_newer", plugin=plugin, store=applied, known=len(steps))
