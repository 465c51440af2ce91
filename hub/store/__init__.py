"""The profile store behind one protocol; ``open_store(url)`` picks a backend by scheme."""

from __future__ import annotations

from .base import Claim, Store, StoreUnavailable, claim_or_wait


def open_store(url: str) -> Store:
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(url)
    raise ValueError(f"store.url: unsupported scheme {scheme!r} (use sqlite:///path.db)")


__all__ = ["Claim", "Store", "StoreUnavailable", "claim_or_wait", "open_store"]
