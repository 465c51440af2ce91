"""Omnihub HubSpot: contacts in both directions.

In: ``POST /webhooks/hubspot`` takes HubSpot's contact webhooks (signature v3) and
publishes ``customer.identified``/``updated``/``merged``/``erasure_requested``.
Out: the consumer ``hubspot`` sends profile changes made elsewhere to HubSpot's CRM API v3
(batched) and merges HubSpot contacts when the hub merged their profiles.
"""

from __future__ import annotations

from collections.abc import Callable

from hub import (
    CloudEvent,
    Consumer,
    PluginContext,
    PluginRouter,
    RetryPolicy,
    hookimpl,
)

from .api import ApiUnavailable, HubSpotApi
from .batcher import UpdateBatcher
from .config import HubSpotConfig
from .outbound import Outbound
from .routes import receiver

__version__ = "0.1.0"

CONSUMER = "hubspot"
OUTBOUND = "outbound"  # context.state key: the running hub's Outbound


@hookimpl
def hub_config_model() -> type[HubSpotConfig]:
    return HubSpotConfig


@hookimpl
def hub_register_routes(router: PluginRouter, context: PluginContext) -> None:
    if context.config.client_secret is not None:
        router.post("", receiver(context))


@hookimpl
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    config: HubSpotConfig = context.config
    if config.access_token is None:
        return

    async def to_hubspot(event: CloudEvent) -> None:
        outbound: Outbound | None = context.state.get(OUTBOUND)
        if outbound is None:
            raise ApiUnavailable("the HubSpot client is not started")
        await outbound.handle(event)

    register(
        Consumer(
            CONSUMER,
            ("customer.updated.#", "customer.merged.#"),
            to_hubspot,
            purposes=("service",),
            retry=RetryPolicy(tuple(config.retry_schedule)),
            # Enough handlers waiting at once to fill a batch; one per customer at a time,
            # so a customer's changes reach HubSpot in order.
            concurrency=config.batch_size,
            ordered=True,
            timeout=config.handler_timeout,
        )
    )


@hookimpl
async def hub_startup(context: PluginContext) -> None:
    config: HubSpotConfig = context.config
    if config.access_token is None:
        return
    api = HubSpotApi(config, log=context.log)
    await api.start()
    batcher = UpdateBatcher(
        api, window=config.batch_window, size=config.batch_size, log=context.log
    )
    context.state[OUTBOUND] = Outbound(config, context.customers, api, batcher, context.log)


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    outbound: Outbound | None = context.state.pop(OUTBOUND, None)
    if outbound is not None:
        await outbound.batcher.close()
        await outbound.api.close()
