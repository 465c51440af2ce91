"""Helpers for the privacy tests: test plugins, a consent row, and a direct look at the store."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from omnihub_contracts import CloudEvent

from hub import ErasureReceipt, ErasureRequest, hookimpl
from hub.store import SqlStore, Tx
from tests.identity.events import at

# Short values (a CRM id, a first name) must match a whole string; longer ones also count
# inside a longer string (a phone quoted in a message).
MIN_CONTAINED = 6


class PendingCrm:
    """A plugin whose system erases later: it answers ``pending``."""

    def __init__(self) -> None:
        self.requests: list[ErasureRequest] = []

    @hookimpl
    def hub_erase_customer(self, request: ErasureRequest) -> ErasureReceipt:
        self.requests.append(request)
        return ErasureReceipt("pending", "deletion queued in the CRM")


class FlakyCrm:
    """Fails its first erasure, then succeeds."""

    def __init__(self) -> None:
        self.calls = 0
        self.requests: list[ErasureRequest] = []

    @hookimpl
    async def hub_erase_customer(self, request: ErasureRequest) -> ErasureReceipt:
        self.calls += 1
        self.requests.append(request)
        if self.calls == 1:
            raise ConnectionError("the CRM is down")
        return ErasureReceipt("done", "contact deleted", items=1)


def consent_granted(identifiers: list[dict[str, str]], *, minutes: float) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": "/plugins/whatsapp",
            "type": "consent.granted",
            "channel": "whatsapp",
            "time": at(minutes).isoformat(),
            "data": {
                "purpose": "marketing",
                "source": "whatsapp",
                "evidence": {"reference": "wamid.opt-in-1", "detail": "Replied SIM to the opt-in"},
                "identifiers": identifiers,
            },
        }
    )


# -- a direct look at the store -------------------------------------------------------------


async def table_names(tx: Tx) -> list[str]:
    if tx.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        )
    return [r[0] for r in await tx.fetch(sql)]


async def column_names(tx: Tx, table: str) -> list[str]:
    if tx.dialect == "sqlite":
        return [r[1] for r in await tx.fetch(f"PRAGMA table_info({table})")]
    rows = await tx.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position",
        table,
    )
    return [r[0] for r in rows]


async def all_rows(store: SqlStore) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as {table: [{column: value}]}."""
    async with store.db.connection() as tx:
        out: dict[str, list[dict[str, Any]]] = {}
        for table in await table_names(tx):
            names = await column_names(tx, table)
            rows = await tx.fetch(f"SELECT {', '.join(names)} FROM {table}")
            out[table] = [dict(zip(names, row, strict=True)) for row in rows]
        return out


def strings(value: Any) -> Iterator[str]:
    """Every string in a value; a string holding a JSON document yields the strings inside."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value) if value[:1] in ("{", "[", '"') else value
        except ValueError:
            decoded = value
        if decoded is value:
            yield value
        else:
            yield from strings(decoded)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def names_anyone(value: Any, needles: Iterable[str]) -> bool:
    folded = [n.casefold() for n in needles]
    for text in strings(value):
        text = text.casefold()
        if any(n == text or (len(n) >= MIN_CONTAINED and n in text) for n in folded):
            return True
    return False


async def rows_naming(store: SqlStore, needles: Iterable[str]) -> dict[str, int]:
    """{table: rows that name any needle}, for tables with at least one such row."""
    needles = list(needles)
    found: dict[str, int] = {}
    for table, rows in (await all_rows(store)).items():
        count = sum(1 for row in rows if names_anyone(list(row.values()), needles))
        if count:
            found[table] = count
    return found
