"""Omnihub's benchmark plugin, loaded like any outside plugin (entry point ``bench``).

* Consumer ``bench-recorder`` (``customer.#``, ``message.#``): for every event it is handed
  it appends ``<event id> <time.time()>`` to the ``receipts`` file. ``bench/run.py`` reads
  the file and subtracts its own send stamps: same machine, same wall clock.
* ``POST /webhooks/bench/inbound`` stands in for a channel webhook (the WhatsApp plugin does
  not exist yet): it checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with
  ``app_secret``, compared in constant time), turns each message into a canonical
  ``message.received`` and answers 200 only after ``context.publish`` returned, i.e. after
  the broker confirmed every event — what a real channel plugin must do.

Not for production use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web
from pydantic import Field

from hub import CloudEvent, ConfigModel, Consumer, PluginContext, hookimpl

SIGNATURE_HEADER = "X-Hub-Signature-256"
SOURCE = "/webhooks/bench"
CHANNEL = "whatsapp"  # the channel this webhook stands in for


class Settings(ConfigModel):
    receipts: Path  # where the consumer appends "<event id> <unix time>" per event
    app_secret: str = Field(min_length=16)
    concurrency: int = Field(16, ge=1)  # the Consumer default a plugin author would keep


class Recorder:
    """Appends one line per event. Line-buffered, so a line is written when handled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: TextIO | None = None

    async def __call__(self, event: CloudEvent) -> None:
        at = time.time()  # first thing: the moment the handler sees the event
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", buffering=1, encoding="utf-8")
        self._out.write(f"{event.id} {at:.6f}\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


_recorders: dict[str, Recorder] = {}  # per plugin context name; one hub per process


@hookimpl
def hub_config_model() -> type[Settings]:
    return Settings


@hookimpl
def hub_register_consumers(register: Any, context: PluginContext) -> None:
    recorder = _recorders[context.name] = Recorder(context.config.receipts)
    # Purpose-free: the benchmark measures the path; a consumer with purposes would be
    # handed nothing once a consent stage stamps snapshots the bench never granted.
    register(
        Consumer(
            "bench-recorder",
            ("customer.#", "message.#"),
            recorder,
            purposes=(),
            concurrency=context.config.concurrency,
        )
    )


@hookimpl
def hub_shutdown(context: PluginContext) -> None:
    recorder = _recorders.pop(context.name, None)
    if recorder is not None:
        recorder.close()


def verified(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").encode())


def message_event(message: dict[str, Any]) -> dict[str, Any]:
    """A webhook message as a canonical ``message.received``.

    The event id is the channel's message id, so a webhook the channel delivers twice is
    dropped by the hub's dedupe instead of reaching consumers twice.
    """
    event = {
        "id": message["id"],
        "source": SOURCE,
        "type": "message.received",
        "channel": CHANNEL,
        "data": {
            "kind": "text",
            "channel_message_id": message["id"],
            "sender": {"identifiers": [{"kind": CHANNEL, "value": message["from"]}]},
            "text": message["text"],
        },
    }
    if message.get("customer"):
        event["customerid"] = message["customer"]
    return event


@hookimpl
def hub_register_routes(router: Any, context: PluginContext) -> None:
    secret = context.config.app_secret

    async def inbound(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verified(secret, raw, request.headers.get(SIGNATURE_HEADER)):
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            messages = json.loads(raw)["messages"]
            events = [message_event(m) for m in messages]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "not a webhook body"}, status=400)
        # Returns once the broker confirmed every event; BrokerUnavailable becomes a 503
        # (the channel retries) and an invalid event a 400, both from the hub.
        await context.publish(events)
        return web.json_response({"published": len(events)})

    router.post("/inbound", inbound)
