"""The ``message.send.<channel>`` consumer: resolve the recipient, call the Graph API, report.

Publishes ``message.sent`` (with the channel's message id) or ``message.failed``; both have
ids derived from the send event's id, so a redelivered send never publishes twice. A
permanent failure also raises :class:`hub.PermanentFailure` (dead-letter at once, with the
Graph code and message in the DLQ headers); a transient one raises, and the hub retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from omnihub_contracts import CloudEvent, Identifier
from omnihub_contracts.message import DeliveryError, MessageFailed, MessageSend, MessageSent

from hub import PermanentFailure, PluginContext

from .config import MetaChannelConfig
from .events import Envelope
from .graph import GraphClient, GraphError, TransientGraphError

log = structlog.get_logger("omnihub_meta.outbound")

OUTSIDE_WINDOW = "outside_customer_service_window"


class Unsendable(Exception):
    """This command cannot become a message on the channel; ``code`` names why."""

    def __init__(self, code: str, title: str):
        super().__init__(title)
        self.code = code
        self.title = title


@dataclass(frozen=True)
class Outbound:
    """What differs per channel: the recipient it addresses and the Graph API body."""

    pick_recipient: Callable[[list[Identifier]], Identifier | None]
    body_of: Callable[[MessageSend, Identifier], dict[str, Any]]  # raises Unsendable
    message_id_of: Callable[[dict[str, Any]], str | None]
    service_window: timedelta | None = None  # only templates may go out after it


class SendHandler:
    def __init__(
        self, context: PluginContext, outbound: Outbound, client_of: Callable[[], GraphClient]
    ):
        self.context = context
        self.channel = context.name
        self.outbound = outbound
        self.client_of = client_of

    @property
    def config(self) -> MetaChannelConfig:
        config: MetaChannelConfig = self.context.config
        return config

    async def __call__(self, event: CloudEvent) -> None:
        send: MessageSend = event.data
        customer = send.recipient.customer_id or event.customerid
        recipient: Identifier | None = None
        try:
            recipient = await self._recipient(send, customer)
            customer = customer or await self.context.customers.find(recipient)
            await self._check_window(send, customer)
            body = self.outbound.body_of(send, recipient)
        except Unsendable as exc:
            await self._failed(
                event,
                customer,
                recipient,
                DeliveryError(code=exc.code, title=exc.title, permanent=True),
                attempts=None,
            )
            raise PermanentFailure(f"{self.channel}: {exc.code}: {exc.title}") from None
        try:
            answer = await self.client_of().post(self.config.messages_url, body)
        except TransientGraphError:
            raise  # the hub retries the send event later
        except GraphError as exc:
            error = DeliveryError(code=exc.code, title=exc.title, detail=exc.detail, permanent=True)
            await self._failed(event, customer, recipient, error, attempts=exc.attempts)
            raise PermanentFailure(f"{self.channel}: {exc}") from None
        message_id = self.outbound.message_id_of(answer.body)
        if not message_id:
            error = DeliveryError(code="unreadable_answer", title="no message id", permanent=True)
            await self._failed(event, customer, recipient, error, attempts=answer.attempts)
            raise PermanentFailure(f"{self.channel}: the Graph API answer has no message id")
        sent = MessageSent(channel_message_id=message_id, recipient=recipient)
        await self.context.publish([self._event(event, "message.sent", sent, customer)])
        log.info("message_sent", channel=self.channel, attempts=answer.attempts)

    async def _recipient(self, send: MessageSend, customer: str | None) -> Identifier:
        chosen = self.outbound.pick_recipient(list(send.recipient.identifiers))
        if chosen is None and customer is not None:
            chosen = self.outbound.pick_recipient(
                await self.context.customers.identifiers(customer)
            )
        if chosen is None:
            raise Unsendable("no_recipient", f"the recipient has no {self.channel} identifier")
        return chosen

    async def _check_window(self, send: MessageSend, customer: str | None) -> None:
        window = self.outbound.service_window
        if window is None or send.kind == "template":
            return
        last = (
            await self.context.customers.last_inbound(customer, self.channel) if customer else None
        )
        if last is None or datetime.now(UTC) - last > window:
            hours = int(window.total_seconds() // 3600)
            raise Unsendable(
                OUTSIDE_WINDOW,
                f"the customer has not written in the last {hours} hours: "
                f"{self.channel} only accepts a template message now",
            )

    async def _failed(
        self,
        event: CloudEvent,
        customer: str | None,
        recipient: Identifier | None,
        error: DeliveryError,
        attempts: int | None,
    ) -> None:
        log.warning("message_failed", channel=self.channel, code=error.code, attempts=attempts)
        failed = MessageFailed(recipient=recipient, error=error, attempts=attempts)
        await self.context.publish([self._event(event, "message.failed", failed, customer)])

    def _event(self, send: CloudEvent, type_: str, data: Any, customer: str | None) -> CloudEvent:
        envelope = Envelope(self.channel, self.config.account_id)
        return envelope.event(
            type_,
            f"send:{send.id}:{type_}",
            data,
            customerid=customer,
            causationid=send.id,
            correlationid=send.correlationid or send.id,
            conversationid=send.conversationid,
        )
