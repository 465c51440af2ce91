"""Omnihub Chatwoot: Chatwoot as the hub's human desk.

Out: the consumer ``chatwoot`` turns a handoff to a human into a Chatwoot conversation
(API channel inbox) with the context packet as a private note, and forwards the customer's
later messages into it. In: ``POST /webhooks/chatwoot`` turns agents' replies, assignments
and resolutions into ``message.send``, ``conversation.assigned`` and ``conversation.closed``.
Which Chatwoot conversation each hub conversation went to is in the hub's store
(``chatwoot_handoffs``), so any number of hub processes may run it.
"""

from __future__ import annotations

from collections.abc import Callable

from hub import (
    CloudEvent,
    Consumer,
    ErasureReceipt,
    ErasureRequest,
    PluginContext,
    PluginRouter,
    RetryPolicy,
    hookimpl,
)

from .api import ApiUnavailable, ChatwootApi
from .config import ChatwootConfig
from .desk import Desk
from .mapping import HandoffTable
from .schema import MIGRATIONS
from .webhook import receiver

__version__ = "0.1.0"

CONSUMER = "chatwoot"
DESK = "desk"  # context.state key: the running hub's Desk


@hookimpl
def hub_config_model() -> type[ChatwootConfig]:
    return ChatwootConfig


@hookimpl
def hub_store_migrations() -> list[str]:
    return MIGRATIONS


@hookimpl
def hub_register_routes(router: PluginRouter, context: PluginContext) -> None:
    router.post("/", receiver(context, HandoffTable(context.database)))


@hookimpl
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    config: ChatwootConfig = context.config

    async def to_chatwoot(event: CloudEvent) -> None:
        desk: Desk | None = context.state.get(DESK)
        if desk is None:
            raise ApiUnavailable("the Chatwoot client is not started")
        await desk.handle(event)

    register(
        Consumer(
            CONSUMER,
            ("conversation.#", "message.received.#"),
            to_chatwoot,
            purposes=("service",),
            retry=RetryPolicy(tuple(config.retry_schedule)),
            # One event at a time per customer: the handoff creates the Chatwoot
            # conversation before the customer's next message is forwarded into it.
            ordered=True,
            timeout=config.handler_timeout,
        )
    )


@hookimpl
async def hub_startup(context: PluginContext) -> None:
    api = ChatwootApi(context.config, log=context.log)
    await api.start()
    table = HandoffTable(context.database)
    context.state[DESK] = Desk(context.config, api, table, context.log)


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    desk: Desk | None = context.state.pop(DESK, None)
    if desk is not None:
        await desk.api.close()


@hookimpl
async def hub_erase_customer(request: ErasureRequest, context: PluginContext) -> ErasureReceipt:
    """The plugin's table holds only ids; the Chatwoot contact and its conversations are
    Chatwoot's to erase (its contact delete), which the receipt says."""
    removed = await HandoffTable(context.database).forget_customers(request.customer_ids)
    detail = "handoff ids removed; delete the Chatwoot contact (identifier = customer id) there"
    return ErasureReceipt("pending", detail, removed)
