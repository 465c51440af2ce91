"""The plugin's tables in the hub's store (``hub_store_migrations``): append steps only.

Times are seconds since the epoch in ``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` is a
4-byte float: it would round them to minutes).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: what the consumed events said about each customer, every survey, the counters.
    """
    CREATE TABLE nps_customers (
        customer_id TEXT PRIMARY KEY,
        language TEXT,
        timezone TEXT,
        last_channel TEXT,
        open_conversation TEXT,
        surveys_allowed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE nps_surveys (
        survey_id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        status TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        channel TEXT,
        conversation_id TEXT,
        order_id TEXT,
        resolved_by TEXT,
        agent TEXT,
        language TEXT,
        requested_at DOUBLE PRECISION,
        expires_at DOUBLE PRECISION,
        clarified INTEGER NOT NULL DEFAULT 0,
        score INTEGER,
        comment TEXT,
        themes TEXT,
        answer_channel TEXT,
        reason_due DOUBLE PRECISION,
        responded_at DOUBLE PRECISION,
        question TEXT,
        lease_until DOUBLE PRECISION,
        reply_id TEXT
    );
    CREATE INDEX nps_surveys_customer ON nps_surveys (customer_id, status);
    CREATE INDEX nps_surveys_due ON nps_surveys (status, due_at);
    CREATE INDEX nps_surveys_requested ON nps_surveys (requested_at);
    CREATE TABLE nps_counters (
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (kind, reason)
    );
    """,
]
