public import Foundation
import GRDB

/// Something that happened to an order after it was placed.
public enum OrderEvent: Sendable, Equatable {
    /// Handed to a carrier. The tracking number is not personal data.
    case shipped(at: Date, carrier: String?, trackingNumber: String?)
    /// Delivered to the buyer: the retention clock starts.
    case delivered(at: Date)
    /// Returned by the buyer.
    case returned(at: Date)
    /// Refunded, with the marketplace's adjustment reason (`NoInventory`, `CouldNotShip`, `CustomerReturn`, ...).
    case refunded(at: Date, reason: String?)
    /// Cancelled before shipping.
    case cancelled(at: Date, reason: String?)

    /// The status the order takes.
    public var status: OrderStatus {
        switch self {
        case .shipped: .shipped
        case .delivered: .delivered
        case .returned: .returned
        case .refunded: .refunded
        case .cancelled: .cancelled
        }
    }

    /// When it happened.
    public var date: Date {
        switch self {
        case .shipped(let date, _, _), .delivered(let date), .returned(let date), .refunded(let date, _), .cancelled(let date, _): date
        }
    }

    /// The audit log's name for it: `order-shipped`, `order-delivered`, ...
    public var auditKind: String { AuditEventKind(self).rawValue }
}

extension Vault {
    /// Records an order event, sets the order's status and date, and logs it in the audit log.
    ///
    /// - Throws: ``BuyerGuardError/Code/orderNotFound`` for an unknown order.
    public func record(_ event: OrderEvent, for orderID: OrderID, actor: String, channel: AccessChannel = .library) async throws {
        let seconds = Int64(event.date.timeIntervalSince1970.rounded(.down))
        let (carrier, tracking): (String?, String?) = if case .shipped(_, let carrier, let tracking) = event {
            (carrier, tracking)
        } else {
            (nil, nil)
        }
        let dateColumn = "\(event.status == .cancelled ? "cancelled" : event.status.rawValue)_at"  // shipped_at, delivered_at, ...
        try AuditText.requirePrintable(actor, as: "actor")
        let exists = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM orders WHERE order_id = ?)", arguments: [orderID.rawValue]) ?? false
        }
        guard exists else {
            throw BuyerGuardError(.orderNotFound, "no order \(orderID) in the vault", location: folder.path)
        }
        var details = ["date": ISO8601DateFormatter().string(from: event.date)]
        details["carrier"] = carrier
        details["tracking-number"] = tracking
        if case .refunded(_, let reason) = event { details["reason"] = reason }
        if case .cancelled(_, let reason) = event { details["reason"] = reason }
        let finished = details
        try await journaled(AuditEventKind(event), actor: actor, orderID: orderID, channel: channel, intentDetails: details) {
            let changed: Int = try await database.write { db in
                try db.execute(sql: """
                    UPDATE orders SET status = ?, \(dateColumn) = ?, carrier = coalesce(?, carrier),
                        tracking_number = coalesce(?, tracking_number), updated_at = ? WHERE order_id = ?
                    """, arguments: [event.status.rawValue, seconds, carrier, tracking, seconds, orderID.rawValue])
                return db.changesCount
            }
            guard changed > 0 else {
                throw BuyerGuardError(.orderNotFound, "no order \(orderID) in the vault", location: folder.path)
            }
            return ((), finished)
        }
    }
}
