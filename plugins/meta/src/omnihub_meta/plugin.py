"""One plugin object per Meta channel, registered under the channel's entry point.

Everything the three channels share lives here; a channel plugin is this class with its
config model, its webhook walker and its outbound rules.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from hub import Consumer, EventType, PluginContext, PluginRouter, RetryPolicy, hookimpl

from .config import MetaChannelConfig
from .graph import GraphClient
from .mapping import unmapped_type
from .outbound import Outbound, SendHandler
from .webhook import ItemsOf, WebhookEndpoint

SESSION = "graph_session"  # key of the running hub's HTTP client session in context.state


class MetaChannelPlugin:
    """A WhatsApp, Instagram or Messenger plugin (``channel`` is its entry-point name)."""

    def __init__(
        self,
        channel: str,
        config_model: type[MetaChannelConfig],
        items_of: ItemsOf,
        outbound: Outbound,
        version: str = "0.1.0",
    ):
        self.channel = channel
        self.config_model = config_model
        self.items_of = items_of
        self.outbound = outbound
        self.__version__ = version

    @hookimpl
    def hub_config_model(self) -> type[MetaChannelConfig]:
        return self.config_model

    @hookimpl
    def hub_register_event_types(self, register: Callable[[EventType], None]) -> None:
        register(unmapped_type(self.channel))

    @hookimpl
    def hub_register_routes(self, router: PluginRouter, context: PluginContext) -> None:
        endpoint = WebhookEndpoint(context, self.items_of)
        # Mounted at /webhooks/<channel>/: the callback URL to give Meta.
        router.get("/", endpoint.verify)
        router.post("/", endpoint.receive)

    @hookimpl
    def hub_register_consumers(
        self, register: Callable[[Consumer], None], context: PluginContext
    ) -> None:
        config: MetaChannelConfig = context.config

        def client() -> GraphClient:
            session = context.state.get(SESSION)
            if session is None:
                raise RuntimeError(f"{self.channel}: the hub has not started the plugin")
            return GraphClient(session, config)

        register(
            Consumer(
                f"{self.channel}.send",
                (f"message.send.{self.channel}",),
                SendHandler(context, self.outbound, client),
                purposes=("service",),
                retry=RetryPolicy((5.0, 30.0, 120.0, 600.0)),
                timeout=config.handler_timeout(),
            )
        )

    @hookimpl
    async def hub_startup(self, context: PluginContext) -> None:
        context.state[SESSION] = aiohttp.ClientSession()

    @hookimpl
    async def hub_shutdown(self, context: PluginContext) -> None:
        session = context.state.pop(SESSION, None)
        if session is not None:
            await session.close()
