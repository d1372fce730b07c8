public import Foundation

/// What reading a seller's feed file did.
public struct FeedImportSummary: Sendable, Codable {
    /// `shipping-confirmation`, `order-adjustment` or `support-cases`.
    public var format: String
    /// Data rows read.
    public var rowsRead = 0
    /// Orders whose event was recorded (of a support-case feed: cases with at least one event).
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
        var summary = FeedImportSummary(format: "")
        var events: [(line: Int, order: OrderID, event: OrderEvent)] = []
        var seen = Set<OrderID>()
        let now = clock.now
        try await FeedTable(url: url).forEachRow(header: { names, location in
            guard names["order-id"] != nil else {
                throw BuyerGuardError(.malformedInput, "the first line has no order-id column: not a feed file", location: location)
            }
            if names["tracking-number"] != nil || names["carrier-code"] != nil || names["ship-date"] != nil {
                summary.format = "shipping-confirmation"
            } else if names["adjustment-reason-code"] != nil || names["adjustment-reason"] != nil {
                summary.format = "order-adjustment"
            } else {
                throw BuyerGuardError(
                    .malformedInput, "neither a Shipping Confirmation feed (ship-date, carrier-code, tracking-number) nor an Order Adjustment file (adjustment-reason-code)",
                    location: location)
            }
        }) { row in
            summary.rowsRead += 1
            func reject(_ reason: String, _ order: String? = nil) {
                summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: order, reason: reason))
            }
            guard let rawID = row["order-id"], let orderID = try? OrderID(rawID) else {
                return reject("order-id is not in the form NNN-NNNNNNN-NNNNNNN")
            }
            guard !seen.contains(orderID) else { return }  // further item rows of the same order
            if summary.format == "shipping-confirmation" {
                guard let shipDate = row["ship-date"] else { return reject("ship-date is empty", rawID) }
                guard let date = TimestampParser.parse(Substring(shipDate)) else { return reject("ship-date is not a date", rawID) }
                let carrier = row["carrier-name"] ?? row["carrier-code"]
                events.append((row.line, orderID, .shipped(at: date, carrier: carrier, trackingNumber: row["tracking-number"])))
            } else {
                let reason = row["adjustment-reason-code"] ?? row["adjustment-reason"]
                var date = now
                if let text = row["adjustment-date"] ?? row["posted-date"] {
                    guard let parsed = TimestampParser.parse(Substring(text)) else { return reject("adjustment-date is not a date", rawID) }
                    date = parsed
                }
                events.append((row.line, orderID, .refunded(at: date, reason: reason)))
            }
            seen.insert(orderID)
        }
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

/// A tab-separated feed file read row by row under its first line's column names (lower-cased;
/// the first of two equal names wins). Blank lines are skipped; an empty file is malformed.
struct FeedTable {
    /// One data row: its 1-based line and its non-empty values by column name.
    struct Row {
        let line: Int
        fileprivate let columns: [String: Int]
        fileprivate let values: [String]

        /// The value in the column, or `nil` when the column is missing or the value empty.
        subscript(_ name: String) -> String? {
            guard let index = columns[name], index < values.count, !values[index].isEmpty else { return nil }
            return values[index]
        }
    }

    let url: URL

    /// Checks the header (the column names and the header's `file:line`) with `header`, then
    /// hands every data row to `body`.
    func forEachRow(header check: ([String: Int], String) throws -> Void, _ body: (Row) throws -> Void) async throws {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw BuyerGuardError(.inputNotFound, "cannot read file (missing or no permission)", location: url.path)
        }
        var header: [String: Int]?
        var fields: [Range<Int>] = []
        try await LineReader(url: url).forEachLine { line in
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            tabSeparatedFields(line.bytes, into: &fields)
            let values = fields.map { String(String(decoding: line.bytes[$0], as: UTF8.self).trimmingASCIIWhitespace()) }
            guard let columns = header else {
                var names: [String: Int] = [:]
                for (index, name) in values.enumerated() { names[name.lowercased(), default: index] = index }
                try check(names, "\(url.path):\(line.number)")
                header = names
                return
            }
            try body(Row(line: line.number, columns: columns, values: values))
        }
        guard header != nil else { throw BuyerGuardError(.malformedInput, "the file is empty", location: url.path) }
    }
}
