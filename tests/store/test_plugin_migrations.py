"""Plugins' own tables in the hub's store: declared steps, applied once, names checked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import structlog

from hub import PluginContext, hookimpl
from hub.config import ConfigError, HubConfig
from hub.runtime import Hub
from hub.store import open_store
from hub.store.plugin_migrations import PluginSchemaError, checked_steps, migrate_plugin
from hub.testing import HubFactory, plugin_database

STEPS = [
    """
    CREATE TABLE ledger_entries (
        id TEXT PRIMARY KEY,
        at DOUBLE PRECISION NOT NULL  -- float8 on PostgreSQL; REAL there is float4
    );
    CREATE INDEX ledger_entries_at ON ledger_entries (at);
    """,
    "ALTER TABLE ledger_entries ADD COLUMN note TEXT",
]


class LedgerPlugin:
    def __init__(self, steps: list[str]):
        self.steps = steps

    @hookimpl
    def hub_store_migrations(self) -> list[str]:
        return self.steps

    @hookimpl
    async def hub_startup(self, context: PluginContext) -> None:
        async with context.database.transaction() as tx:
            await tx.execute(
                "INSERT INTO ledger_entries (id, at, note) VALUES (?, ?, ?)", "a", 1.5, "x"
            )


async def versions(url: str, plugin: str) -> list[int]:
    store = open_store(url)
    await store.open()
    try:
        async with store.db.connection() as tx:
            rows = await tx.fetch(
                "SELECT version FROM plugin_migrations WHERE plugin = ? ORDER BY 1", plugin
            )
    finally:
        await store.close()
    return [int(v) for (v,) in rows]


async def test_hubs_starting_together_apply_each_step_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        applied = await asyncio.gather(*(migrate_plugin(s.db, "ledger", STEPS) for s in stores))
        assert applied == [2, 2, 2]
        # A later version appends a step: only that one runs.
        more = [*STEPS, "CREATE INDEX ledger_entries_note ON ledger_entries (note)"]
        assert await migrate_plugin(stores[0].db, "ledger", more) == 3
        async with stores[1].db.transaction() as tx:
            await tx.execute("INSERT INTO ledger_entries VALUES (?, ?, ?)", "b", 2.25, None)
            assert await tx.fetch("SELECT at FROM ledger_entries") == [(2.25,)]
    finally:
        for s in stores:
            await s.close()
    assert await versions(store_url, "ledger") == [1, 2, 3]


@pytest.mark.parametrize(
    ("step", "culprit"),
    [
        ("CREATE TABLE customers_extra (id TEXT)", "'customers_extra'"),
        ("CREATE INDEX ledger_x ON customers (id)", "'customers'"),
        ("CREATE INDEX by_at ON ledger_entries (at)", "'by_at'"),
        ("ALTER TABLE ledger_entries RENAME TO entries", "'entries'"),
        ("DROP TABLE claims", "'claims'"),
        ("UPDATE traits SET value = ''", "'traits'"),
        ('CREATE TABLE "public".ledger_x (id TEXT)', "starts with"),
        ('CREATE TABLE "ledger_x".other (id TEXT)', "starts with"),
        ("CREATE TRIGGER ledger_t AFTER INSERT ON ledger_entries BEGIN SELECT 1; END", "starts"),
        ("GRANT ALL ON ledger_entries TO someone", "starts with 'GRANT ALL ON'"),
    ],
)
def test_steps_may_name_only_the_plugins_own_tables(step: str, culprit: str) -> None:
    with pytest.raises(PluginSchemaError, match=r"plugins\.ledger: store migration 2") as caught:
        checked_steps("ledger", [STEPS[0], step])
    assert culprit in str(caught.value)


def test_a_plugin_name_becomes_a_sql_prefix() -> None:
    assert checked_steps("surveys-common", ["CREATE TABLE surveys_common_x (id TEXT)"])
    with pytest.raises(PluginSchemaError, match="list of SQL strings"):
        checked_steps("ledger", "CREATE TABLE ledger_x (id TEXT)")


def test_the_hub_refuses_to_start_a_plugin_naming_core_tables(tmp_path: Path) -> None:
    config = HubConfig.model_validate(
        {"hub": {"data_dir": str(tmp_path)}, "plugins": {"ledger": {}}}
    )
    plugin = LedgerPlugin(["CREATE TABLE customers (id TEXT)"])
    with pytest.raises(ConfigError, match=r"plugins.ledger: store migration 1 names 'customers'"):
        Hub(config, extra_plugins={"ledger": plugin}, discover=False)


async def test_a_failing_step_stops_the_hub_and_applies_nothing(
    tmp_path: Path, store_url: str
) -> None:
    config = HubConfig.model_validate(
        {
            "hub": {"data_dir": str(tmp_path)},
            "store": {"url": store_url},
            "plugins": {"ledger": {}},
        }
    )
    broken = LedgerPlugin([STEPS[0], "ALTER TABLE ledger_entries ADD COLUMN at TEXT"])
    hub = Hub(config, extra_plugins={"ledger": broken}, discover=False)
    with pytest.raises(ConfigError, match=r"plugins\.ledger: its store migrations failed"):
        await hub.start()
    assert await versions(store_url, "ledger") == []


async def test_a_plugin_uses_its_tables_through_context_database(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(plugins={"ledger": LedgerPlugin(STEPS)}, store={"url": store_url})
    database = harness.hub.contexts["ledger"].database
    assert database.dialect == harness.hub.store.db.dialect
    async with database.connection() as tx:
        assert await tx.fetch("SELECT id, at, note FROM ledger_entries") == [("a", 1.5, "x")]
    assert not hasattr(database, "close")  # the store's life cycle is the hub's


async def test_a_hand_made_context_has_no_database(store_url: str, tmp_path: Path) -> None:
    async def publish(events: Any) -> list[str]:
        return []

    context = PluginContext("ledger", {}, tmp_path, publish, structlog.get_logger(), None)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=r"hub\.testing\.plugin_database"):
        context.database.transaction()
    async with (
        plugin_database(LedgerPlugin(STEPS), "ledger", store_url) as database,
        database.transaction() as tx,
    ):
        await tx.execute("INSERT INTO ledger_entries (id, at) VALUES (?, ?)", "c", 3.0)
    assert await versions(store_url, "ledger") == [1, 2]
