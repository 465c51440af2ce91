"""The plugin's tables in the hub's store (``hub_store_migrations``): append steps only.

Times are seconds since the epoch in ``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` is a
4-byte float: it would round them to minutes).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: which Chatwoot conversation each hub conversation was handed to. A row without a
    # Chatwoot id is a claim: a hub process is opening that conversation in Chatwoot.
    """
    CREATE TABLE chatwoot_handoffs (
        conversation_id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        chatwoot_conversation_id BIGINT,
        state TEXT NOT NULL,
        last_handoff_event TEXT,
        claimed_by TEXT,
        claim_until DOUBLE PRECISION,
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX chatwoot_handoffs_customer ON chatwoot_handoffs (customer_id)
    """,
]
