"""``amqp://``: the broker protocol on RabbitMQ (3.10+) through aio-pika.

Reliability as in RabbitMQ's guide, with aio-pika doing the reconnecting:

* One robust connection. Everything this broker declares is declared through aio-pika's
  robust channels, which keep the exchange, queue and binding objects and re-declare
  them (and re-start consumers) after every reconnect; this class keeps strong references
  too (aio-pika holds channels weakly). The topology is in ``amqp_topology``.
* Publishing: persistent messages, ``mandatory`` (a return raises :class:`Unroutable`),
  publisher confirms awaited per message; many publishes wait for their confirms at once,
  bounded by a window, and every publish has a timeout. While the connection is down a
  publish raises :class:`BrokerUnavailable` at once instead of waiting for the reconnect.
* Consuming: see ``amqp_consumer``. Dead letters: see ``amqp_dead_letters``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import aio_pika
import aiormq
import structlog
from aio_pika.abc import (
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustExchange,
    AbstractRobustQueue,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aiormq.abc import AbstractChannel as RawChannel
from pamqp.common import FieldTable
from yarl import URL

from . import amqp_dead_letters
from .amqp_codec import outgoing, via_queue
from .amqp_consumer import AmqpSubscription, task_cancelling
from .amqp_topology import (
    all_queue_names,
    dead_letter_arguments,
    exchange_arguments,
    queue_arguments,
    retry_arguments,
    retry_queue_name,
)
from .base import (
    DEAD_LETTER_EXCHANGE,
    BrokerError,
    BrokerUnavailable,
    DeadLetter,
    ExchangeKind,
    Handler,
    Message,
    QueueSpec,
    Subscription,
    Unroutable,
)

log = structlog.get_logger("hub.broker.amqp")

T = TypeVar("T")

PUBLISH_WINDOW = 512  # publishes awaiting their confirm at once, per broker
OPERATION_TIMEOUT = 10.0  # declarations and other RPCs
# Defaults a URL may override (``?heartbeat=…&reconnect_interval=…``): a dead peer that
# sends no RST is noticed after about three heartbeats, and reconnects retry every second.
URL_DEFAULTS = {"heartbeat": "10", "reconnect_interval": "1"}


class AmqpBroker:
    """The :class:`~hub.broker.base.Broker` protocol on RabbitMQ."""

    def __init__(
        self,
        url: str,
        *,
        connection_name: str | None = None,
        publish_window: int = PUBLISH_WINDOW,
    ) -> None:
        self.url = url
        self.connection_name = connection_name or (
            f"omnihub {socket.gethostname()} pid {os.getpid()}"
        )
        self._state = "closed"  # closed → open → closing → closed; connect() reopens
        self._connection: AbstractRobustConnection | None = None
        self._admin: AbstractRobustChannel | None = None  # declarations live here
        self._publisher: AbstractRobustChannel | None = None  # confirms + returns
        self._window = asyncio.Semaphore(publish_window)
        self.publishes_in_flight = 0  # sent, confirm not yet back (a gauge for metrics)
        self._up = asyncio.Event()  # connected and topology restored
        # Strong references: aio-pika re-declares what these objects describe on reconnect.
        self._exchanges: dict[str, AbstractRobustExchange] = {}
        self._queues: dict[str, AbstractRobustQueue] = {}
        self._specs: dict[str, QueueSpec] = {}  # consumer queues as declared here
        self._known_exchanges: set[str] = set()  # exist on the broker (declared elsewhere)
        self._subscriptions: set[AmqpSubscription] = set()
        self._raw_sequence = 0  # where the next raw channel number is looked for
        # Every name this instance ever declared (kept across close), for cleanup tools.
        self.declared_exchanges: set[str] = set()
        self.declared_queues: set[str] = set()

    # -- life cycle -------------------------------------------------------------------

    def _amqp_url(self) -> URL:
        url = URL(self.url)
        query: dict[str, str] = {**URL_DEFAULTS, **url.query}
        return url.with_query(query)

    async def connect(self) -> None:
        if self._state == "open":
            return
        url = self._amqp_url()
        properties: FieldTable | None = (
            None if "name" in url.query else {"connection_name": self.connection_name}
        )
        try:
            connection = await asyncio.wait_for(
                aio_pika.connect_robust(url, client_properties=properties),
                OPERATION_TIMEOUT,
            )
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            raise BrokerUnavailable(f"cannot connect to RabbitMQ: {exc!r}") from exc
        connection.close_callbacks.add(self._on_connection_lost)
        connection.reconnect_callbacks.add(self._on_reconnected)
        self._connection = connection
        self._admin = connection.channel(publisher_confirms=False)
        self._publisher = connection.channel(publisher_confirms=True, on_return_raises=True)
        await self._admin
        await self._publisher
        self._state = "open"
        self._up.set()

    def _on_connection_lost(self, _sender: object, exc: BaseException | None) -> None:
        if self._up.is_set() and self._state == "open":
            log.warning("amqp_connection_lost", error=repr(exc))
        self._up.clear()

    async def _on_reconnected(self, _sender: object) -> None:
        # aio-pika restored every robust channel (topology, qos, consumers) before calling
        # this; check that each consumer is really back rather than trusting it.
        missing = [s.spec.name for s in list(self._subscriptions) if not await s.is_consuming()]
        self._up.set()
        log.info("amqp_reconnected", consumers=len(self._subscriptions), missing=missing)

    async def close(self, drain_timeout: float = 10.0) -> None:
        if self._state != "open":
            return
        # Draining handlers may still publish (the pipeline does): publishing stays open
        # until they are done; only new subscriptions are refused meanwhile.
        self._state = "closing"
        subscriptions = list(self._subscriptions)
        await asyncio.gather(*(s.cancel(drain_timeout) for s in subscriptions))
        self._up.clear()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection.close(), OPERATION_TIMEOUT)
        self._connection = self._admin = self._publisher = None
        self._exchanges.clear()
        self._queues.clear()
        self._state = "closed"

    @property
    def is_connected(self) -> bool:
        """Open, connected, and the topology restored after the last reconnect."""
        return self._state == "open" and self._up.is_set()

    def _check_open(self, *, closing_ok: bool = False) -> None:
        if not (self._state == "open" or (closing_ok and self._state == "closing")):
            raise BrokerUnavailable(f"the {self.url.split('://')[0]} broker is {self._state}")
        if not self._up.is_set():
            raise BrokerUnavailable("the connection to RabbitMQ is down; reconnecting")

    async def ping(self) -> None:
        async with self.raw_channel():
            pass

    # -- helpers for the other amqp_* modules -----------------------------------------

    def new_channel(self) -> AbstractRobustChannel:
        if self._connection is None:
            raise BrokerUnavailable("not connected")
        return self._connection.channel(publisher_confirms=False)

    def forget_subscription(self, subscription: AmqpSubscription) -> None:
        self._subscriptions.discard(subscription)

    @contextlib.asynccontextmanager
    async def raw_channel(self) -> AsyncIterator[RawChannel]:
        """A short-lived plain channel for checks that may fail (a 404 closes a channel).

        Not robust on purpose: it is used and closed within one operation.
        """
        self._check_open(closing_ok=True)
        assert self._connection is not None
        transport = self._connection.transport
        if transport is None:
            raise BrokerUnavailable("the connection to RabbitMQ is down; reconnecting")
        connection = transport.connection
        try:
            channel = await self.guard(
                connection.channel(self._raw_number(connection)), "open a channel"
            )
        except BrokerUnavailable as exc:
            # aiormq may drop the server's OpenOk of a number just freed: a fresh one works.
            if not isinstance(exc.__cause__, aiormq.exceptions.ChannelClosed):
                raise
            channel = await self.guard(
                connection.channel(self._raw_number(connection)), "open a channel"
            )
        try:
            yield channel
        finally:
            if not channel.is_closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(channel.close(), OPERATION_TIMEOUT)

    def _raw_number(self, connection: aiormq.abc.AbstractConnection) -> int:
        """A channel number from the upper half of the negotiated range, in rotation.

        A 404 makes the server close a raw channel; aiormq frees its number at once but
        may send the Channel.CloseOk after the next Channel.Open of that number, which
        the server answers by closing the whole connection ("second 'channel.open'
        seen"). Rotating through ~1,000 numbers reuses one only long after its CloseOk.
        """
        top = connection.connection_tune.channel_max or 65535
        low = top // 2 + 1
        for _ in range(top - low + 1):
            self._raw_sequence = (self._raw_sequence + 1) % (top - low + 1)
            number = low + self._raw_sequence
            if number not in connection.channels:
                return number
        raise BrokerUnavailable("every channel number of this connection is in use")

    async def guard(self, operation: Awaitable[T], what: str) -> T:
        """Run a broker RPC with a timeout; map failures to the protocol's errors."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                return await operation
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise BrokerError(f"{what}: RabbitMQ refused ({exc}); it exists differently") from exc
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise BrokerError(f"{what}: not found on RabbitMQ ({exc})") from exc
        except aiormq.exceptions.ChannelAccessRefused as exc:
            raise BrokerError(f"{what}: access refused ({exc})") from exc
        except TimeoutError as exc:
            raise BrokerUnavailable(f"{what}: RabbitMQ did not answer in time") from exc
        except (*CONNECTION_EXCEPTIONS, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and task_cancelling():
                raise
            raise BrokerUnavailable(f"{what}: {exc!r}") from exc

    async def _on_admin(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run a declaration on the admin channel, which RabbitMQ closes on any refusal.

        aio-pika reopens that channel (and re-declares all it holds) in the background; an
        operation must neither hit it half-way nor leave the next one to, so both wait.
        """
        await self._admin_usable()
        try:
            return await self.guard(operation(), what)
        except BrokerError:
            await self._admin_usable()
            raise

    async def _admin_usable(self) -> None:
        admin = self._admin
        if admin is None:
            raise BrokerUnavailable("not connected")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + OPERATION_TIMEOUT
        # aio-pika has no event for "reopened" that is cleared at once when the broker
        # closes the channel (its restore starts in a callback later): poll the plain state.
        while admin.is_closed and loop.time() < deadline and self.is_connected:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(admin.ready(), max(deadline - loop.time(), 0.0))

    async def queue_exists(self, name: str) -> int | None:
        """Ready messages in ``name``, or None if there is no such queue."""
        async with self.raw_channel() as channel:
            try:
                ok = await self.guard(channel.queue_declare(name, passive=True), name)
            except BrokerUnavailable:
                raise
            except BrokerError:
                return None
            return ok.message_count or 0

    async def _exchange_exists(self, name: str) -> bool:
        if name in self._exchanges or name in self._known_exchanges:
            return True
        async with self.raw_channel() as channel:
            try:
                await self.guard(channel.exchange_declare(name, passive=True), name)
            except BrokerUnavailable:
                raise
            except BrokerError:
                return False
        self._known_exchanges.add(name)
        return True

    # -- topology ---------------------------------------------------------------------

    async def declare_exchange(
        self, name: str, kind: ExchangeKind, *, alternate: str | None = None
    ) -> None:
        self._check_open()
        if name == "":
            raise BrokerError("the default exchange cannot be declared")
        admin = self._require_admin()
        declare = partial(
            admin.declare_exchange,
            name,
            kind,
            durable=True,
            arguments=exchange_arguments(alternate),
        )
        self._exchanges[name] = await self._on_admin(f"exchange {name!r}", declare)
        self.declared_exchanges.add(name)

    async def declare_queue(self, spec: QueueSpec) -> None:
        self._check_open()
        for binding in spec.bindings:
            if not await self._exchange_exists(binding.exchange):
                raise BrokerError(f"{spec.name}: bound to undeclared exchange {binding.exchange!r}")
        if DEAD_LETTER_EXCHANGE not in self._exchanges:
            await self.declare_exchange(DEAD_LETTER_EXCHANGE, "direct")
        queue = await self._declare(spec.name, queue_arguments(spec))
        # A re-declare states the whole queue: bindings it no longer lists go (as far as
        # this process knows them; RabbitMQ offers no binding list over AMQP).
        previous = self._specs.get(spec.name)
        wanted = set(spec.bindings)
        for old in previous.bindings if previous else ():
            if old not in wanted:
                unbind = partial(queue.unbind, old.exchange, old.pattern)
                await self._on_admin(f"unbind {spec.name} from {old}", unbind)
        for binding in dict.fromkeys(spec.bindings):
            bind = partial(queue.bind, binding.exchange, binding.pattern)
            await self._on_admin(f"bind {spec.name} to {binding}", bind)
        await self.declare_retry_path(spec)
        dlq = await self._declare(spec.dead_letter_queue, dead_letter_arguments())
        await self._on_admin(f"bind {dlq.name}", partial(dlq.bind, DEAD_LETTER_EXCHANGE, spec.name))
        self._specs[spec.name] = spec

    async def declare_retry_path(self, spec: QueueSpec) -> None:
        if spec.ordered:
            return  # ordered queues retry in place (see amqp_consumer)
        for delay in dict.fromkeys(spec.retry_delays):
            await self._declare(retry_queue_name(spec.name, delay), retry_arguments(spec, delay))

    def _require_admin(self) -> AbstractRobustChannel:
        if self._admin is None:
            raise BrokerUnavailable("not connected")
        return self._admin

    async def _declare(self, name: str, arguments: dict[str, Any]) -> AbstractRobustQueue:
        declare = partial(
            self._require_admin().declare_queue, name, durable=True, arguments=arguments
        )
        queue = await self._on_admin(f"queue {name!r}", declare)
        self._queues[name] = queue
        self.declared_queues.add(name)
        return queue

    async def delete_queue(self, spec: QueueSpec) -> None:
        self._check_open()
        admin = self._require_admin()
        for subscription in [s for s in self._subscriptions if s.queue_spec.name == spec.name]:
            await subscription.cancel(drain_timeout=0)
        self._specs.pop(spec.name, None)
        for queue in all_queue_names(spec):
            self._queues.pop(queue, None)
            await self._on_admin(f"delete queue {queue!r}", partial(admin.queue_delete, queue))

    # -- publishing -------------------------------------------------------------------

    async def publish(
        self,
        exchange: str,
        message: Message,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._check_open(closing_ok=True)
        # Publishing to a missing exchange would close the shared publisher channel (404)
        # and fail every publish in flight with it, so check first (once per name).
        if exchange and not await self._exchange_exists(exchange):
            raise BrokerError(f"exchange {exchange!r} is not declared")
        await self.publish_amqp(exchange, message.routing_key, outgoing(message), timeout)

    async def send_to_queue(
        self,
        queue: str,
        message: Message,
        *,
        timeout: float = 10.0,
    ) -> None:
        # The default exchange routes by queue name; ``mandatory`` makes a missing queue
        # come back as Unroutable.
        await self.publish_amqp("", queue, outgoing(message, via_queue(message)), timeout)

    async def publish_amqp(
        self,
        exchange: str,
        routing_key: str,
        message: aio_pika.Message,
        timeout: float = 10.0,
    ) -> None:
        """Publish and wait for this message's confirm, within the in-flight window."""
        self._check_open(closing_ok=True)
        assert self._publisher is not None
        try:
            async with asyncio.timeout(timeout):
                async with self._window:
                    self._check_open(closing_ok=True)  # it may have gone down while queued
                    channel = await self._publisher.get_underlay_channel()
                    self.publishes_in_flight += 1
                    try:
                        await channel.basic_publish(
                            message.body,
                            exchange=exchange,
                            routing_key=routing_key,
                            properties=message.properties,
                            mandatory=True,
                        )
                    finally:
                        self.publishes_in_flight -= 1
        except aiormq.exceptions.PublishError as exc:
            raise Unroutable(f"no queue takes {routing_key!r} from {exchange!r}") from exc
        except aiormq.exceptions.DeliveryError as exc:
            raise BrokerUnavailable(f"RabbitMQ refused the message (nack): {exc}") from exc
        except TimeoutError as exc:
            raise BrokerUnavailable(f"no publisher confirm within {timeout:g}s") from exc
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise BrokerError(f"exchange {exchange!r} is not declared ({exc})") from exc
        except (*CONNECTION_EXCEPTIONS, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and task_cancelling():
                raise
            raise BrokerUnavailable(f"publish failed: {exc!r}") from exc

    # -- consuming --------------------------------------------------------------------

    async def consume(self, spec: QueueSpec, handler: Handler) -> Subscription:
        """Subscribe to the declared queue ``spec.name``.

        The subscription takes its concurrency and retry schedule from ``spec``; ordering
        and ``max_length`` belong to the queue as declared.
        """
        self._check_open()
        if await self.queue_exists(spec.name) is None:
            raise BrokerError(f"queue {spec.name!r} is not declared")
        queue_spec = self._specs.get(spec.name, spec)
        # The consumer's schedule may differ from the declared one: its delays need queues.
        await self.declare_retry_path(replace(spec, ordered=queue_spec.ordered))
        subscription = AmqpSubscription(self, spec, queue_spec, handler)
        self._subscriptions.add(subscription)
        try:
            await self.guard(subscription.start(), f"consume {spec.name!r}")
        except BaseException:
            await subscription.cancel(drain_timeout=0)
            raise
        return subscription

    # -- dead letters and monitoring --------------------------------------------------

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        self._check_open()
        return await amqp_dead_letters.list_dead_letters(self, queue, limit)

    async def replay_dead_letters(
        self, queue: str, message_ids: frozenset[str] | None = None
    ) -> int:
        self._check_open()
        return await amqp_dead_letters.replay(self, queue, message_ids)

    async def queue_depths(self) -> dict[str, int]:
        self._check_open()
        pending = [n for spec in self._specs.values() for n in (spec.name, spec.dead_letter_queue)]
        depths: dict[str, int] = {}
        while pending:
            # One channel for all the passive declares; a queue deleted meanwhile (404)
            # closes it, and the rest continue on a fresh one.
            async with self.raw_channel() as channel:
                while pending:
                    name = pending.pop(0)
                    try:
                        ok = await self.guard(channel.queue_declare(name, passive=True), name)
                    except BrokerUnavailable:
                        raise
                    except BrokerError:
                        break
                    depths[name] = ok.message_count or 0
        return depths
