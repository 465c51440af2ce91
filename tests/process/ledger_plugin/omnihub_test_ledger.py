"""A test-only plugin: a consumer that journals every handler call to a file per process.

Each call appends one JSON line when it starts and one when its effect is done (the
``effect`` line *is* the effect the process tests count)::

    {"event_id": "...", "source": "...", "pid": 123, "phase": "start"|"effect",
     "call": 1, "t": 1718000000.123}

``call`` numbers the calls for one event id within this process (2 = this process ran
the handler for that id a second time). A line is a single ``os.write`` on an
``O_APPEND`` descriptor: it reaches the file whole even if the process is killed with
SIGKILL right after, and the test can read the journal of a dead process.

``latency`` keeps the handler busy before its effect, so a signal or a dropped
connection finds work in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hub import CloudEvent, ConfigModel, Consumer, PluginContext, RetryPolicy, hookimpl


class Settings(ConfigModel):
    journal: Path  # one file per hub process
    consumer: str = "ledger"
    patterns: tuple[str, ...] = ("customer.#",)
    latency: float = 0.1  # seconds each call takes before its effect
    concurrency: int = 8
    timeout: float = 3.0  # short: a claim held by a dead worker is free after 2 x this
    retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2)


class Journal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._calls: Counter[str] = Counter()

    def start(self, event: CloudEvent) -> int:
        self._calls[event.id] += 1
        call = self._calls[event.id]
        self._write(event, "start", call)
        return call

    def effect(self, event: CloudEvent, call: int) -> None:
        self._write(event, "effect", call)

    def _write(self, event: CloudEvent, phase: str, call: int) -> None:
        line: dict[str, Any] = {
            "event_id": event.id,
            "source": event.source,
            "pid": os.getpid(),
            "phase": phase,
            "call": call,
            "t": time.time(),
        }
        os.write(self._fd, (json.dumps(line) + "\n").encode())

    def close(self) -> None:
        os.close(self._fd)


@hookimpl
def hub_config_model() -> type[Settings]:
    return Settings


@hookimpl
def hub_register_consumers(register: Any, context: PluginContext) -> None:
    settings: Settings = context.config
    journal = Journal(settings.journal)
    context.state["journal"] = journal

    async def handle(event: CloudEvent) -> None:
        call = journal.start(event)
        await asyncio.sleep(settings.latency)
        journal.effect(event, call)

    register(
        Consumer(
            settings.consumer,
            settings.patterns,
            handle,
            purposes=(),
            retry=RetryPolicy(settings.retry_delays),
            concurrency=settings.concurrency,
            timeout=settings.timeout,
        )
    )


@hookimpl
def hub_shutdown(context: PluginContext) -> None:
    journal = context.state.pop("journal", None)
    if journal is not None:
        journal.close()
