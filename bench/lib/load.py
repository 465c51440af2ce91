"""Offering load and keeping the books: when each event was sent and first received.

Two shapes of load:

* ``closed_loop``: a fixed number of senders, each sending its next batch as soon as the
  previous one was accepted and fewer than ``outstanding`` events are on their way (sent,
  not yet received). It finds the maximum sustained rate. Without that end-to-end bound,
  a system that accepts faster than it processes (HTTP 202 once the ingress has the
  event) would pile up a backlog for the whole run, and latency would only measure the
  backlog; with it, latency at max is what a full pipeline of ``outstanding`` costs.
* ``open_loop``: batches are due at a fixed rate whatever happens downstream. A batch is
  stamped with the time it was *due*, not the time it went out, so a driver or system that
  falls behind shows up in the latency instead of being hidden (coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

Clock = Callable[[], float]
Send = Callable[[Sequence[str]], Awaitable[None]]  # raises when the batch was refused


class Ledger:
    """Send and receive stamps per event id, in seconds of one clock.

    In-process scenarios use ``time.perf_counter``; where the receiver is another process
    (the hub) both sides use ``time.time`` of this machine.
    """

    def __init__(self, clock: Clock, expected: int) -> None:
        self.clock = clock
        self.expected = expected
        self.sent: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self.accept_seconds: list[float] = []  # send call → accepted (confirm, HTTP 2xx)
        self.duplicates = 0
        self.refused = 0
        self.errors: dict[str, int] = {}  # first words of each distinct send error
        self._all_in = asyncio.Event()
        self._progress = asyncio.Event()  # set on every receipt or refusal

    def mark_sent(self, ids: Iterable[str], at: float | None = None) -> None:
        stamp = self.clock() if at is None else at
        for event_id in ids:
            self.sent[event_id] = stamp

    def mark_received(self, event_id: str, at: float | None = None) -> None:
        if event_id not in self.sent:
            return  # another run's event (warm-up, an earlier run on the same hub)
        if event_id in self.received:
            self.duplicates += 1
            return
        self.received[event_id] = self.clock() if at is None else at
        self._progress.set()
        if len(self.received) >= self.expected:
            self._all_in.set()

    def refuse(self, ids: Sequence[str], error: BaseException) -> None:
        """The batch was not accepted: it will never arrive, so stop expecting it."""
        self.refused += len(ids)
        self.expected -= len(ids)
        text = f"{type(error).__name__}: {error}"[:120]
        self.errors[text] = self.errors.get(text, 0) + 1
        self._progress.set()
        if len(self.received) >= self.expected:
            self._all_in.set()

    @property
    def outstanding(self) -> int:
        return len(self.sent) - len(self.received) - self.refused

    async def room_for(self, count: int, limit: int) -> None:
        """Until ``count`` more events keep the outstanding ones within ``limit``."""
        while self.outstanding > 0 and self.outstanding + count > limit:
            self._progress.clear()  # no await between the check and here: no lost wake-up
            await self._progress.wait()

    async def wait_all(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._all_in.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def latencies(self) -> list[float]:
        return [at - self.sent[event_id] for event_id, at in self.received.items()]

    def elapsed(self) -> float:
        """First send to last receipt: the window the throughput is measured over."""
        if not self.received:
            return 0.0
        return max(self.received.values()) - min(self.sent.values())


async def _send_one(ledger: Ledger, send: Send, batch: Sequence[str]) -> None:
    started = time.perf_counter()
    try:
        await send(batch)
    except Exception as exc:
        ledger.refuse(batch, exc)
        return
    ledger.accept_seconds.append(time.perf_counter() - started)


async def closed_loop(
    ledger: Ledger,
    batches: Sequence[Sequence[str]],
    send: Send,
    concurrency: int,
    outstanding: int,
) -> None:
    pending = iter(batches)  # shared: each batch goes to exactly one sender

    async def sender() -> None:
        for batch in pending:
            await ledger.room_for(len(batch), outstanding)
            ledger.mark_sent(batch)
            await _send_one(ledger, send, batch)

    await asyncio.gather(*(sender() for _ in range(concurrency)))


async def open_loop(
    ledger: Ledger,
    batches: Sequence[Sequence[str]],
    send: Send,
    batches_per_second: float,
    max_in_flight: int,
) -> None:
    loop = asyncio.get_running_loop()
    started_loop, started_clock = loop.time(), ledger.clock()
    slots = asyncio.Semaphore(max_in_flight)  # bounds memory if the system stalls
    running: set[asyncio.Task[None]] = set()

    async def one(batch: Sequence[str]) -> None:
        try:
            await _send_one(ledger, send, batch)
        finally:
            slots.release()

    for index, batch in enumerate(batches):
        due = started_loop + index / batches_per_second
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        ledger.mark_sent(batch, started_clock + (due - started_loop))
        task = loop.create_task(one(batch))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)


def chunks(ids: Sequence[str], size: int) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
