import Foundation
import GRDB
import GRDBSQLite

/// How a batch of stored orders changed the vault.
public struct StoreSummary: Sendable, Equatable, Codable {
    /// Orders that were not in the vault.
    public var ordersInserted = 0
    /// Orders already there whose contact, status or items changed.
    public var ordersUpdated = 0
    /// Orders already there exactly as given.
    public var ordersUnchanged = 0
    /// Buyers seen for the first time.
    public var buyersInserted = 0
    /// Item lines inserted or changed.
    public var itemsWritten = 0
    /// The ids of updated orders, when the writer was asked to keep them (``Vault/store(_:actor:)``
    /// logs them: an address overwritten is what an auditor looks for). Not part of the JSON form.
    var updatedOrderIDs: [String] = []

    private enum CodingKeys: String, CodingKey {
        case ordersInserted, ordersUpdated, ordersUnchanged, buyersInserted, itemsWritten
    }

    /// An empty summary.
    public init() {}

    /// Adds another summary's counts to this one.
    public mutating func add(_ other: StoreSummary) {
        ordersInserted += other.ordersInserted
        ordersUpdated += other.ordersUpdated
        ordersUnchanged += other.ordersUnchanged
        buyersInserted += other.buyersInserted
        itemsWritten += other.itemsWritten
        updatedOrderIDs += other.updatedOrderIDs
    }
}

/// An order with everything that needs a key computed ahead of the write transaction: the blind
/// index, digests, and every field already sealed. Preparing is pure CPU work and runs outside
/// the database's single writer, in parallel with the previous batch's write.
struct PreparedOrder: Sendable {
    let order: MarketplaceOrder
    let emailIndex: Data?
    /// The email's index under older blind-index versions still in use (during a rotation).
    let olderEmailIndexes: [Data]
    /// The id a new buyer gets if the email is not in the vault yet (discarded otherwise).
    let newBuyerUID: [UInt8]
    let newBuyerDigest: Data
    /// The order's ``OrderBuyerLink`` to that new buyer (computed again if the buyer exists).
    let newBuyerLink: Data
    let sealedBuyerEmail: Data?
    let sealedBuyerName: Data?
    let orderDigest: Data
    /// Sealed ``ContactField/orderLevel`` fields, in that order.
    let sealedOrderFields: [Data?]
}

/// Seals orders for writing. Not shared between tasks (it owns a nonce pool).
struct OrderSealer {
    let cipher: FieldCipher
    let indexer: BlindIndexer
    let nonces = RandomBytePool()

    func prepare(_ order: MarketplaceOrder) throws -> PreparedOrder {
        var order = order
        for field in ContactField.allCases where !ContactField.stored.contains(field) { order.contact[field] = nil }  // data minimisation
        let contact = order.contact
        let email = contact[.buyerEmail]
        let name = contact[.buyerName]
        let uid = nonces.bytes(16)
        let buyerRecord = RecordID.buyer(uid)
        let orderRecord = RecordID.order(order.id)
        return PreparedOrder(
            order: order,
            emailIndex: try email.map { try indexer.index(email: $0) },
            olderEmailIndexes: try email.map { try indexer.olderIndexes(email: $0) } ?? [],
            newBuyerUID: uid,
            newBuyerDigest: try indexer.digest(record: buyerRecord, fields: [(.buyerEmail, email), (.buyerName, name)]),
            newBuyerLink: try OrderBuyerLink.mac(orderID: order.id.rawValue, buyerUID: uid, keyRing: cipher.keyRing),
            sealedBuyerEmail: try email.map { try cipher.seal($0, field: .buyerEmail, record: buyerRecord, nonces: nonces) },
            sealedBuyerName: try name.map { try cipher.seal($0, field: .buyerName, record: buyerRecord, nonces: nonces) },
            orderDigest: try indexer.digest(record: orderRecord, fields: ContactField.orderLevel.map { ($0, contact[$0]) }),
            sealedOrderFields: try ContactField.orderLevel.map { field in
                try contact[field].map { try cipher.seal($0, field: field, record: orderRecord, nonces: nonces) }
            })
    }
}

