"""Every hook a plugin can implement. Each says when it is called and what it may return.

Plugins implement hooks with ``from hub import hookimpl``. A hook may return a value or an
awaitable; the hub awaits it. Hooks that receive ``context`` get the plugin's own
:class:`hub.PluginContext`, so ``context.config`` is that plugin's validated table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import click
import pluggy
from omnihub_contracts import EventType
from pydantic import BaseModel

from .plugin_api import (
    Consumer,
    ErasureReceipt,
    ErasureRequest,
    Health,
    PluginContext,
    PluginRouter,
)

hookspec = pluggy.HookspecMarker("omnihub")
hookimpl = pluggy.HookimplMarker("omnihub")


@hookspec
def hub_config_model() -> type[BaseModel] | None:
    """Return the pydantic model of the plugin's ``[plugins.<name>]`` table.

    Called once at start, before any other hook. The table (after ``${ENV}``
    substitution) is validated against it; an error names plugin and field and stops the
    hub. Return None to receive the raw table as a dict. Since 0.1.
    """


@hookspec
def hub_store_migrations() -> Sequence[str] | None:
    """Return the plugin's tables in the hub's store, as ordered migration steps.

    Each step is SQL that runs unchanged on SQLite and PostgreSQL (one or more statements
    separated by ``;``; ``DOUBLE PRECISION`` for times). Only append steps: at start each
    pending step is applied once, in order, across all hub processes, and recorded per
    plugin. Tables and indexes must be named with the plugin's prefix (``nps_…`` for
    ``nps``); a step naming anything else, or holding a statement other than CREATE/ALTER/
    DROP TABLE or INDEX and INSERT/UPDATE/DELETE, stops the hub naming plugin and step.
    Use the tables through ``context.database``. Called once when the hub is built, for
    enabled plugins. Since 0.2.
    """


@hookspec
def hub_register_event_types(register: Callable[[EventType], None]) -> None:
    """Register extra event types with ``register(EventType(name, model))``.

    Names must start with a namespace of the plugin's own (not ``customer``, ``consent``,
    ``message``, ``conversation``, ``survey`` or ``order``). Called at start for enabled
    plugins. Since 0.1.
    """


@hookspec
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    """Subscribe to events with ``register(Consumer(name, patterns, handler, ...))``.

    Called at start for enabled plugins. Each consumer gets its own durable queue
    ``omnihub.<name>``, retry schedule and dead-letter queue; a duplicate name stops the
    hub, naming both plugins. Since 0.1.
    """


@hookspec
def hub_register_routes(router: PluginRouter, context: PluginContext) -> None:
    """Add HTTP routes (webhooks) under ``/webhooks/<plugin>/``.

    Called at start for enabled plugins. A handler that lets ``hub.BrokerUnavailable``
    escape is answered 503 with ``Retry-After``. Since 0.1.
    """


@hookspec
def hub_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``omnihub`` CLI (e.g. ``omnihub replay``).

    Called for every installed plugin when the CLI starts; ``click.get_current_context().obj``
    is a :class:`hub.cli_api.CliContext` giving the config and an API client. Since 0.1.
    """


@hookspec
def hub_startup(context: PluginContext) -> Awaitable[None] | None:
    """Called once the broker and store are up, before consumers start. Since 0.1."""


@hookspec
def hub_shutdown(context: PluginContext) -> Awaitable[None] | None:
    """Called after consumers drained, before the broker closes. Since 0.1."""


@hookspec
def hub_health(context: PluginContext) -> Health | Awaitable[Health] | None:
    """Report readiness for ``/readyz`` and ``omnihub doctor``. Since 0.1."""


@hookspec
def hub_erase_customer(
    request: ErasureRequest, context: PluginContext
) -> ErasureReceipt | Awaitable[ErasureReceipt] | None:
    """Erase what the plugin holds about a customer; return a receipt of what was done.

    Called for every enabled plugin when an erasure is requested. Raising counts as a
    ``failed`` receipt; returning None means the plugin holds nothing. Since 0.1.
    """
