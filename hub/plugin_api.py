"""The public types a plugin works with. Plugins import these from ``hub``, never internals."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from aiohttp import web
from omnihub_contracts import CloudEvent, Identifier
from pydantic import BaseModel

from .store.database import PluginDatabase

CONSUMER_NAME = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")

EventHandler = Callable[[CloudEvent], Awaitable[None]]
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait before each retry; once used up, the event is dead-lettered."""

    delays: tuple[float, ...] = (1.0, 10.0, 60.0, 300.0)

    def __post_init__(self) -> None:
        if any(d < 0 for d in self.delays):
            raise ValueError("retry delays must be >= 0 seconds")


@dataclass(frozen=True)
class Consumer:
    """A subscription: the events a plugin wants and what to do with each.

    ``patterns`` are routing-key patterns on ``omnihub.events`` (``<type>.<channel>``, with
    ``*`` for one word and ``#`` for any). ``purposes`` are the consent purposes the consumer
    serves: it is handed only events of customers who allow all of them (empty: purpose-free,
    e.g. an audit archive). ``handler`` raising :class:`hub.PermanentFailure` dead-letters the
    event at once; any other exception is retried per ``retry``.
    """

    name: str
    patterns: tuple[str, ...]
    handler: EventHandler
    purposes: tuple[str, ...] = ("service",)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    concurrency: int = 16
    ordered: bool = False  # per-customer order: one event at a time per customer
    timeout: float = 30.0  # seconds a handler may take before it counts as failed
    # Whether `omnihub replay` without --to re-delivers to this consumer too (an archive
    # would otherwise store the replayed events a second time).
    replays: bool = True
    # Field minimisation: the ``data`` fields (dotted paths, e.g. "text", "sender.language")
    # the consumer needs; it then receives ``data`` as a dict holding only those. None: all.
    fields: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not CONSUMER_NAME.match(self.name):
            raise ValueError(f"consumer name {self.name!r} must match {CONSUMER_NAME.pattern}")
        if not self.patterns:
            raise ValueError(f"consumer {self.name!r} subscribes to no pattern")
        if self.concurrency < 1:
            raise ValueError(f"consumer {self.name!r}: concurrency must be >= 1")


class Publisher(Protocol):
    async def __call__(self, events: Sequence[CloudEvent]) -> list[str]: ...


class CustomerDirectory(Protocol):
    """Read access to the profile store, for plugins that need to know a customer."""

    async def find(self, identifier: Identifier) -> str | None:
        """The surviving customer id an identifier belongs to (normalised as the pipeline
        does, e.g. ``phone:+55 11 99999-9999``), or None if no profile has it."""

    async def identifiers(self, customer_id: str) -> list[Identifier]:
        """The identifiers of a customer (a merged id answers for its survivor)."""

    async def last_inbound(self, customer_id: str, channel: str) -> datetime | None:
        """When the customer last sent a message (``message.received``) on ``channel``:
        e.g. to check WhatsApp's 24-hour customer-service window."""

    async def traits(self, customer_id: str) -> dict[str, Any]:
        """The customer's current trait values (``{"display_name": "Ana", "tier": "vip"}``)."""


class ConversationControl(Protocol):
    """The switchboard, for bots and desks: read a conversation, reply, move control."""

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        """``{"id", "customer_id", "status", "controller", "agent", "last_channel", …}``."""

    async def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        """What was said, oldest first, from every channel:
        ``{"at", "author" (customer/bot/human), "channel", "text"}``."""

    async def reply(self, conversation_id: str, text: str, *, author: str = "bot") -> None:
        """Send ``text`` to the customer on the channel they used last."""

    async def handoff(
        self,
        conversation_id: str,
        *,
        to: str,
        reason: str,
        mode: str = "pass",
        understanding: dict[str, Any] | None = None,
    ) -> None:
        """Pass (or offer) control to ``to``; a human gets the context packet."""

    async def follow_up(
        self, customer_id: str, *, reason: str, note: str | None = None, channel: str | None = None
    ) -> str:
        """Have a person contact the customer (e.g. a detractor's follow-up): their open
        conversation, or a new one, passes to a human with the context packet and ``note``
        as what is known. Returns the conversation id."""


