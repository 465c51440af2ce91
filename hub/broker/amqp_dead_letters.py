"""Listing and replaying ``<queue>.dlq`` over plain AMQP (no management plugin needed).

Listing takes messages with ``basic.get`` without acking them and hands them all back
with one ``basic.nack(multiple, requeue)``: a quorum queue puts returned messages back at
its head in their order, so the DLQ looks untouched except that each listed message is
now ``redelivered`` and its ``x-delivery-count`` grew. That is why the DLQ has no
``x-delivery-limit`` (see ``amqp_topology``). While a listing holds messages, a second
listing or replay running at the same moment does not see them.

Replay republishes the chosen dead letters to the consumer queue (confirmed), acks each
only after its confirm, and hands the others back: a crash in between leaves a message
in both places at worst (a duplicate the consumer runner drops), never in neither.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiormq
from aio_pika.message import IncomingMessage

from .amqp_codec import dead_letter_of, message_of
from .base import BrokerError, DeadLetter

if TYPE_CHECKING:
    from aiormq.abc import AbstractChannel

    from .amqp import AmqpBroker


async def _check_declared(broker: AmqpBroker, queue: str) -> None:
    # The count in queue.declare-ok is only a hint for a quorum queue (its metrics lag a
    # moment behind acks and requeues), so reading goes on until basic.get finds nothing.
    if await broker.queue_exists(f"{queue}.dlq") is None:
        raise BrokerError(f"queue {queue!r} is not declared (no {queue}.dlq)")


async def _get(broker: AmqpBroker, channel: AbstractChannel, dlq: str) -> IncomingMessage | None:
    got = await broker.guard(channel.basic_get(dlq, no_ack=False), f"read {dlq}")
    if not isinstance(got.delivery, aiormq.spec.Basic.GetOk):
        return None
    return IncomingMessage(got, no_ack=True)  # no_ack: settled on the raw channel below


async def _hand_back(channel: AbstractChannel, last_tag: int | None) -> None:
    if last_tag is not None and not channel.is_closed:
        # Everything still unacked up to the last tag (acked ones are not affected).
        await channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)


async def list_dead_letters(broker: AmqpBroker, queue: str, limit: int) -> list[DeadLetter]:
    await _check_declared(broker, queue)
    dlq = f"{queue}.dlq"
    letters: list[DeadLetter] = []
    async with broker.raw_channel() as channel:
        last_tag: int | None = None
        try:
            for _ in range(limit):
                incoming = await _get(broker, channel, dlq)
                if incoming is None:
                    break
                last_tag = incoming.delivery_tag
                letters.append(dead_letter_of(incoming, queue))
        finally:
            await _hand_back(channel, last_tag)
    return letters


async def replay(broker: AmqpBroker, queue: str, message_ids: frozenset[str] | None) -> int:
    await _check_declared(broker, queue)
    dlq = f"{queue}.dlq"
    started = datetime.now(UTC)
    moved = 0
    async with broker.raw_channel() as channel:
        last_tag: int | None = None
        try:
            while True:
                incoming = await _get(broker, channel, dlq)
                if incoming is None:
                    break
                last_tag = incoming.delivery_tag
                wanted = message_ids is None or incoming.message_id in message_ids
                # A message that failed again while we replay is back in the DLQ behind
                # us: it stays there (not replayed twice in one call, never a loop).
                if not wanted or dead_letter_of(incoming, queue).last_failure >= started:
                    continue  # stays unacked until the hand-back
                # message_of drops the x-omnihub failure headers: attempts start again.
                await broker.send_to_queue(queue, message_of(incoming))
                await broker.guard(channel.basic_ack(incoming.delivery_tag or 0), f"ack {dlq}")
                moved += 1
        finally:
            await _hand_back(channel, last_tag)
    return moved
