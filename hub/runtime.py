"""The Hub: one instance owns its plugins, broker, store, pipeline and consumers."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Collection, Mapping
from typing import Any

import structlog
from omnihub_contracts import (
    RESERVED_NAMESPACES,
    EventType,
    core_registry,
)

from .broker import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    INGRESS_EXCHANGE,
    UNROUTED_EXCHANGE,
    Binding,
    Broker,
    QueueSpec,
    Subscription,
    open_broker,
)
from .config import ConfigError, HubConfig
from .consumers import ConsumerRunner
from .conversations.control import Switchboard
from .conversations.facade import PluginConversations
from .conversations.tracker import ConversationTracker
from .external import ExternalConsumers
from .identity import IdentityService
from .maintenance import (
    CLAIM_PURGE_INTERVAL,
    ERASURE_DEADLINE_INTERVAL,
    EXTERNAL_SYNC_INTERVAL,
    OFFER_CHECK_INTERVAL,
    OUTBOX_SWEEP_INTERVAL,
    every,
)
from .metrics import Metrics
from .pipeline import Pipeline, pipeline_queue_spec
from .plugin_api import (
    Consumer,
    CustomerDirectory,
    ErasureReceipt,
    ErasureRequest,
    Health,
    PluginContext,
)
from .plugin_erasure import erase_in_plugins
from .plugin_routes import PluginRoutes
from .plugin_store import collect_migrations, migrate_plugins
from .plugins import PluginInfo, PluginSet, await_maybe, load_plugins
from .privacy.audit import AuditLog
from .privacy.consent import ConsentLedger, LedgerConsent
from .privacy.deadlines import ErasureDeadlines
from .privacy.erasure import Erasures
from .privacy.suppression import Suppression
from .publishing import Publishing
from .stages import ConsentStage, IdentityStage
from .store import open_store
from .store.database import SharedDatabase

log = structlog.get_logger("hub.runtime")

UNROUTED_QUEUE = "omnihub.unrouted"


def unrouted_queue_spec() -> QueueSpec:
    """The newest 10,000 events no consumer matched, kept for inspection."""
    return QueueSpec(UNROUTED_QUEUE, (Binding(UNROUTED_EXCHANGE, "#"),), max_length=10_000)


class Hub(Publishing):
    """Load with ``Hub(config)`` (plugins, config, registrations: no I/O), then ``start()``."""

    def __init__(
        self,
        config: HubConfig,
        *,
        extra_plugins: Mapping[str, object] | None = None,
        discover: bool = True,
        strict: bool | None = None,
        identity: IdentityStage | None = None,
        consent: ConsentStage | None = None,
        customers: CustomerDirectory | None = None,
        broker: Broker | None = None,
    ):
        """``broker``: one already open and shared with other hubs of this process (tests
        of several hubs on one in-process broker); this hub then never closes it."""
        self.config = config
        self.strict = config.hub.strict if strict is None else strict
        self.metrics = Metrics()
        self.registry = core_registry()
        self.plugins: PluginSet = load_plugins(
            config, extra=extra_plugins, discover=discover, strict=self.strict
        )
        self.owns_broker = broker is None
        self.broker = open_broker(config.broker.url) if broker is None else broker
        self.store = open_store(config.store.url)
        self.plugin_migrations = collect_migrations(self.plugins)
        self.identity = IdentityService(self.store, self.registry, config.identity, self.metrics)
        self.customers = customers or self.identity
        self.consent = ConsentLedger(self.store, config.privacy)
        self.external = ExternalConsumers(self)
        self.audit = AuditLog(self.store)
        self.suppression = Suppression(config.privacy.suppression_salt)
        self.identity.resolver.suppression = self.suppression
        self.identity.resolver.conversations = ConversationTracker(
            config.conversations, self.consent
        )
        self.switchboard = Switchboard(self.store, config.conversations, self.publish)
        self.contexts = {p.name: self._context(p) for p in self.plugins.enabled}
        self.erasures = Erasures(
            self.store,
            self.identity,
            self.suppression,
            config.privacy,
            self.erase_customer,
            self.publish_out,
        )
        self.erasure_deadlines = ErasureDeadlines(
            self.store, self.metrics, config.privacy, ERASURE_DEADLINE_INTERVAL
        )
        consent_stage = consent or LedgerConsent(self.consent)
        if isinstance(consent_stage, LedgerConsent):  # stamped in the identity transaction
            self.identity.resolver.consent = consent_stage
        self.pipeline = Pipeline(
            broker=self.broker,
            store=self.store,
            registry=self.registry,
            metrics=self.metrics,
            identity=identity or self.identity.resolver,
            consent=consent_stage,
            outbox=self.identity.outbox,
            publish_timeout=config.broker.publish_timeout,
            erasures=self.erasures,
        )
        self._pipeline_spec = pipeline_queue_spec(config.pipeline.concurrency)
        self.runners: dict[str, ConsumerRunner] = {}
        self.routes: dict[str, PluginRoutes] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.started = False
        self._register_all()

    # -- loading ------------------------------------------------------------------------

    def _context(self, info: PluginInfo) -> PluginContext:
        data_dir = self.config.hub.data_dir / info.name
        return PluginContext(
            name=info.name,
            config=info.config,
            data_dir=data_dir,
            publish=self.publish,
            customers=self.customers,
            conversations=PluginConversations(self.switchboard),
            database=SharedDatabase(self.store.db),
            log=structlog.get_logger(f"plugins.{info.name}").bind(plugin=info.name),
        )

    def _register_all(self) -> None:
        for info in self.plugins.enabled:
            self.plugins.call(
                "hub_register_event_types", info, register=self._type_registrar(info.name)
            )
        for info in self.plugins.enabled:
            ctx = self.contexts[info.name]
            self.plugins.call(
                "hub_register_consumers",
                info,
                register=lambda c, plugin=info.name: self._register_consumer(c, plugin),
                context=ctx,
            )
            routes = PluginRoutes(info.name)
            self.plugins.call("hub_register_routes", info, router=routes, context=ctx)
            self.routes[info.name] = routes

    def _type_registrar(self, plugin: str) -> Any:
        def register(event_type: EventType) -> None:
            namespace = event_type.name.split(".", 1)[0]
            if namespace in RESERVED_NAMESPACES:
                raise ConfigError(
                    f"plugins.{plugin}: event type {event_type.name!r} uses the reserved "
                    f"namespace {namespace!r}; prefix it with the plugin's own name"
                )
            try:
                self.registry.add(event_type)
            except ValueError as exc:
                raise ConfigError(f"plugins.{plugin}: {exc}") from None

        return register

    def register_consumer(self, consumer: Consumer, plugin: str) -> ConsumerRunner:
        """Add a consumer's runner (not yet subscribed): config overrides and checks apply."""
        return self._register_consumer(consumer, plugin)

    def _register_consumer(self, consumer: Consumer, plugin: str) -> ConsumerRunner:
        override = self.config.privacy.consumers.get(consumer.name)
        if override is not None:  # hub.toml knows better what a consumer may see
            consumer = dataclasses.replace(
                consumer,
                purposes=consumer.purposes
                if override.purposes is None
                else tuple(override.purposes),
                fields=tuple(override.fields) if override.fields is not None else consumer.fields,
            )
        unknown = set(consumer.purposes) - set(self.config.privacy.purposes)
        if unknown:
            raise ConfigError(
                f"plugins.{plugin}: consumer {consumer.name!r} serves unknown purposes "
                f"{sorted(unknown)}; known: {self.config.privacy.purposes} ([privacy] purposes)"
            )
        existing = self.runners.get(consumer.name)
        if existing is not None:
            raise ConfigError(
                f"plugins.{plugin}: consumer {consumer.name!r} is already registered by "
                f"plugin {existing.plugin!r}"
            )
        runner = ConsumerRunner(consumer, plugin, self.registry, self.store, self.metrics)
        self.runners[consumer.name] = runner
        return runner

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            # Whatever opened must close, or its threads and connections keep the process
            # alive after a failed start.
            if self.owns_broker:
                await self.broker.close(0)
            await self.store.close()
            raise

    async def _start(self) -> None:
        self.config.hub.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.open()
        await migrate_plugins(self.store.db, self.plugin_migrations)
        await self.broker.connect()
        await self._declare_topology()
        for info in self.plugins.enabled:
            await await_maybe(
                self.plugins.call("hub_startup", info, context=self.contexts[info.name])
            )
        self._subscriptions.append(
            await self.broker.consume(self._pipeline_spec, self.pipeline.handle)
        )
        for runner in self.runners.values():
            self._subscriptions.append(await self.broker.consume(runner.spec, runner.handle))
        self._tasks.append(every(CLAIM_PURGE_INTERVAL, self._purge_claims, "purge_claims"))
        sweep = functools.partial(self.sweep_outbox, older_than=OUTBOX_SWEEP_INTERVAL)
        self._tasks.append(every(OUTBOX_SWEEP_INTERVAL, sweep, "sweep_outbox"))
        await self.external.sync()
        self._tasks.append(every(EXTERNAL_SYNC_INTERVAL, self.external.sync, "sync_external"))
        self._tasks.append(every(OFFER_CHECK_INTERVAL, self.switchboard.expire_offers, "offers"))
        deadlines = self.erasure_deadlines.check
        self._tasks.append(
            every(ERASURE_DEADLINE_INTERVAL, deadlines, "erasure_deadlines", at_once=True)
        )
        self.started = True
        log.info("hub_started", broker=self.broker.url.split("://")[0], consumers=len(self.runners))

    async def _declare_topology(self) -> None:
        await self.broker.declare_exchange(INGRESS_EXCHANGE, "direct")
        await self.broker.declare_exchange(UNROUTED_EXCHANGE, "fanout")
        await self.broker.declare_exchange(EVENTS_EXCHANGE, "topic", alternate=UNROUTED_EXCHANGE)
        await self.broker.declare_exchange(DEAD_LETTER_EXCHANGE, "direct")
        for spec in self.queue_specs():
            await self.broker.declare_queue(spec)

    def queue_specs(self) -> list[QueueSpec]:
        """Every queue this hub declares: unrouted, pipeline, one per consumer."""
        consumers = [runner.spec for runner in self.runners.values()]
        return [unrouted_queue_spec(), self._pipeline_spec, *consumers]

    async def add_consumer(self, consumer: Consumer, plugin: str = "(runtime)") -> None:
        """Subscribe a consumer on a running hub (tests, dynamic subscriptions)."""
        runner = self._register_consumer(consumer, plugin)
        await self.broker.declare_queue(runner.spec)
        self._subscriptions.append(await self.broker.consume(runner.spec, runner.handle))

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        for task in self._tasks:
            task.cancel()
        # All consumers drain at once, so shutdown stays within one drain_timeout.
        drain = self.config.broker.drain_timeout
        await asyncio.gather(*(s.cancel(drain_timeout=drain) for s in self._subscriptions))
        await self.external.stop_all(drain)
        self._subscriptions.clear()
        for info in self.plugins.enabled:
            try:
                await await_maybe(
                    self.plugins.call("hub_shutdown", info, context=self.contexts[info.name])
                )
            except Exception:
                log.exception("plugin_shutdown_failed", plugin=info.name)
        if self.owns_broker:
            await self.broker.close(self.config.broker.drain_timeout)
        await self.store.close()
        log.info("hub_stopped")

    async def _purge_claims(self) -> None:
        await self.store.purge_claims(self.config.store.dedupe_hours * 3600)

    async def sweep_outbox(self, older_than: float) -> None:
        """Publish announcements a crash or an outage left in the outbox."""
        await self.pipeline.announce(await self.identity.outbox.pending(older_than))

    # -- health and erasure -------------------------------------------------------------

    async def readiness(self) -> dict[str, Health]:
        checks: dict[str, Health] = {}
        for name, probe in (("broker", self.broker.ping), ("store", self.store.ping)):
            try:
                await probe()
                checks[name] = Health(True)
            except Exception as exc:
                checks[name] = Health(False, f"{type(exc).__name__}: {exc}")
        for info in self.plugins.enabled:
            try:
                result = await await_maybe(
                    self.plugins.call("hub_health", info, context=self.contexts[info.name])
                )
            except Exception as exc:
                result = Health(False, f"{type(exc).__name__}: {exc}")
            if result is not None:
                checks[f"plugin:{info.name}"] = result
        return checks

    async def erase_customer(
        self, request: ErasureRequest, skip: Collection[str] = ()
    ) -> dict[str, ErasureReceipt]:
        """Call every enabled plugin's erase hook but those in ``skip`` (they answered
        before); the whole flow, with the hub's own data and suppression, is
        ``self.erasures`` (hub/privacy/erasure.py)."""
        return await erase_in_plugins(self, request, skip)
