"""Omnihub's NPS plugin: asks 0-10 in the customer's channel, reads the reply, reports NPS.

Triggers: a closed conversation, an order delivered, or ``POST /webhooks/nps/surveys``.
Only customers who allow ``surveys`` are asked, at most once per ``min_days_between``,
never during an open conversation or in quiet hours, within a daily cap. Replies become
``survey.responded`` (and ``survey.detractor`` for 0-6). Its state lives in the hub's
store (``nps_*`` tables), so any number of hub processes may run it.

The plugin is an object so a test can give it a clock: ``NpsPlugin(clock=...)``; the entry
point is the default instance ``plugin``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from hub import (
    CloudEvent,
    Consumer,
    ErasureReceipt,
    ErasureRequest,
    Health,
    PluginContext,
    PluginRouter,
    RetryPolicy,
    hookimpl,
)

from .api import NpsApi
from .asker import run_asker
from .config import NpsConfig
from .consume import PATTERNS, handle, handle_merge
from .records import PURPOSE
from .schema import MIGRATIONS
from .store import NpsStore
from .surveys import Nps
from .themes import ThemeTagger

__version__ = "0.1.0"


def utc_now() -> datetime:
    return datetime.now(UTC)


class NpsPlugin:
    def __init__(self, clock: Callable[[], datetime] = utc_now):
        self.clock = clock
        self.started: list[Nps] = []  # each hub's state, newest last: for tests to inspect

    @hookimpl
    def hub_config_model(self) -> type[NpsConfig]:
        return NpsConfig

    @hookimpl
    def hub_store_migrations(self) -> list[str]:
        return MIGRATIONS

    @hookimpl
    def hub_register_consumers(
        self, register: Callable[[Consumer], None], context: PluginContext
    ) -> None:
        async def on_event(event: CloudEvent) -> None:
            await handle(context.state["nps"], event)

        async def on_merge(event: CloudEvent) -> None:
            await handle_merge(context.state["nps"], event)

        # ordered: a customer's opened/closed/reply must be seen in the order they happened.
        register(
            Consumer(
                "nps",
                PATTERNS,
                on_event,
                purposes=(PURPOSE,),
                ordered=True,
                retry=RetryPolicy((1, 10, 60, 300)),
            )
        )
        # Merges of people who do not allow surveys too (their pending surveys must stop);
        # two opaque ids are all it reads of them.
        register(
            Consumer(
                "nps.merges",
                ("customer.merged.#",),
                on_merge,
                purposes=(),
                ordered=True,
                fields=("surviving_id", "merged_ids"),
                retry=RetryPolicy((1, 10, 60, 300)),
            )
        )

    @hookimpl
    def hub_register_routes(self, router: PluginRouter, context: PluginContext) -> None:
        api = NpsApi(context)
        router.post("/surveys", api.ask)
        router.get("/scores", api.scores)
        core = NpsApi(context, behind_hub=True)
        router.api("POST", "surveys", core.ask, scope="conversations:write")
        router.api("GET", "nps", core.scores, scope="customers:read")

    @hookimpl
    async def hub_startup(self, context: PluginContext) -> None:
        config: NpsConfig = context.config
        store = NpsStore(context.database)
        nps = Nps(context, config, store, self.clock, ThemeTagger(config.themes))
        context.state["nps"] = nps
        self.started.append(nps)
        context.state["asker"] = asyncio.create_task(run_asker(nps), name="nps-asker")

    @hookimpl
    async def hub_shutdown(self, context: PluginContext) -> None:
        asker: asyncio.Task[None] | None = context.state.pop("asker", None)
        if asker is not None:
            asker.cancel()
            await asyncio.gather(asker, return_exceptions=True)
        context.state.pop("nps", None)  # the store is the hub's: it closes it

    @hookimpl
    def hub_health(self, context: PluginContext) -> Health:
        asker = context.state.get("asker")
        if asker is None or asker.done():
            return Health(False, "the survey asker is not running")
        return Health(True)

    @hookimpl
    async def hub_erase_customer(
        self, request: ErasureRequest, context: PluginContext
    ) -> ErasureReceipt:
        nps: Nps = context.state["nps"]
        items = await nps.store.erase(request.customer_ids)
        return ErasureReceipt("done", "surveys anonymised, customer state deleted", items)


plugin = NpsPlugin()

__all__ = ["NpsConfig", "NpsPlugin", "plugin"]
