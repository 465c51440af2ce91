"""One in-process queue: ready messages, retries waiting, dead letters and its consumers.

Everything runs on the event loop, so no locks: state changes only between awaits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from .base import (
    FAILURE_HEADERS,
    H_ATTEMPTS,
    H_CONSUMER,
    H_ERROR,
    H_EXCEPTION,
    H_FIRST_FAILURE,
    H_LAST_FAILURE,
    H_ORDER_KEY,
    H_ROUTING_KEY,
    DeadLetter,
    Delivery,
    Handler,
    Message,
    PermanentFailure,
    QueueSpec,
)

MAX_ERROR_CHARS = 2000  # a header, not a log: keep a huge exception text from bloating it


@dataclass(eq=False)
class Entry:
    """A message in a queue with its delivery history."""

    message: Message
    attempt: int = 1
    redelivered: bool = False
    first_failure: datetime | None = None
    due: float = 0.0  # loop time at which a waiting retry is ready again
    timer: asyncio.TimerHandle | None = None

    @property
    def order_key(self) -> str:
        return str(self.message.headers.get(H_ORDER_KEY, ""))


class MemorySubscription:
    """A consumer on one queue: at most ``spec.concurrency`` handlers at once."""

    def __init__(self, queue: MemoryQueue, spec: QueueSpec, handler: Handler) -> None:
        if spec.concurrency < 1:
            raise ValueError(f"{spec.name}: concurrency must be at least 1")
        self.queue = queue
        self.spec = spec
        self.handler = handler
        self.tasks: set[asyncio.Task[None]] = set()  # strong references to running handlers
        self.cancelled = False

    @property
    def has_room(self) -> bool:
        return not self.cancelled and len(self.tasks) < self.spec.concurrency

    async def cancel(self, drain_timeout: float = 10.0) -> None:
        self.cancelled = True
        if self in self.queue.subscriptions:
            self.queue.subscriptions.remove(self)
        if self.tasks:
            _, late = await asyncio.wait(set(self.tasks), timeout=max(drain_timeout, 0.0))
            for task in late:
                task.cancel()  # the handler sees CancelledError; its message is requeued
            if late:
                await asyncio.wait(late)
        self.queue.pump()  # requeued messages may go to the remaining consumers


class MemoryQueue:
    def __init__(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.ready: deque[Entry] = deque()
        self.waiting: list[Entry] = []  # failed, retry not due yet
        self.dead: list[DeadLetter] = []  # the ``.dlq``, oldest first
        self.subscriptions: list[MemorySubscription] = []
        self.busy_keys: set[str] = set()  # order keys in flight or waiting (ordered queues)
        self.timers_running = True
        self.deleted = False
        self._turn = 0  # round-robin position among subscriptions

    # -- arrivals ---------------------------------------------------------------------

    def enqueue(self, entry: Entry, *, front: bool = False) -> None:
        """Add a message; ``front`` for one that was already ahead of the others."""
        if self.deleted:
            return
        if front:
            self.ready.appendleft(entry)
        else:
            self.ready.append(entry)
            limit = self.spec.max_length
            while limit is not None and len(self.ready) > limit:
                self.ready.popleft()  # RabbitMQ's overflow=drop-head
        self.pump()

    def replay(self, message_ids: frozenset[str] | None) -> int:
        keep: list[DeadLetter] = []
        back: list[DeadLetter] = []
        for letter in self.dead:
            wanted = message_ids is None or letter.message.message_id in message_ids
            (back if wanted else keep).append(letter)
        self.dead = keep
        for letter in back:
            headers = {k: v for k, v in letter.message.headers.items() if k not in FAILURE_HEADERS}
            self.enqueue(Entry(replace(letter.message, headers=headers)))
        return len(back)

    # -- dispatch ---------------------------------------------------------------------

    def pump(self) -> None:
        """Hand ready messages to consumers with room, round-robin, until one side runs out."""
        while self.ready:
            subscription = self._next_subscription()
            if subscription is None:
                return
            entry = self._take_next()
            if entry is None:
                return
            task = asyncio.get_running_loop().create_task(self._deliver(subscription, entry))
            subscription.tasks.add(task)
            task.add_done_callback(partial(self._finished, subscription, entry))

    def _next_subscription(self) -> MemorySubscription | None:
        count = len(self.subscriptions)
        for step in range(count):
            candidate = self.subscriptions[(self._turn + step) % count]
            if candidate.has_room:
                self._turn = (self._turn + step + 1) % count
                return candidate
        return None

    def _take_next(self) -> Entry | None:
        if not self.spec.ordered:
            return self.ready.popleft()
        # The first message whose key is free: earlier ones of the same key are still
        # ahead of it, since a key only frees when its message left for good or came back
        # to the front.
        for index, entry in enumerate(self.ready):
            if entry.order_key not in self.busy_keys:
                del self.ready[index]
                self.busy_keys.add(entry.order_key)
                return entry
        return None

    async def _deliver(self, subscription: MemorySubscription, entry: Entry) -> None:
        delivery = Delivery(entry.message, self.spec.name, entry.attempt, entry.redelivered)
        try:
            await subscription.handler(delivery)
        except PermanentFailure as exc:
            self._dead_letter(entry, exc)
        except Exception as exc:
            if entry.attempt < subscription.spec.max_attempts:
                self._retry_later(entry, subscription.spec.retry_delays[entry.attempt - 1])
            else:
                self._dead_letter(entry, exc)
        else:
            self._release(entry)  # acked: gone for good

    def _finished(
        self, subscription: MemorySubscription, entry: Entry, task: asyncio.Task[None]
    ) -> None:
        subscription.tasks.discard(task)
        if task.cancelled():
            # The consumer stopped with this message unacked: back to where it was. Done
            # here rather than in ``_deliver`` because a task cancelled before its first
            # step never runs a line of its coroutine.
            entry.redelivered = True
            self._release(entry)
            self.enqueue(entry, front=True)
        self.pump()

    def _release(self, entry: Entry) -> None:
        if self.spec.ordered:
            self.busy_keys.discard(entry.order_key)

    # -- failures ---------------------------------------------------------------------

    def _retry_later(self, entry: Entry, delay: float) -> None:
        # The order key stays busy while the retry waits: that is what keeps a key in order.
        entry.first_failure = entry.first_failure or datetime.now(UTC)
        entry.attempt += 1
        entry.redelivered = False  # the retry path is a new delivery, not a requeue
        entry.due = asyncio.get_running_loop().time() + delay
        self.waiting.append(entry)
        self._arm(entry)

    def _arm(self, entry: Entry) -> None:
        if self.timers_running and entry.timer is None:
            loop = asyncio.get_running_loop()
            entry.timer = loop.call_later(max(entry.due - loop.time(), 0.0), self._due, entry)

    def _due(self, entry: Entry) -> None:
        entry.timer = None
        self.waiting.remove(entry)
        self._release(entry)
        # Ordered: it is older than every ready message of its key, so it goes first.
        self.enqueue(entry, front=self.spec.ordered)

    def _dead_letter(self, entry: Entry, exc: Exception) -> None:
        self._release(entry)
        now = datetime.now(UTC)
        first = entry.first_failure or now
        error = str(exc)[:MAX_ERROR_CHARS]
        headers: dict[str, str | int] = {
            **entry.message.headers,
            H_CONSUMER: self.spec.name,
            H_ATTEMPTS: entry.attempt,
            H_EXCEPTION: type(exc).__name__,
            H_ERROR: error,
            H_FIRST_FAILURE: first.isoformat(),
            H_LAST_FAILURE: now.isoformat(),
            H_ROUTING_KEY: entry.message.routing_key,
        }
        message = replace(entry.message, headers=headers)
        letter = DeadLetter(
            message, self.spec.name, entry.attempt, type(exc).__name__, error, first, now
        )
        if not self.deleted:
            self.dead.append(letter)

    # -- life cycle -------------------------------------------------------------------

    def stop_timers(self) -> None:
        """Broker closed: waiting retries stay here, their clocks stop."""
        self.timers_running = False
        for entry in self.waiting:
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None

    def start_timers(self) -> None:
        self.timers_running = True
        for entry in self.waiting:
            self._arm(entry)

    def delete(self) -> None:
        self.stop_timers()
        self.deleted = True
        self.ready.clear()
        self.waiting.clear()
        self.dead.clear()
