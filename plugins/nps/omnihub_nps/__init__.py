"""Omnihub's NPS plugin: asks 0-10 in the customer's channel, reads the reply, reports NPS.

Triggers: a closed conversation, an order delivered, or ``POST /webhooks/nps/surveys``.
Only customers who allow ``surveys`` are asked, at most once per ``min_days_between``,
never during an open conversation or in quiet hours, within a daily cap. Replies become
``survey.responded`` (and ``survey.detractor`` for 0-6).

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
from .config import NpsConfig
from .consume import PATTERNS, PURPOSE, handle
from .store import NpsStore
from .surveys import Nps, run_asker
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
    def hub_register_consumers(
        self, register: Callable[[Consumer], None], context: PluginContext
    ) -> None:
        async def on_event(event: CloudEvent) -> None:
            await handle(context.state["nps"], event)

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
        store = await NpsStore.open(context.data_dir / "nps.db")
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
        nps: Nps | None = context.state.pop("nps", None)
        if nps is not None:
            await nps.store.close()

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
