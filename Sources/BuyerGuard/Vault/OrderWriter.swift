import Foundation
import GRDB

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

    /// An empty summary.
    public init() {}

    /// Adds another summary's counts to this one.
    public mutating func add(_ other: StoreSummary) {
        ordersInserted += other.ordersInserted
        ordersUpdated += other.ordersUpdated
        ordersUnchanged += other.ordersUnchanged
        buyersInserted += other.buyersInserted
        itemsWritten += other.itemsWritten
    }
}

/// Writes orders and their buyers into `vault.sqlite`, sealing each contact field.
///
/// Idempotent: writing the same order twice changes nothing the second time (a keyed digest of
/// the plaintext tells, so unchanged fields are not re-sealed). Runs inside the caller's transaction.
struct OrderWriter {
    let cipher: FieldCipher
    let indexer: BlindIndexer
    let now: Date

    func write(_ orders: some Sequence<MarketplaceOrder>, in db: Database) throws -> StoreSummary {
        var summary = StoreSummary()
        for order in orders {
            try write(order, in: db, summary: &summary)
        }
        return summary
    }

    private func write(_ order: MarketplaceOrder, in db: Database, summary: inout StoreSummary) throws {
        let timestamp = Int64(now.timeIntervalSince1970)
        let buyerID = try buyer(for: order, in: db, summary: &summary)
        let record = RecordID.order(order.id)
        let orderFields = ContactField.orderLevel.map { ($0, order.contact[$0]) }
        let digest = try indexer.digest(record: record, fields: orderFields)

        let existing = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT buyer_id, status, contact_digest, pii_removed_at FROM orders WHERE order_id = ?"),
            arguments: [order.id.rawValue])

        var changed = false
        if let existing {
            let currentStatus = OrderStatus(rawValue: existing["status"]) ?? .pending
            let status = order.status.progress > currentStatus.progress ? order.status : currentStatus
            let sameContact = (existing["contact_digest"] as Data?) == digest
            let removed = (existing["pii_removed_at"] as Int64?) != nil
            if !sameContact && !removed {
                // Re-seal every order-level field: the new values replace the old.
                var assignments: [String] = []
                var arguments: StatementArguments = []
                for field in ContactField.orderLevel {
                    assignments.append("\(field.column) = ?")
                    arguments += [try order.contact[field].map { try cipher.seal($0, field: field, record: record) }]
                }
                arguments += [digest, timestamp, order.id.rawValue]
                try db.execute(
                    sql: "UPDATE orders SET \(assignments.joined(separator: ", ")), contact_digest = ?, updated_at = ? WHERE order_id = ?",
                    arguments: arguments)
                changed = true
            }
            try db.execute(
                sql: """
                    UPDATE orders SET buyer_id = ?, status = ?, marketplace = coalesce(?, marketplace),
                        purchase_date = coalesce(?, purchase_date), payments_date = coalesce(?, payments_date),
                        ship_service_level = coalesce(?, ship_service_level), updated_at = ?
                    WHERE order_id = ? AND (buyer_id IS NOT ? OR status IS NOT ?
                        OR (? IS NOT NULL AND marketplace IS NOT ?)
                        OR (? IS NOT NULL AND purchase_date IS NOT ?)
                        OR (? IS NOT NULL AND payments_date IS NOT ?)
                        OR (? IS NOT NULL AND ship_service_level IS NOT ?))
                    """,
                arguments: [
                    buyerID, status.rawValue, order.marketplace, order.purchaseDate.map(Self.seconds),
                    order.paymentsDate.map(Self.seconds), order.shipServiceLevel, timestamp,
                    order.id.rawValue, buyerID, status.rawValue,
                    order.marketplace, order.marketplace,
                    order.purchaseDate.map(Self.seconds), order.purchaseDate.map(Self.seconds),
                    order.paymentsDate.map(Self.seconds), order.paymentsDate.map(Self.seconds),
                    order.shipServiceLevel, order.shipServiceLevel,
                ])
            changed = changed || db.changesCount > 0
        } else {
            var columns = ["order_id", "buyer_id", "marketplace", "purchase_date", "payments_date", "status",
                           "item_count", "ship_service_level", "contact_digest", "created_at", "updated_at"]
            var arguments: StatementArguments = [
                order.id.rawValue, buyerID, order.marketplace, order.purchaseDate.map(Self.seconds),
                order.paymentsDate.map(Self.seconds), order.status.rawValue, order.itemCount,
                order.shipServiceLevel, digest, timestamp, timestamp,
            ]
            for field in ContactField.orderLevel {
                columns.append(field.column)
                arguments += [try order.contact[field].map { try cipher.seal($0, field: field, record: record) }]
            }
            let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            try db.cachedStatement(sql: "INSERT INTO orders (\(columns.joined(separator: ", "))) VALUES (\(placeholders))")
                .execute(arguments: arguments)
            summary.ordersInserted += 1
        }

