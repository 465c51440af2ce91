"""A stand-in hub process for the kill -9 fault test: consumes one queue until killed.

``python -m tests.broker.fault_worker URL QUEUE JOURNAL`` — every delivery and every effect
is appended to ``JOURNAL`` (one short line, one ``write``: atomic with ``O_APPEND``), which
the test reads to build its ledger. Effects are deduplicated against the journal, as the
consumer runner deduplicates against the store shared by all hub processes.
"""

from __future__ import annotations

import asyncio
import os
import sys

from hub.broker import Delivery, QueueSpec
from hub.broker.amqp import AmqpBroker


class Journal:
    def __init__(self, path: str, who: str) -> None:
        self.path = path
        self.who = who
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, kind: str, message_id: str, extra: str = "") -> None:
        os.write(self.fd, f"{kind} {message_id} {self.who} {extra}\n".encode())

    def effects(self) -> set[str]:
        with open(self.path, encoding="utf-8") as journal:
            return {line.split()[1] for line in journal if line.startswith("E ")}

    async def handle(self, delivery: Delivery) -> None:
        message_id = delivery.message.message_id
        self.write("D", message_id, "redelivered" if delivery.redelivered else "")
        if message_id in self.effects():
            return  # done by this or another process before: no second effect
        await asyncio.sleep(0.005)  # the effect takes a moment: a kill lands mid-way
        self.write("E", message_id)


async def main(url: str, queue: str, journal_path: str) -> None:
    broker = AmqpBroker(url)
    await broker.connect()
    journal = Journal(journal_path, f"pid{os.getpid()}")
    await broker.consume(QueueSpec(queue, concurrency=8), journal.handle)
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
