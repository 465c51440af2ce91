"""Schema migrations, run on start; each is written once with dialect words filled in.

Versions only ever append. Hubs starting together on a fresh database migrate one after
the other (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock), never twice.
"""

from __future__ import annotations

from .database import Database, Dialect, Tx, first_value

WORDS: dict[Dialect, dict[str, str]] = {
    "sqlite": {
        "real": "REAL",
        "serial": "INTEGER PRIMARY KEY",
        "without_rowid": "WITHOUT ROWID",
    },
    "postgresql": {
        "real": "DOUBLE PRECISION",
        "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "without_rowid": "",
    },
}

MIGRATIONS: list[str] = [
    # 1: processed-event claims (dedupe by event id).
    """
    CREATE TABLE claims (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        claimed_at {real} NOT NULL,
        PRIMARY KEY (scope, key)
    ) {without_rowid};
    CREATE INDEX claims_age ON claims (done, claimed_at);
    """,
    # 2: a per-claim lease end, so claims with different leases go in one statement.
    "ALTER TABLE claims ADD COLUMN expires_at {real} NOT NULL DEFAULT 0;",
    # 3: profiles: the identity graph, traits, the timeline, merges and the outbox.
    """
    CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        created_at {real} NOT NULL,
        updated_at {real} NOT NULL,
        merged_into TEXT
    );
    CREATE INDEX customers_merged_into ON customers (merged_into);
    CREATE TABLE identifiers (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        first_seen {real} NOT NULL,
        PRIMARY KEY (kind, value)
    ) {without_rowid};
    CREATE INDEX identifiers_customer ON identifiers (customer_id);
    CREATE TABLE traits (
        customer_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        source TEXT NOT NULL,
        observed_at {real} NOT NULL,
        updated_at {real} NOT NULL,
        PRIMARY KEY (customer_id, key)
    ) {without_rowid};
    CREATE TABLE timeline (
        seq {serial},
        customer_id TEXT NOT NULL,
        event_key TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        channel TEXT,
        time {real} NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX timeline_customer ON timeline (customer_id, time, seq);
    CREATE TABLE merges (
        id TEXT PRIMARY KEY,
        surviving_id TEXT NOT NULL,
        merged_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        identifier_kind TEXT,
        identifier_value TEXT,
        event_key TEXT,
        at {real} NOT NULL,
        snapshot TEXT NOT NULL,
        undone_at {real},
        undo_reason TEXT
    );
    CREATE INDEX merges_surviving ON merges (surviving_id);
    CREATE INDEX merges_merged ON merges (merged_id);
    CREATE TABLE merge_moves (
        merge_id TEXT NOT NULL,
        item TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (merge_id, item, key)
    ) {without_rowid};
    CREATE TABLE merge_blocks (
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        PRIMARY KEY (a, b)
    ) {without_rowid};
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at {real} NOT NULL
    );
    """,
    # 4: privacy: the consent ledger, erasure requests and receipts, suppressed identifiers
    # (salted hashes only) and the audit of personal-data reads.
    """
    CREATE TABLE consent_ledger (
        seq {serial},
        customer_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        status TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        source TEXT NOT NULL,
        evidence TEXT,
        event_key TEXT UNIQUE,
        at {real} NOT NULL,
        expires_at {real}
    );
    CREATE INDEX consent_ledger_customer ON consent_ledger (customer_id, at, seq);
    CREATE TABLE erasures (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at {real} NOT NULL,
        deadline {real} NOT NULL,
        status TEXT NOT NULL,
        finished_at {real}
    );
    CREATE TABLE erasure_receipts (
        erasure_id TEXT NOT NULL,
        system TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        items INTEGER NOT NULL DEFAULT 0,
        updated_at {real} NOT NULL,
        PRIMARY KEY (erasure_id, system)
    ) {without_rowid};
    CREATE TABLE suppressed (
        digest TEXT PRIMARY KEY,
        erasure_id TEXT NOT NULL,
        at {real} NOT NULL
    ) {without_rowid};
    CREATE TABLE audit_log (
        seq {serial},
        at {real} NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        customer_id TEXT,
        detail TEXT
    );
    CREATE INDEX audit_log_customer ON audit_log (customer_id, at);
    """,
    # 5: external consumers: systems reading their own queue (omnihub consumers add).
    """
    CREATE TABLE external_consumers (
        name TEXT PRIMARY KEY,
        patterns TEXT NOT NULL,
        purposes TEXT NOT NULL,
        fields TEXT,
        created_at {real} NOT NULL
    );
    """,
    # 6: conversations across channels, and the timeline indexed by conversation.
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        status TEXT NOT NULL,
        controller TEXT NOT NULL,
        agent TEXT,
        last_channel TEXT,
        opened_at {real} NOT NULL,
        updated_at {real} NOT NULL,
        closed_at {real},
        offer_to TEXT,
        offer_expires_at {real}
    );
    CREATE INDEX conversations_customer ON conversations (customer_id, status);
    ALTER TABLE timeline ADD COLUMN conversation_id TEXT;
    CREATE INDEX timeline_conversation ON timeline (conversation_id, time, seq);
    """,
    # 7: almost every profile is live (merged_into NULL): with statistics, SQLite judged a
    # full index useless and scanned every customer to find those merged into one.
    """
    DROP INDEX customers_merged_into;
    CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
    """,
    # 8: plugins' own tables (hub_store_migrations): which of a plugin's steps are applied.
    """
    CREATE TABLE plugin_migrations (
        plugin TEXT NOT NULL,
        version INTEGER NOT NULL,
        applied_at {real} NOT NULL,
        PRIMARY KEY (plugin, version)
    ) {without_rowid};
    """,
    # 9: on SQLite these run on the event loop: the offer check (every few seconds) must
    # not scan every conversation ever held, nor the audit listing sort the whole log.
    """
    CREATE INDEX conversations_offers ON conversations (offer_expires_at)
        WHERE offer_to IS NOT NULL;
    CREATE INDEX audit_log_at ON audit_log (at, seq);
    """,
    # 10: every customer id an erasure covers (the surviving id and those merged into it):
    # once the hub's rows are deleted, a retry still names them all to the plugins, and a
    # merged id still finds its request. Opaque hub ids, never an identifier's value.
    # Unfinished requests by deadline, for the deadline check (a small, partial index).
    """
    CREATE TABLE erasure_customers (
        erasure_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        PRIMARY KEY (erasure_id, customer_id)
    ) {without_rowid};
    CREATE INDEX erasure_customers_customer ON erasure_customers (customer_id);
    INSERT INTO erasure_customers (erasure_id, customer_id)
        SELECT id, customer_id FROM erasures WHERE customer_id <> '';
    CREATE INDEX erasures_unfinished ON erasures (deadline) WHERE status <> 'done';
    """,
]

_MIGRATION_LOCK = 7_402_215_001  # any constant shared by every hub of this schema


async def lock_schema(tx: Tx) -> None:
    """Hold the schema lock until ``tx`` ends: one hub migrates at a time (SQLite's
    ``BEGIN IMMEDIATE`` already excludes every other writer)."""
    if tx.dialect == "postgresql":
        await tx.execute("SELECT pg_advisory_xact_lock(?)", _MIGRATION_LOCK)


def statements(sql: str) -> list[str]:
    """The statements of a migration step (``;``-separated, no ``;`` inside literals)."""
    return [s.strip() for s in sql.split(";") if s.strip()]


async def migrate(db: Database) -> int:
    """Apply pending migrations; returns the schema version now in place."""
    async with db.transaction() as tx:
        await lock_schema(tx)
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        current = await first_value(tx, "SELECT max(version) FROM schema_version") or 0
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in statements(sql.format(**WORDS[db.dialect])):
                await tx.execute(statement)
            await tx.execute("INSERT INTO schema_version VALUES (?)", version)
        return len(MIGRATIONS)
