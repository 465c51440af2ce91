"""The profile store behind one protocol; ``open_store(url)`` picks a backend by scheme."""

from __future__ import annotations

from .base import Claim, Store, StoreUnavailable, claim_or_wait
from .database import Database, Tx
from .sql_store import SqlStore


def open_store(url: str) -> SqlStore:
    """``sqlite:///path.db`` (embedded default) or ``postgresql://user@host/db``."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite_db import SqliteDatabase

        return SqlStore(url, SqliteDatabase(url))
    if scheme in ("postgresql", "postgres"):
        from .postgres_db import PostgresDatabase

        return SqlStore(url, PostgresDatabase(url))
    raise ValueError(
        f"store.url: unsupported scheme {scheme!r} (use sqlite:///path.db or postgresql://…)"
    )


__all__ = [
    "Claim",
    "Database",
    "SqlStore",
    "Store",
    "StoreUnavailable",
    "Tx",
    "claim_or_wait",
    "open_store",
]