class NoSwitchboard:
    """``context.conversations`` outside a running hub."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("no conversations here: this context was not made by a running hub")


class NoDatabase:
    """``context.database`` outside a running hub."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            "no database here: this context was not made by a running hub "
            "(a unit test can open one with hub.testing.plugin_database)"
        )


@dataclass(frozen=True)
class PluginContext:
    """What a plugin gets from the hub: its name, its validated config and a publisher.

    ``publish`` sends canonical events to the hub's ingress and returns their ids once the
    broker has confirmed them; it raises ``hub.BrokerUnavailable`` otherwise (answer 503).
    """

    name: str
    config: Any  # instance of the plugin's config model, or a dict if it declares none
    data_dir: Path  # a directory the plugin may keep files in
    publish: Publisher
    log: Any  # a structlog logger bound to plugin=<name>
    customers: CustomerDirectory  # the hub's profile store, read-only
    # Conversations and who controls them (a context built by hand, as in a unit test,
    # has none: using it raises).
    conversations: ConversationControl = field(default_factory=lambda: NoSwitchboard())
    # The hub's store (SQLite or PostgreSQL, shared by every hub process), for the tables
    # the plugin declares with hub_store_migrations; none in a hand-made context.
    database: PluginDatabase = field(default_factory=lambda: NoDatabase())
    # Per-hub state from hub_startup to hub_shutdown: a plugin module is shared by every hub
    # in a process (tests start several), so module globals would mix them up.
    state: dict[str, Any] = field(default_factory=dict)


class PluginRouter(Protocol):
    """Routes a plugin mounts under ``/webhooks/<plugin>/``."""

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None: ...

    def get(self, path: str, handler: RouteHandler) -> None: ...

    def post(self, path: str, handler: RouteHandler) -> None: ...

    def api(self, method: str, path: str, handler: RouteHandler, *, scope: str) -> None:
        """A route under ``/api/v1/<path>``, behind the hub's bearer tokens: the core checks
        ``scope`` (one of ``[[api.tokens]]`` scopes) before the handler runs. Paths the core
        serves itself are refused at start."""


@dataclass(frozen=True)
class Health:
    """A plugin's answer to ``hub_health``: ``ok`` false makes ``/readyz`` fail."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ErasureRequest:
    """A customer's data must go (LGPD Art. 18 VI / GDPR Art. 17).

    ``customer_ids`` (the surviving id and every id merged into it) are always complete:
    the hub keeps them with the request. ``identifiers`` (phones, e-mails, channel and CRM
    ids) come only on the first call, while the hub still holds them: a retry of a plugin
    that failed comes after the hub deleted them, and the hub keeps none in clear. So erase
    by customer id (keep your own customer id → record mapping, or store the customer id
    on the record in your system); a plugin that can only reach its records by an
    identifier must not raise and lose it: answer ``pending``, keep that work in its own
    table until its system is reached, then post the receipt
    (``POST /api/v1/erasures/{request_id}/receipts/{system}``). See docs/privacy.md.
    """

    request_id: str
    customer_id: str  # the surviving profile's id
    identifiers: tuple[Identifier, ...] = ()  # first call only: empty on a retry
    merged_ids: tuple[str, ...] = ()  # ids of profiles merged into it: they name her too

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return (self.customer_id, *self.merged_ids)


@dataclass(frozen=True)
class ErasureReceipt:
    """A plugin's proof of what it erased (never the data itself)."""

    status: Literal["done", "pending", "failed"]
    detail: str = ""
    items: int = 0


class ConfigModel(BaseModel):
    """Convenient base for a plugin's config model: unknown keys are errors."""

    model_config = {"extra": "forbid"}
