import GRDB

/// Every change to `audit.sqlite`, as named GRDB migrations.
enum AuditSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-audit") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    name TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;

                -- Append-only: one row per access or event, chained by BLAKE2b hashes.
                CREATE TABLE entries (
                    seq INTEGER PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT,
                    purpose TEXT,
                    message_kind TEXT,
                    case_id TEXT,
                    order_id TEXT,
                    buyer TEXT,
                    fields_asked TEXT,
                    fields_released TEXT,
                    decision TEXT NOT NULL,
                    reason TEXT,
                    channel TEXT,
                    request_id TEXT,
                    order_status TEXT,
                    days_since_purchase INTEGER,
                    days_since_delivery INTEGER,
                    details TEXT,
                    prev_hash BLOB NOT NULL,
                    hash BLOB NOT NULL
                );
                CREATE INDEX entries_by_time ON entries(time_ms);

                -- Signed statements "the log had N entries and its head hash was H at time T".
                CREATE TABLE checkpoints (
                    entry_count INTEGER PRIMARY KEY,
                    head_hash BLOB NOT NULL,
                    time_ms INTEGER NOT NULL,
                    public_key BLOB NOT NULL,
                    signature BLOB NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2-identity") { db in
            // Who was authenticated beside the actor claimed. Hashed only when set (AuditHasher),
            // so the entries written before keep their hashes.
            try db.execute(sql: "ALTER TABLE entries ADD COLUMN identity TEXT")
        }
        migrator.registerMigration("v3-explanation") { db in
            // Why a granted access was called for (AccessExplanation). Hashed only when set.
            try db.execute(sql: "ALTER TABLE entries ADD COLUMN explanation TEXT")
        }
        migrator.registerMigration("v4-unexplained-index") { db in
            // The broker's limit on unexplained reads counts an actor's recent ones at every such
            // grant (AccessPolicy.UnexplainedLimits); only those rows are indexed.
            try db.execute(sql: "CREATE INDEX entries_unexplained ON entries(actor, time_ms) WHERE explanation = 'unexplained'")
        }
        return migrator
    }
}
