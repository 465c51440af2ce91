"""``context.conversations``: the switchboard as plugins see it (public API only)."""

from __future__ import annotations

from typing import Any

from . import context, store
from .control import Switchboard


class PluginConversations:
    def __init__(self, switchboard: Switchboard):
        self.switchboard = switchboard

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        found = await self.switchboard.get(conversation_id)
        return None if found is None else found.view()

    async def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        async with self.switchboard.store.db.connection() as tx:
            events = await store.messages(tx, conversation_id)
        return [entry.model_dump(mode="json") for entry in context.transcript(events)]

    async def reply(self, conversation_id: str, text: str, *, author: str = "bot") -> None:
        await self.switchboard.reply(conversation_id, text=text, author=author, channel=None)

    async def handoff(
        self,
        conversation_id: str,
        *,
        to: str,
        reason: str,
        mode: str = "pass",
        understanding: dict[str, Any] | None = None,
    ) -> None:
        await self.switchboard.handoff(
            conversation_id, to=to, mode=mode, reason=reason, understanding=understanding
        )

    async def follow_up(
        self, customer_id: str, *, reason: str, note: str | None = None, channel: str | None = None
    ) -> str:
        return await self.switchboard.follow_up(
            customer_id, reason=reason, note=note, channel=channel
        )