        var itemsChanged = 0
        for item in order.items {
            try db.cachedStatement(sql: """
                INSERT INTO order_items (order_id, order_item_id, sku, product_name, quantity) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (order_id, order_item_id) DO UPDATE SET
                    sku = excluded.sku, product_name = excluded.product_name, quantity = excluded.quantity
                WHERE sku IS NOT excluded.sku OR product_name IS NOT excluded.product_name OR quantity IS NOT excluded.quantity
                """).execute(arguments: [order.id.rawValue, item.orderItemID, item.sku, item.productName, item.quantity])
            itemsChanged += db.changesCount
        }
        summary.itemsWritten += itemsChanged
        if existing != nil {
            if itemsChanged > 0 || (order.items.isEmpty && order.itemCountHint != nil) {
                try refreshItemCount(of: order, in: db)
                changed = changed || itemsChanged > 0 || db.changesCount > 0
            }
            if changed { summary.ordersUpdated += 1 } else { summary.ordersUnchanged += 1 }
        } else if itemsChanged > 0 && order.items.count != itemsChanged {
            try refreshItemCount(of: order, in: db)  // duplicate item ids within one order
        }
    }

    private func refreshItemCount(of order: MarketplaceOrder, in db: Database) throws {
        if order.items.isEmpty, let hint = order.itemCountHint {
            try db.execute(sql: "UPDATE orders SET item_count = ? WHERE order_id = ? AND item_count IS NOT ?",
                           arguments: [hint, order.id.rawValue, hint])
        } else {
            try db.execute(sql: """
                UPDATE orders SET item_count = (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE order_id = ?1)
                WHERE order_id = ?1
                """, arguments: [order.id.rawValue])
        }
    }

    /// Finds the order's buyer by the blind index of their email, or makes a new one.
    /// An order without an email gets a buyer of its own (and keeps it on re-import).
    private func buyer(for order: MarketplaceOrder, in db: Database, summary: inout StoreSummary) throws -> Int64 {
        let timestamp = Int64(now.timeIntervalSince1970)
        let email = order.contact[.buyerEmail]
        let name = order.contact[.buyerName]
        var row: Row?
        if let email {
            let index = try indexer.index(email: email)
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, uid, digest FROM buyers WHERE email_index = ?"),
                                   arguments: [index])
            if row == nil {
                return try insertBuyer(email: email, index: index, name: name, in: db, summary: &summary)
            }
        } else {
            row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT buyers.id, buyers.uid, buyers.digest FROM orders JOIN buyers ON buyers.id = orders.buyer_id
                WHERE orders.order_id = ? AND buyers.email_index IS NULL
                """), arguments: [order.id.rawValue])
            if row == nil {
                return try insertBuyer(email: nil, index: nil, name: name, in: db, summary: &summary)
            }
        }
        let id: Int64 = row!["id"]
        let uid = [UInt8](row!["uid"] as Data)
        let record = RecordID.buyer(uid)
        // A later report may bring a name the first one lacked (or a corrected one): the newest non-empty value wins.
        let newName = name
        if let newName {
            let digest = try indexer.digest(record: record, fields: [(.buyerEmail, email), (.buyerName, newName)])
            if (row!["digest"] as Data?) != digest {
                try db.execute(
                    sql: "UPDATE buyers SET buyer_email = coalesce(?, buyer_email), buyer_name = ?, digest = ?, updated_at = ? WHERE id = ?",
                    arguments: [try email.map { try cipher.seal($0, field: .buyerEmail, record: record) },
                                try cipher.seal(newName, field: .buyerName, record: record), digest, timestamp, id])
            }
        }
        return id
    }

    private func insertBuyer(
        email: String?, index: Data?, name: String?, in db: Database, summary: inout StoreSummary
    ) throws -> Int64 {
        let timestamp = Int64(now.timeIntervalSince1970)
        let uid = randomBytes(16)
        let record = RecordID.buyer(uid)
        let digest = try indexer.digest(record: record, fields: [(.buyerEmail, email), (.buyerName, name)])
        try db.cachedStatement(sql: """
            INSERT INTO buyers (uid, email_index, email_index_version, buyer_email, buyer_name, digest, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                Data(uid), index, index == nil ? nil : Int64(indexer.keyRing.primary(.blindIndex).version),
                try email.map { try cipher.seal($0, field: .buyerEmail, record: record) },
                try name.map { try cipher.seal($0, field: .buyerName, record: record) },
                digest, timestamp, timestamp,
            ])
        summary.buyersInserted += 1
        return db.lastInsertedRowID
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
