"""Gathers contact updates for a moment and sends them as one batch request.

Each caller waits until its own update was accepted (or failed), so the hub acks an event
only once HubSpot has it. Contacts HubSpot refused in a batch are sent alone, so one bad
contact fails only its own event.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .api import ApiRefused, HubSpotApi


@dataclass
class _Update:
    contact_id: str
    properties: dict[str, str]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class UpdateBatcher:
    def __init__(self, api: HubSpotApi, *, window: float, size: int, log: Any):
        self.api = api
        self.window = window
        self.size = size
        self.log = log
        self._pending: list[_Update] = []
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def update(self, contact_id: str, properties: dict[str, str]) -> None:
        if any(u.contact_id == contact_id for u in self._pending):
            self._flush()  # HubSpot refuses a batch that names a contact twice
        update = _Update(contact_id, properties)
        # Marks a failure as seen even when its caller gave up (no "never retrieved" noise).
        update.done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._pending.append(update)
        if len(self._pending) >= self.size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.window, self._flush)
        # Shielded: a caller that gives up (its handler timed out) must not cancel the
        # batch the other callers are waiting for.
        await asyncio.shield(update.done)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Update]) -> None:
        inputs = [{"id": u.contact_id, "properties": u.properties} for u in batch]
        try:
            refused = await self.api.batch_update(inputs)
        except ApiRefused:
            refused = {u.contact_id for u in batch}  # find out which one, alone
        except Exception as exc:
            for update in batch:
                _settle(update, exc)
            return
        self.log.info("hubspot_batch_sent", contacts=len(batch), refused=len(refused))
        for update in batch:
            if update.contact_id not in refused:
                _settle(update, None)
        for update in (u for u in batch if u.contact_id in refused):
            try:
                await self.api.update(update.contact_id, update.properties)
            except Exception as exc:
                _settle(update, exc)
            else:
                _settle(update, None)

    async def close(self) -> None:
        """Send what is pending and wait for every request in flight."""
        self._flush()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


def _settle(update: _Update, failure: Exception | None) -> None:
    if update.done.done():
        return
    if failure is None:
        update.done.set_result(None)
    else:
        update.done.set_exception(failure)
