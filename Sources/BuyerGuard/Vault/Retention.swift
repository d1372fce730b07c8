public import Foundation
import GRDB

/// What a purge or an erasure did (or, for a dry run, would do).
public struct RemovalSummary: Sendable, Codable, Equatable {
    /// Orders whose PII was removed.
    public var orders = 0
    /// Buyers whose email and name were removed (no order of theirs keeps PII).
    public var buyers = 0
    /// Orders kept because neither a delivery nor a purchase date is known (purge only).
    public var ordersWithoutDates = 0
    /// The order ids, for erasures (a purge reports counts only).
    public var orderIDs: [String] = []
    /// Whether nothing was changed.
    public var dryRun = false
}

extension Vault {
    /// Removes the PII of every order whose retention has ended (by default 30 days after delivery,
    /// or 60 days after purchase for orders never marked delivered; see ``AccessPolicy``): its
    /// sealed fields become NULL, the non-personal order record stays, and buyers none of whose
    /// orders keep PII lose their email, name and blind index too. One `purge` event with the
    /// counts goes to the audit log. Afterwards the WAL is checkpointed, so with `secure_delete`
    /// the removed ciphertext is gone from every file of the vault.
    public func purgeExpired(policy: AccessPolicy = AccessPolicy(), actor: String, dryRun: Bool = false) async throws -> RemovalSummary {
        let now = clock.now
        func expired(_ alias: String) -> String { Self.expired(alias, at: now, policy: policy) }
        let condition = expired("orders")
        var summary = RemovalSummary(dryRun: dryRun)
        summary.ordersWithoutDates = try await database.read { db in try Int.fetchOne(db, sql: Self.ordersWithoutDatesSQL) ?? 0 }
        if dryRun {
            let buyersSQL = """
                SELECT count(*) FROM buyers b
                WHERE EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = b.id AND \(expired("o")))
                  AND NOT EXISTS (SELECT 1 FROM orders k WHERE k.buyer_id = b.id AND k.pii_removed_at IS NULL AND NOT (\(expired("k"))))
                """
            let (orders, buyers) = try await database.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM orders WHERE \(condition)") ?? 0, try Int.fetchOne(db, sql: buyersSQL) ?? 0)
            }
            summary.orders = orders
            summary.buyers = buyers
            return summary
        }
        let windows = [
            "retention-days-after-delivery": "\(Int(policy.retentionAfterDelivery / 86_400))",
            "retention-days-without-delivery": "\(Int(policy.retentionWithoutDelivery / 86_400))",
        ]
        let withoutDates = summary.ordersWithoutDates
        let removed = try await journaled(.purge, actor: actor, channel: .purge, intentDetails: windows) {
            let removed = try await removePII(where: condition, reason: "retention", at: now)
            return (removed, windows.merging([
                "orders": "\(removed.orders)", "buyers": "\(removed.buyers)", "orders-without-dates": "\(withoutDates)",
            ]) { $1 })
        }
        summary.orders = removed.orders
        summary.buyers = removed.buyers
        await checkpointAfterJob()
        return summary
    }

    /// Erases one buyer's PII at once (GDPR Art. 17): every order of the buyer with this email, or of
    /// the buyer of this order. Leaves the non-personal order records and an `erase` event naming
    /// the order ids (never the email) in the audit log.
    ///
    /// - Throws: ``BuyerGuardError/Code/orderNotFound`` when no such buyer or order exists.
    public func erase(buyerEmail: String? = nil, orderID: OrderID? = nil, actor: String) async throws -> RemovalSummary {
        try AuditText.requirePrintable(actor, as: "actor")
        let indexes = try buyerEmail.map { try indexer.allIndexes(email: $0) }
        let buyerID: Int64? = try await database.read { db in
            if let indexes {
                for index in indexes {
                    if let id = try Int64.fetchOne(db, sql: "SELECT id FROM buyers WHERE email_index = ?", arguments: [index]) { return id }
                }
                return nil
            }
            if let orderID {
                return try Int64.fetchOne(db, sql: "SELECT buyer_id FROM orders WHERE order_id = ?", arguments: [orderID.rawValue])
            }
            return nil
        }
        guard let buyerID else {
            try await auditLog.recordEvent(.eraseFoundNothing, actor: actor, orderID: buyerEmail == nil ? orderID : nil, channel: .erase,
                                           details: ["by": buyerEmail != nil ? "email" : "order"])
            throw BuyerGuardError(.orderNotFound, buyerEmail != nil ? "no buyer with that email in the vault" : "no such order in the vault")
        }
        let orderIDs = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT order_id FROM orders WHERE buyer_id = ? ORDER BY order_id", arguments: [buyerID])
        }
        let evidence = ["orders": orderIDs.joined(separator: ","), "buyer": pseudonym(buyerUID: try await buyerUID(buyerID))]
        let removed = try await journaled(.erase, actor: actor, channel: .erase, intentDetails: evidence) {
            (try await removePII(where: "buyer_id = \(buyerID) AND pii_removed_at IS NULL", reason: "erasure", at: clock.now,
                                 alsoBuyer: buyerID), evidence)
        }
        var summary = RemovalSummary(orders: removed.orders, buyers: removed.buyers, orderIDs: orderIDs)
        summary.dryRun = false
        await checkpointAfterJob()
        return summary
    }

    private func buyerUID(_ id: Int64) async throws -> [UInt8] {
        [UInt8](try await database.read { db in try Data.fetchOne(db, sql: "SELECT uid FROM buyers WHERE id = ?", arguments: [id]) } ?? Data())
    }

    /// Sets the sealed fields of the matching orders to NULL, marks them, and clears buyers left
    /// with no order that keeps PII. Steps of 2,000 orders; a transaction takes steps until it has
    /// held the write lock for ``WriteLock/holdBudget``, then commits and leaves the lock free a moment.
    private func removePII(where condition: String, reason: String, at now: Date, alsoBuyer: Int64? = nil) async throws -> (orders: Int, buyers: Int) {
        let nulls = (ContactField.orderLevel.map { "\($0.column) = NULL" } + ["contact_digest = NULL"]).joined(separator: ", ")
        let timestamp = Int64(now.timeIntervalSince1970)
        var orders = 0
        var buyers = 0
        var longestHold = Duration.zero
        var cursor: Int64 = 0  // orders are walked in id order: each step starts where the last ended
        while true {
            let start = cursor
            let (changed, cleared, complete, held, reached) = try await database.write { db -> (Int, Int, Bool, Duration, Int64) in
                var cursor = start
                var hold = LockHold()
                hold.begin()
                var changed = 0
                var cleared = 0
                var complete = false
                repeat {
                    let ids = try Int64.fetchAll(
                        db, sql: "SELECT id FROM orders WHERE id > ? AND \(condition) ORDER BY id LIMIT \(Self.removalStep)", arguments: [cursor])
                    complete = ids.count < Self.removalStep
                    guard let last = ids.last else { break }
                    cursor = last
                    let list = ids.map(String.init).joined(separator: ",")
                    let buyerIDs = try Int64.fetchAll(db, sql: "SELECT DISTINCT buyer_id FROM orders WHERE id IN (\(list))")
                    try db.execute(sql: "UPDATE orders SET \(nulls), pii_removed_at = ?, pii_removed_reason = ? WHERE id IN (\(list))",
                                   arguments: [timestamp, reason])
                    changed += db.changesCount
                    try db.execute(sql: """
                        UPDATE buyers SET buyer_email = NULL, buyer_name = NULL, email_index = NULL, email_index_version = NULL,
                            digest = NULL, updated_at = ?
                        WHERE id IN (\(buyerIDs.map(String.init).joined(separator: ",")))
                          AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.buyer_id = buyers.id AND orders.pii_removed_at IS NULL)
                          AND (buyer_email IS NOT NULL OR buyer_name IS NOT NULL OR email_index IS NOT NULL)
                        """, arguments: [timestamp])
                    cleared += db.changesCount
                } while !complete && !hold.isSpent
                hold.end()
                return (changed, cleared, complete, hold.longest, cursor)
            }
            cursor = reached
            orders += changed
            buyers += cleared
            longestHold = max(longestHold, held)
            if complete { break }
            await WriteLock.letWaitersIn(database.url)
        }
        if let alsoBuyer {  // an erased buyer with no orders left to purge (already purged ones)
            buyers += try await database.write { db in
                try db.execute(sql: """
                    UPDATE buyers SET buyer_email = NULL, buyer_name = NULL, email_index = NULL, email_index_version = NULL, digest = NULL
                    WHERE id = ? AND (buyer_email IS NOT NULL OR buyer_name IS NOT NULL OR email_index IS NOT NULL)
                    """, arguments: [alsoBuyer])
                return db.changesCount
            }
        }
        logger.debug("removed PII", metadata: ["reason": "\(reason)", "orders": "\(orders)", "longest-lock-hold-ms": "\(longestHold / .milliseconds(1))"])
        return (orders, buyers)
    }

    /// Orders cleared per statement by a purge or an erasure.
    private static let removalStep = 2000

    /// The SQL condition of orders (under `alias`) whose retention has ended at `now` and whose PII is still there.
    private static func expired(_ alias: String, at now: Date, policy: AccessPolicy) -> String {
        let deliveredBefore = Int64(now.addingTimeInterval(-policy.retentionAfterDelivery).timeIntervalSince1970)
        let purchasedBefore = Int64(now.addingTimeInterval(-policy.retentionWithoutDelivery).timeIntervalSince1970)
        return """
            \(alias).pii_removed_at IS NULL AND ((\(alias).delivered_at IS NOT NULL AND \(alias).delivered_at < \(deliveredBefore))
                OR (\(alias).delivered_at IS NULL AND \(alias).purchase_date IS NOT NULL AND \(alias).purchase_date < \(purchasedBefore)))
            """
    }

    private static let ordersWithoutDatesSQL =
        "SELECT count(*) FROM orders WHERE pii_removed_at IS NULL AND delivered_at IS NULL AND purchase_date IS NULL"

    /// Where the vault stands against its retention rule now: the PII it holds, what a purge would
    /// remove, and the oldest retention end among orders still holding PII. Reads counts and
    /// dates only; decrypts nothing and writes nothing (not even to the audit log).
    public func retentionStatus(policy: AccessPolicy = AccessPolicy()) async throws -> RetentionStatus {
        let now = clock.now
        let expired = Self.expired("orders", at: now, policy: policy)
        let after = Int64(policy.retentionAfterDelivery)
        let without = Int64(policy.retentionWithoutDelivery)
        return try await database.read { db in
            let end = try Int64.fetchOne(db, sql: """
                SELECT min(CASE WHEN delivered_at IS NOT NULL THEN delivered_at + ? ELSE purchase_date + ? END)
                FROM orders WHERE pii_removed_at IS NULL AND (delivered_at IS NOT NULL OR purchase_date IS NOT NULL)
                """, arguments: [after, without])
            var removed: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT pii_removed_reason AS reason, count(*) AS n FROM orders WHERE pii_removed_at IS NOT NULL GROUP BY 1") {
                removed[(row["reason"] as String?) ?? "unknown", default: 0] += row["n"]
            }
            return RetentionStatus(
                retentionDaysAfterDelivery: Int(policy.retentionAfterDelivery / 86_400),
                retentionDaysWithoutDelivery: Int(policy.retentionWithoutDelivery / 86_400),
                ordersWithPII: try Int.fetchOne(db, sql: "SELECT count(*) FROM orders WHERE pii_removed_at IS NULL") ?? 0,
                ordersPastRetention: try Int.fetchOne(db, sql: "SELECT count(*) FROM orders WHERE \(expired)") ?? 0,
                ordersWithoutDates: try Int.fetchOne(db, sql: Self.ordersWithoutDatesSQL) ?? 0,
                oldestRetentionEnd: end.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                ordersWithPIIRemoved: removed,
                measuredAt: now)
        }
    }
}

/// Where a vault stands against its retention rule (``Vault/retentionStatus(policy:)``): counts and dates, no personal data.
public struct RetentionStatus: Sendable, Codable, Equatable {
    /// The rule: PII is kept this many days after delivery...
    public var retentionDaysAfterDelivery: Int
    /// ...or this many days after purchase for orders never delivered.
    public var retentionDaysWithoutDelivery: Int
    /// Orders that still hold PII.
    public var ordersWithPII: Int
    /// Of those, the ones whose retention has ended: what `buyerguard purge` would remove now.
    public var ordersPastRetention: Int
    /// Orders holding PII with neither a delivery nor a purchase date, which no purge can judge.
    public var ordersWithoutDates: Int
    /// The earliest retention end among orders still holding PII (in the past when a purge is due).
    public var oldestRetentionEnd: Date?
    /// Orders whose PII was removed, by reason (`retention`, `erasure`).
    public var ordersWithPIIRemoved: [String: Int]
    /// When this was measured (the vault's clock).
    public var measuredAt: Date
}
