import GRDB

/// Every change to `vault.sqlite`, as named GRDB migrations. Never edit a released migration: add one.
enum VaultSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-vault") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    name TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;

                -- Data keys, wrapped by the master key (nonce || ciphertext || tag).
                CREATE TABLE keys (
                    role TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    wrapped BLOB NOT NULL,
                    is_primary INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    retired_at INTEGER,
                    PRIMARY KEY (role, version)
                ) WITHOUT ROWID;

                -- One row per buyer; the same relay email across orders is one buyer.
                CREATE TABLE buyers (
                    id INTEGER PRIMARY KEY,
                    uid BLOB NOT NULL,                 -- random 16 bytes, bound into ciphertexts
                    email_index BLOB UNIQUE,           -- keyed BLAKE2b of the normalised email
                    email_index_version INTEGER,
                    buyer_email BLOB,                  -- sealed
                    buyer_name BLOB,                   -- sealed
                    digest BLOB,                       -- keyed digest of the plaintext, to skip rewrites
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );

                -- Marketplace order ids are random: they get a unique index, while rows (and their
                -- items, keyed by the row id) are appended in import order.
                CREATE TABLE orders (
                    id INTEGER PRIMARY KEY,
                    order_id TEXT NOT NULL UNIQUE,
                    buyer_id INTEGER NOT NULL REFERENCES buyers(id),
                    marketplace TEXT,
                    purchase_date INTEGER,
                    payments_date INTEGER,
                    status TEXT NOT NULL,
                    item_count INTEGER NOT NULL DEFAULT 0,
                    ship_service_level TEXT,
                    shipped_at INTEGER,
                    carrier TEXT,
                    tracking_number TEXT,
                    delivered_at INTEGER,
                    returned_at INTEGER,
                    refunded_at INTEGER,
                    cancelled_at INTEGER,
                    buyer_phone BLOB,                  -- sealed fields from here
                    recipient_name BLOB,
                    address_line_1 BLOB,
                    address_line_2 BLOB,
                    address_line_3 BLOB,
                    city BLOB,
                    state_or_region BLOB,
                    postal_code BLOB,
                    country_code BLOB,
                    ship_phone BLOB,
                    contact_digest BLOB,
                    pii_removed_at INTEGER,
                    pii_removed_reason TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX orders_by_buyer ON orders(buyer_id);

                CREATE TABLE order_items (
                    order_ref INTEGER NOT NULL REFERENCES orders(id),
                    order_item_id TEXT NOT NULL,
                    sku TEXT,
                    product_name TEXT,
                    quantity INTEGER NOT NULL,
                    PRIMARY KEY (order_ref, order_item_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-order-buyer-link") { db in
            // Keyed MAC of (order id, buyer uid): see OrderBuyerLink.
            try db.execute(sql: "ALTER TABLE orders ADD COLUMN buyer_link BLOB")
        }
        migrator.registerMigration("v3-no-buyer-phone") { db in
            // No permitted purpose reads the buyer's own phone: what older versions sealed goes
            // (secure_delete overwrites it; the next WAL checkpoint removes it from the WAL).
            try db.execute(sql: "UPDATE orders SET buyer_phone = NULL WHERE buyer_phone IS NOT NULL")
        }
        migrator.registerMigration("v4-jobs") { db in
            // The intent journal: see JobJournal.
            try db.execute(sql: """
                CREATE TABLE jobs (
                    intent TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    order_id TEXT,
                    details TEXT,
                    started_ms INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v5-review-requests") { db in
            // When the order's one review request was made (AccessBroker, MessageKind.reviewRequest).
            try db.execute(sql: "ALTER TABLE orders ADD COLUMN review_requested_at INTEGER")
        }
        migrator.registerMigration("v6-support-cases") { db in
            // Support cases the buyer opened (Vault.recordCase): what explains a support read.
            // Holds ids and staff names only, no buyer data.
            try db.execute(sql: """
                CREATE TABLE support_cases (
                    case_id TEXT PRIMARY KEY NOT NULL,
                    order_id TEXT NOT NULL,
                    opened_at INTEGER NOT NULL,
                    handler TEXT,
                    closed_at INTEGER
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }
}
