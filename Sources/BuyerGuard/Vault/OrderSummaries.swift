public import Foundation
import GRDB

/// An order as a back office's list shows it: its id, state and dates, nothing that identifies
/// or reaches the buyer (no name, address, email, phone or pseudonym).
public struct OrderSummary: Sendable, Hashable, Codable {
    /// The marketplace's order id.
    public var orderID: OrderID
    /// Where the order is in its life.
    public var status: OrderStatus
    /// When it was bought, if the report said.
    public var purchased: Date?
    /// When it was handed to a carrier.
    public var shipped: Date?
    /// When it reached the buyer.
    public var delivered: Date?
    /// How many item lines it has.
    public var itemCount: Int
    /// The shipping speed the buyer chose (`Standard`, `Expedited`, ...).
    public var shipServiceLevel: String?
    /// Whether its personal data was purged (retention ended or the buyer was erased).
    public var personalDataRemoved: Bool
}

extension Vault {
    /// Orders without their personal data, newest purchase first: what a staff page can list.
    ///
    /// Nothing sealed is read, so nothing is logged: an order id and its state are not the buyer's
    /// personal data. Reading any contact field goes through ``AccessBroker``.
    ///
    /// - Parameters:
    ///   - status: only orders in this state.
    ///   - limit: at most this many (1-1000).
    ///   - offset: skip this many first (for pages).
    public func orderSummaries(status: OrderStatus? = nil, limit: Int = 100, offset: Int = 0) async throws -> [OrderSummary] {
        guard (1...1000).contains(limit), offset >= 0 else {
            throw BuyerGuardError(.invalidArgument, "a page is 1 to 1000 orders from an offset of 0 or more")
        }
        return try await database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT order_id, status, purchase_date, shipped_at, delivered_at, item_count, ship_service_level, pii_removed_at
                FROM orders \(status == nil ? "" : "WHERE status = ?")
                ORDER BY purchase_date DESC, order_id LIMIT ? OFFSET ?
                """, arguments: StatementArguments((status.map { [$0.rawValue] } ?? []) as [any DatabaseValueConvertible] + [limit, offset]))
            let date = { (seconds: Int64?) in seconds.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
            return try rows.map { row in
                OrderSummary(
                    orderID: try OrderID(row["order_id"] as String), status: OrderStatus(rawValue: row["status"]) ?? .pending,
                    purchased: date(row["purchase_date"]), shipped: date(row["shipped_at"]), delivered: date(row["delivered_at"]),
                    itemCount: row["item_count"], shipServiceLevel: row["ship_service_level"],
                    personalDataRemoved: row["pii_removed_at"] as Int64? != nil)
            }
        }
    }
}
