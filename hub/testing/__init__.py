"""Plugin-author kit, loaded as a pytest plugin (entry point ``pytest11``).

    async def test_my_plugin(hub_factory, broker_url):
        harness = await hub_factory(plugins={"mine": my_plugin_module},
                                    config={"mine": {...}}, broker_url=broker_url)
        seen = await harness.collect("probe", "message.received.#")
        await harness.publish(event)
        [received] = await seen.wait_for(1)

Each harness runs a real hub in-process: the in-process broker or RabbitMQ (the
``broker_url`` fixture runs a test on both), SQLite in a temporary directory, and an HTTP
test client; ``hub_factory(alongside=first)`` starts another hub on the same broker and
store, as a second process would. Tests marked ``rabbitmq``/``postgres`` are skipped when
the server is down, and fail instead under ``CI=true``.
"""

from .database import plugin_database
from .fake_http import fake_http_servers
from .harness import (
    ADMIN_TOKEN,
    FAST_RETRY,
    EventCollector,
    HubFactory,
    HubHarness,
    eventually,
    hub_factory,
    make_config,
    omnihub_admin_token,
)
from .services import (
    AMQP_URL,
    IN_CI,
    POSTGRES_URL,
    amqp_session_url,
    broker_url,
    postgres_session_url,
    pytest_configure,
    pytest_runtest_setup,
    store_url,
)

__all__ = [
    "ADMIN_TOKEN",
    "AMQP_URL",
    "FAST_RETRY",
    "IN_CI",
    "POSTGRES_URL",
    "EventCollector",
    "HubFactory",
    "HubHarness",
    "amqp_session_url",
    "broker_url",
    "eventually",
    "fake_http_servers",
    "hub_factory",
    "make_config",
    "omnihub_admin_token",
    "plugin_database",
    "postgres_session_url",
    "pytest_configure",
    "pytest_runtest_setup",
    "store_url",
]