/// Writes prepared orders and their buyers into `vault.sqlite`.
///
/// Idempotent: writing the same order twice changes nothing the second time (a keyed digest of
/// the plaintext tells, so unchanged fields are not rewritten). Runs inside the caller's transaction.
struct OrderWriter {
    let sealer: OrderSealer
    let now: Date
    /// Whether to keep the ids of updated orders in the summary.
    var keepsUpdatedIDs = false

    func write(_ orders: some Collection<PreparedOrder>, in db: Database) throws -> StoreSummary {
        var summary = StoreSummary()
        let statements = try Statements(db)
        for order in orders {
            try write(order, in: db, statements: statements, summary: &summary)
        }
        return summary
    }

    /// The statements every order runs, looked up in the connection's cache once per batch rather
    /// than once per order (the lookup hashes the SQL text).
    private struct Statements {
        let removed: Statement
        let buyerByIndex: Statement
        let buyerWithoutEmail: Statement
        let insertBuyer: Statement
        let insertOrder: Statement
        let upsertItem: Statement

        init(_ db: Database) throws {
            removed = try db.cachedStatement(sql: "SELECT 1 FROM orders WHERE order_id = ? AND pii_removed_at IS NOT NULL")
            buyerByIndex = try db.cachedStatement(sql: "SELECT id, uid, digest FROM buyers WHERE email_index = ?")
            buyerWithoutEmail = try db.cachedStatement(sql: """
                SELECT buyers.id, buyers.uid, buyers.digest FROM orders JOIN buyers ON buyers.id = orders.buyer_id
                WHERE orders.order_id = ? AND buyers.email_index IS NULL
                """)
            insertBuyer = try db.cachedStatement(sql: """
                INSERT INTO buyers (uid, email_index, email_index_version, buyer_email, buyer_name, digest, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            insertOrder = try db.cachedStatement(sql: OrderWriter.insertOrderSQL)
            upsertItem = try db.cachedStatement(sql: """
                INSERT INTO order_items (order_ref, order_item_id, sku, product_name, quantity) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (order_ref, order_item_id) DO UPDATE SET
                    sku = excluded.sku, product_name = excluded.product_name, quantity = excluded.quantity
                WHERE sku IS NOT excluded.sku OR product_name IS NOT excluded.product_name OR quantity IS NOT excluded.quantity
                """)
        }
    }

    private func write(_ prepared: PreparedOrder, in db: Database, statements: Statements, summary: inout StoreSummary) throws {
        let order = prepared.order
        let timestamp = Int64(now.timeIntervalSince1970)
        // An order whose PII was purged or erased stays that way: an old report imported again
        // must not bring the buyer back (not even as a new buyer row).
        var removed = false
        try statements.removed.run([.text(order.id.rawValue)]) { _ in removed = true }
        if removed {
            summary.ordersUnchanged += 1
            return
        }
        let link: Data
        let buyerID: Int64
        if let (existing, uid) = try existingBuyer(for: prepared, in: db, statements: statements) {
            buyerID = existing
            link = try OrderBuyerLink.mac(orderID: order.id.rawValue, buyerUID: uid, keyRing: sealer.cipher.keyRing)
        } else {
            buyerID = try insertBuyer(prepared, in: db, statements: statements, summary: &summary)
            link = prepared.newBuyerLink
        }

        // New orders (the common case of an import) take one statement; existing ones are compared.
        var values: [DirectBinding] = [
            .text(order.id.rawValue), .integer(buyerID), DirectBinding(order.marketplace),
            DirectBinding(order.purchaseDate.map(Self.seconds)), DirectBinding(order.paymentsDate.map(Self.seconds)),
            .text(order.status.rawValue), DirectBinding(order.itemCount), DirectBinding(order.shipServiceLevel),
            .blob(prepared.orderDigest), .integer(timestamp), .integer(timestamp), .blob(link),
        ]
        values.reserveCapacity(values.count + prepared.sealedOrderFields.count)
        for sealed in prepared.sealedOrderFields { values.append(DirectBinding(sealed)) }
        try statements.insertOrder.run(values)
        let inserted = db.changesCount > 0
        var changed = false
        let rowID: Int64
        if inserted {
            rowID = db.lastInsertedRowID
            summary.ordersInserted += 1
        } else {
            (rowID, changed) = try update(prepared, buyerID: buyerID, link: link, in: db)
        }

        var itemsChanged = 0
        for item in order.items {
            try statements.upsertItem.run([.integer(rowID), .text(item.orderItemID), DirectBinding(item.sku),
                          DirectBinding(item.productName), DirectBinding(item.quantity)])
            itemsChanged += db.changesCount
        }
        summary.itemsWritten += itemsChanged
        if !inserted {
            if itemsChanged > 0 || (order.items.isEmpty && order.itemCountHint != nil) {
                try refreshItemCount(of: order, rowID: rowID, in: db)
                changed = changed || itemsChanged > 0 || db.changesCount > 0
            }
            if changed {
                summary.ordersUpdated += 1
                if keepsUpdatedIDs { summary.updatedOrderIDs.append(order.id.rawValue) }
            } else {
                summary.ordersUnchanged += 1
            }
        } else if itemsChanged > 0 && order.items.count != itemsChanged {
            try refreshItemCount(of: order, rowID: rowID, in: db)  // duplicate item ids within one order
        }
    }

    /// Brings an existing order up to date; returns its row id and whether anything changed.
    private func update(_ prepared: PreparedOrder, buyerID: Int64, link: Data, in db: Database) throws -> (Int64, Bool) {
        let order = prepared.order
        let timestamp = Int64(now.timeIntervalSince1970)
        guard let existing = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, status, contact_digest, pii_removed_at FROM orders WHERE order_id = ?"),
            arguments: [order.id.rawValue])
        else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "order \(order.id) neither inserted nor found")
        }
        let rowID: Int64 = existing["id"]
        var changed = false
        let currentStatus = OrderStatus(rawValue: existing["status"]) ?? .pending
        let status = order.status.progress > currentStatus.progress ? order.status : currentStatus
        let sameContact = (existing["contact_digest"] as Data?) == prepared.orderDigest
        let removed = (existing["pii_removed_at"] as Int64?) != nil
        if !sameContact && !removed {
            // The new values replace the old; they were sealed for this order's record.
            var arguments = StatementArguments(prepared.sealedOrderFields)
            arguments += [prepared.orderDigest, timestamp, order.id.rawValue]
            try db.cachedStatement(sql: Self.resealOrderSQL).execute(arguments: arguments)
            changed = true
        }
        try db.cachedStatement(sql: """
            UPDATE orders SET buyer_id = ?, buyer_link = ?, status = ?, marketplace = coalesce(?, marketplace),
                purchase_date = coalesce(?, purchase_date), payments_date = coalesce(?, payments_date),
                ship_service_level = coalesce(?, ship_service_level), updated_at = ?
            WHERE order_id = ? AND (buyer_id IS NOT ? OR buyer_link IS NOT ? OR status IS NOT ?
                OR (? IS NOT NULL AND marketplace IS NOT ?)
                OR (? IS NOT NULL AND purchase_date IS NOT ?)
                OR (? IS NOT NULL AND payments_date IS NOT ?)
                OR (? IS NOT NULL AND ship_service_level IS NOT ?))
            """).execute(arguments: [
                buyerID, link, status.rawValue, order.marketplace, order.purchaseDate.map(Self.seconds),
                order.paymentsDate.map(Self.seconds), order.shipServiceLevel, timestamp,
                order.id.rawValue, buyerID, link, status.rawValue,
                order.marketplace, order.marketplace,
                order.purchaseDate.map(Self.seconds), order.purchaseDate.map(Self.seconds),
                order.paymentsDate.map(Self.seconds), order.paymentsDate.map(Self.seconds),
                order.shipServiceLevel, order.shipServiceLevel,
            ])
        return (rowID, changed || db.changesCount > 0)
    }

    private func refreshItemCount(of order: MarketplaceOrder, rowID: Int64, in db: Database) throws {
        if order.items.isEmpty, let hint = order.itemCountHint {
            try db.cachedStatement(sql: "UPDATE orders SET item_count = ? WHERE id = ? AND item_count IS NOT ?")
                .execute(arguments: [hint, rowID, hint])
        } else {
            try db.cachedStatement(sql: """
                UPDATE orders SET item_count = (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE order_ref = ?1)
                WHERE id = ?1
                """).execute(arguments: [rowID])
        }
    }

    /// Finds the order's buyer by the blind index of their email (`nil`: a new buyer, see
    /// ``insertBuyer(_:in:statements:summary:)``). An order without an email gets a buyer of its own
    /// (and keeps it on re-import).
    private func existingBuyer(for prepared: PreparedOrder, in db: Database, statements: Statements) throws -> (Int64, [UInt8])? {
        let contact = prepared.order.contact
        var found: (id: Int64, uid: Data, digest: Data?)?
        let readBuyer: (SQLiteStatement) -> Void = { statement in
            found = (sqlite3_column_int64(statement, 0), directBlob(statement, 1) ?? Data(), directBlob(statement, 2))
        }
        if let index = prepared.emailIndex {
            try statements.buyerByIndex.run([.blob(index)], row: readBuyer)
            // During a blind-index rotation, a buyer not yet re-indexed is found by an older index.
            for older in prepared.olderEmailIndexes where found == nil {
                try statements.buyerByIndex.run([.blob(older)], row: readBuyer)
            }
        } else {
            try statements.buyerWithoutEmail.run([.text(prepared.order.id.rawValue)], row: readBuyer)
        }
        guard let found else { return nil }
        let id = found.id
        // A later report may bring a name the first one lacked, or a corrected one: the newest
        // non-empty value wins. Re-sealed here, for the buyer's existing record id.
        if let name = contact[.buyerName] {
            let uid = [UInt8](found.uid)
            let record = RecordID.buyer(uid)
            let email = contact[.buyerEmail]
            let digest = try sealer.indexer.digest(record: record, fields: [(.buyerEmail, email), (.buyerName, name)])
            if found.digest != digest {
                let cipher = sealer.cipher
                try db.cachedStatement(
                    sql: "UPDATE buyers SET buyer_email = coalesce(?, buyer_email), buyer_name = ?, digest = ?, updated_at = ? WHERE id = ?")
                    .execute(arguments: [
                        try email.map { try cipher.seal($0, field: .buyerEmail, record: record, nonces: sealer.nonces) },
                        try cipher.seal(name, field: .buyerName, record: record, nonces: sealer.nonces),
                        digest, Int64(now.timeIntervalSince1970), id,
                    ])
            }
        }
        return (id, [UInt8](found.uid))
    }

    private func insertBuyer(_ prepared: PreparedOrder, in db: Database, statements: Statements, summary: inout StoreSummary) throws -> Int64 {
        let timestamp = Int64(now.timeIntervalSince1970)
        try statements.insertBuyer.run([
                .blob(Data(prepared.newBuyerUID)), DirectBinding(prepared.emailIndex),
                prepared.emailIndex == nil ? .null : .integer(Int64(sealer.indexer.primaryVersion)),
                DirectBinding(prepared.sealedBuyerEmail), DirectBinding(prepared.sealedBuyerName),
                .blob(prepared.newBuyerDigest), .integer(timestamp), .integer(timestamp),
            ])
        summary.buyersInserted += 1
        return db.lastInsertedRowID
    }

    private static let insertOrderSQL: String = {
        let columns = ["order_id", "buyer_id", "marketplace", "purchase_date", "payments_date", "status", "item_count",
                       "ship_service_level", "contact_digest", "created_at", "updated_at", "buyer_link"] + ContactField.orderLevel.map(\.column)
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT INTO orders (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT (order_id) DO NOTHING"
    }()

    private static let resealOrderSQL: String = {
        let assignments = ContactField.orderLevel.map { "\($0.column) = ?" }.joined(separator: ", ")
        return "UPDATE orders SET \(assignments), contact_digest = ?, updated_at = ? WHERE order_id = ?"
    }()

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
