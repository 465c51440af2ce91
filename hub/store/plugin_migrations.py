"""Plugins' own tables in the hub's store (``hub_store_migrations``).

A plugin declares its schema as ordered steps of SQL that runs unchanged on SQLite and
PostgreSQL. Each step is applied once, in order, under the same schema lock as the core's
migrations, and recorded in ``plugin_migrations`` (plugin, version): hubs starting together
never apply a step twice. Every table and index a step names must start with the plugin's
prefix (``nps_`` for ``nps``), so plugins never touch the core's tables or each other's;
this is a guard against mistakes, not a sandbox: a plugin runs in the hub's process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from .database import Database
from .migrations import lock_schema, statements

# A name, quoted or not, and never schema-qualified (``other.table`` matches no kind).
_NAME = r'(?P<{0}>"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?![.\w$"])'
_EXISTS = r"(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"
# Each statement kind a step may hold, with the object names it must own.
_KINDS = [
    re.compile(rf"CREATE\s+(?:UNIQUE\s+)?INDEX\s+{_EXISTS}{_NAME.format('index')}\s+ON\s+"
               + _NAME.format("table"), re.I),
    re.compile(rf"CREATE\s+TABLE\s+{_EXISTS}{_NAME.format('table')}", re.I),
    re.compile(rf"ALTER\s+TABLE\s+{_EXISTS}{_NAME.format('table')}", re.I),
    re.compile(rf"DROP\s+(?:TABLE|INDEX)\s+{_EXISTS}{_NAME.format('table')}", re.I),
    re.compile(rf"(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+{_NAME.format('table')}", re.I),
]  # fmt: skip
_RENAME = re.compile(rf"\bRENAME\s+TO\s+{_NAME.format('table')}", re.I)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
ALLOWED = (
    "CREATE TABLE, CREATE [UNIQUE] INDEX, ALTER TABLE, DROP TABLE, DROP INDEX, "
    "INSERT INTO, UPDATE, DELETE FROM"
)


class PluginSchemaError(ValueError):
    """A plugin's migration steps are refused; the message names plugin and step."""


def table_prefix(plugin: str) -> str:
    """``nps`` → ``nps_``; characters SQL names cannot hold become ``_``."""
    return re.sub(r"[^a-z0-9_]", "_", plugin.lower()) + "_"


def step_statements(step: str) -> list[str]:
    """A step's statements, comments removed (no ``;`` or ``--`` inside literals)."""
    return statements(_COMMENT.sub(" ", step))


def checked_steps(plugin: str, steps: object) -> list[str]:
    """The steps ``hub_store_migrations`` returned, once they are known to be well formed."""
    if not isinstance(steps, Sequence) or isinstance(steps, str | bytes):
        raise PluginSchemaError(
            f"plugins.{plugin}: hub_store_migrations must return a list of SQL strings"
        )
    prefix = table_prefix(plugin)
    for version, step in enumerate(steps, start=1):
        if not isinstance(step, str) or not step_statements(step):
            raise PluginSchemaError(f"plugins.{plugin}: store migration {version} is no SQL")
        for statement in step_statements(step):
            for name in _names(plugin, version, statement):
                if not name.lower().startswith(prefix):
                    raise PluginSchemaError(
                        f"plugins.{plugin}: store migration {version} names {name!r}; the "
                        f"tables and indexes of plugin {plugin!r} must start with {prefix!r}"
                    )
    return list(steps)


def _names(plugin: str, version: int, statement: str) -> list[str]:
    for kind in _KINDS:
        found = kind.match(statement)
        if found:
            names = list(found.groupdict().values())
            names += [m.group("table") for m in _RENAME.finditer(statement)]
            return [name.strip('"') for name in names]
    first = " ".join(statement.split()[:3])
    raise PluginSchemaError(
        f"plugins.{plugin}: store migration {version} starts with {first!r}; a step may "
        f"hold only {ALLOWED} statements on the plugin's own tables"
    )


async def migrate_plugin(db: Database, plugin: str, steps: Sequence[str]) -> int:
    """Apply the plugin's pending steps (checked with :func:`checked_steps`); returns how
    many steps the store has applied for it (more than ``steps`` after a downgrade)."""
    async with db.transaction() as tx:
        await lock_schema(tx)
        applied = await tx.fetch("SELECT version FROM plugin_migrations WHERE plugin = ?", plugin)
        current = max((int(v) for (v,) in applied), default=0)
        for version, step in enumerate(steps[current:], start=current + 1):
            for statement in step_statements(step):
                await tx.execute(statement)
            await tx.execute(
                "INSERT INTO plugin_migrations (plugin, version, applied_at) VALUES (?, ?, ?)",
                plugin,
                version,
                time.time(),
            )
        return max(current, len(steps))
