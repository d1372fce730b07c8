public import Foundation

/// What reading a seller's feed file did.
public struct FeedImportSummary: Sendable, Codable {
    /// `shipping-confirmation` or `order-adjustment`.
    public var format: String
    /// Data rows read.
    public var rowsRead = 0
    /// Orders whose event was recorded.
    public var ordersUpdated = 0
    /// Order ids the vault does not hold (listed in ``rejected`` too).
    public var unknownOrders = 0
    /// Rows refused, with line and reason.
    public var rejected: [RejectedRow] = []
}

extension Vault {
    /// Reads the seller's own **Shipping Confirmation feed** (`order-id, order-item-id, quantity,
    /// ship-date, carrier-code, carrier-name, tracking-number, ship-method`) or **Order Adjustment**
    /// file (`order-id, ..., adjustment-reason-code, ...`) and records one event per order:
    /// shipped (with carrier and tracking number) or refunded (with the reason code).
    ///
    /// Each event is logged in the audit log. Rows for orders the vault does not hold are reported.
    public func importFeed(from url: URL, actor: String, channel: AccessChannel = .cli) async throws -> FeedImportSummary {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw BuyerGuardError(.inputNotFound, "cannot read file (missing or no permission)", location: url.path)
        }
        var header: [String: Int]?
        var summary = FeedImportSummary(format: "")
        var events: [(line: Int, order: OrderID, event: OrderEvent)] = []
        var seen = Set<OrderID>()
        var fields: [Range<Int>] = []
        let now = clock.now
        try await LineReader(url: url).forEachLine { line in
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            tabSeparatedFields(line.bytes, into: &fields)
            let values = fields.map { String(decoding: line.bytes[$0], as: UTF8.self).trimmingASCIIWhitespace() }
            guard let columns = header else {
                var names: [String: Int] = [:]
                for (index, name) in values.enumerated() { names[name.lowercased(), default: index] = index }
                guard names["order-id"] != nil else {
                    throw BuyerGuardError(.malformedInput, "the first line has no order-id column: not a feed file", location: "\(url.path):\(line.number)")
                }
                if names["tracking-number"] != nil || names["carrier-code"] != nil || names["ship-date"] != nil {
                    summary.format = "shipping-confirmation"
                } else if names["adjustment-reason-code"] != nil || names["adjustment-reason"] != nil {
                    summary.format = "order-adjustment"
                } else {
                    throw BuyerGuardError(
                        .malformedInput, "neither a Shipping Confirmation feed (ship-date, carrier-code, tracking-number) nor an Order Adjustment file (adjustment-reason-code)",
                        location: "\(url.path):\(line.number)")
                }
                header = names
                return
            }
            summary.rowsRead += 1
            func value(_ name: String) -> String? {
                guard let index = columns[name], index < values.count, !values[index].isEmpty else { return nil }
                return String(values[index])
            }
            func reject(_ reason: String, _ order: String? = nil) {
                summary.rejected.append(RejectedRow(file: url.path, line: line.number, orderID: order, reason: reason))
            }
            guard let rawID = value("order-id"), let orderID = try? OrderID(rawID) else {
                return reject("order-id is not in the form NNN-NNNNNNN-NNNNNNN")
            }
            guard !seen.contains(orderID) else { return }  // further item rows of the same order
            if summary.format == "shipping-confirmation" {
                guard let shipDate = value("ship-date") else { return reject("ship-date is empty", rawID) }
                guard let date = TimestampParser.parse(Substring(shipDate)) else { return reject("ship-date is not a date", rawID) }
                let carrier = value("carrier-name") ?? value("carrier-code")
                events.append((line.number, orderID, .shipped(at: date, carrier: carrier, trackingNumber: value("tracking-number"))))
            } else {
                let reason = value("adjustment-reason-code") ?? value("adjustment-reason")
                var date = now
                if let text = value("adjustment-date") ?? value("posted-date") {
                    guard let parsed = TimestampParser.parse(Substring(text)) else { return reject("adjustment-date is not a date", rawID) }
                    date = parsed
                }
                events.append((line.number, orderID, .refunded(at: date, reason: reason)))
            }
            seen.insert(orderID)
        }
        guard header != nil else { throw BuyerGuardError(.malformedInput, "the file is empty", location: url.path) }
        for (line, order, event) in events {
            do {
                try await record(event, for: order, actor: actor, channel: channel)
                summary.ordersUpdated += 1
            } catch let error as BuyerGuardError where error.code == .orderNotFound {
                summary.unknownOrders += 1
                summary.rejected.append(RejectedRow(file: url.path, line: line, orderID: order.rawValue, reason: "order is not in the vault"))
            }
        }
        return summary
    }
}
