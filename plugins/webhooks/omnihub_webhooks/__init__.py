"""Omnihub webhooks: deliver chosen events to HTTP endpoints, signed per Standard Webhooks.

Each endpoint in ``[[plugins.webhooks.endpoints]]`` is a consumer of its own
(``webhooks.<name>``, queue ``omnihub.webhooks.<name>``) with its own connection pool and
circuit breaker, so a slow or dead receiver never delays another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub import CloudEvent, Consumer, Health, PluginContext, RetryPolicy, hookimpl

from .breaker import CLOSED, CircuitOpen
from .config import Endpoint, WebhooksConfig
from .delivery import DeliveryFailed, EndpointClient

__version__ = "0.1.0"

__all__ = ["CircuitOpen", "DeliveryFailed", "EndpointClient", "WebhooksConfig"]

CLIENTS = "clients"  # context.state key: endpoint name -> EndpointClient of the running hub


def consumer_name(endpoint: Endpoint) -> str:
    return f"webhooks.{endpoint.name}"


def running_clients(context: PluginContext) -> dict[str, EndpointClient]:
    clients: dict[str, EndpointClient] = context.state.get(CLIENTS, {})
    return clients


@hookimpl
def hub_config_model() -> type[WebhooksConfig]:
    return WebhooksConfig


@hookimpl
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    config: WebhooksConfig = context.config
    for endpoint in config.endpoints:
        register(
            Consumer(
                consumer_name(endpoint),
                tuple(endpoint.events),
                _deliverer(context, endpoint.name),
                purposes=tuple(endpoint.purposes),
                retry=RetryPolicy(tuple(endpoint.retry_schedule)),
                concurrency=endpoint.concurrency,
                ordered=True,  # a receiver sees each customer's events in order
                timeout=endpoint.handler_timeout,
            )
        )


def _deliverer(context: PluginContext, name: str) -> Callable[[CloudEvent], Awaitable[None]]:
    async def deliver(event: CloudEvent) -> None:
        # Looked up per event: a stopped and restarted hub gets fresh clients.
        client = running_clients(context).get(name)
        if client is None:
            raise DeliveryFailed(f"endpoint {name} is not started")
        await client.deliver(event)

    return deliver


@hookimpl
async def hub_startup(context: PluginContext) -> None:
    config: WebhooksConfig = context.config
    clients = {e.name: EndpointClient(e, log=context.log) for e in config.endpoints}
    for client in clients.values():
        await client.start()
    context.state[CLIENTS] = clients


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    clients = context.state.pop(CLIENTS, {})
    for client in clients.values():
        await client.close()


@hookimpl
def hub_health(context: PluginContext) -> Health:
    """Always ok: one dead receiver must not take the hub out of service (``/readyz``).

    The detail names every circuit that is not closed, e.g. ``circuits not closed: crm
    (open after 5 failures, probe in 20s)``, so ``omnihub doctor`` shows who is failing.
    """
    config: WebhooksConfig = context.config
    clients = running_clients(context)
    troubled = [
        f"{name} ({client.breaker.describe()})"
        for name, client in clients.items()
        if client.breaker.state != CLOSED
    ]
    if troubled:
        return Health(True, "circuits not closed: " + ", ".join(troubled))
    return Health(True, f"{len(config.endpoints)} endpoint(s), all circuits closed")
