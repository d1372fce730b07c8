import Foundation

/// Why a row of an input file was refused. Reasons name columns, never values.
public struct RejectedRow: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The 1-based line (TSV, JSON Lines) or the 1-based order position (JSON document).
    public var line: Int
    /// The order id, when the row had a valid one.
    public var orderID: String?
    /// What was wrong.
    public var reason: String

    public var description: String { "\(file):\(line): \(reason)" }
}

/// One parsed row of a tab-separated order report.
struct OrderReportRow {
    var orderID: OrderID
    var item: OrderItem?
    var purchaseDate: Date?
    var paymentsDate: Date?
    var status: OrderStatus?
    var marketplace: String?
    var shipServiceLevel: String?
    var contact: BuyerContact

    struct Problem: Error {
        var orderID: OrderID?
        var reason: String
    }

    /// Parses one data line. `fields` are the byte ranges between tabs.
    static func parse(
        line: UnsafeBufferPointer<UInt8>, fields: [Range<Int>], layout: OrderReportLayout, encoding: ReportEncoding
    ) throws(Problem) -> OrderReportRow {
        func text(_ column: OrderReportLayout.Column) throws(Problem) -> Substring? {
            guard let position = layout.positions[column], position < fields.count else { return nil }
            let bytes = UnsafeBufferPointer(rebasing: line[fields[position]])
            guard let decoded = encoding.decode(bytes) else {
                throw Problem(reason: "column \(column.rawValue) is not valid \(encoding.rawValue) text")
            }
            let trimmed = Substring(decoded).trimmingASCIIWhitespace()
            return trimmed.isEmpty ? nil : trimmed
        }

        guard let rawID = try text(.orderID) else { throw Problem(reason: "order-id is empty") }
        let orderID: OrderID
        do { orderID = try OrderID(rawID) } catch {
            throw Problem(reason: "order-id is not in the form NNN-NNNNNNN-NNNNNNN")
        }
        // A row with more columns than the header is only accepted if the extra ones are empty.
        if fields.count > layout.columnCount,
           fields[layout.columnCount...].contains(where: { !$0.isEmpty }) {
            throw Problem(orderID: orderID, reason: "row has \(fields.count) columns but the header has \(layout.columnCount)")
        }
        if fields.count < layout.columnCount {
            throw Problem(orderID: orderID, reason: "row has \(fields.count) columns but the header has \(layout.columnCount) (cut short?)")
        }
        if line.contains(0) { throw Problem(orderID: orderID, reason: "row contains a NUL byte") }

        func date(_ column: OrderReportLayout.Column) throws(Problem) -> Date? {
            guard let value = try text(column) else { return nil }
            guard let date = TimestampParser.parse(value) else {
                throw Problem(orderID: orderID, reason: "\(column.rawValue) is not a date (expected ISO 8601, e.g. 2026-11-02T10:15:22+00:00)")
            }
            return date
        }

        var contact = BuyerContact()
        for column in OrderReportLayout.Column.allCases {
            guard let field = column.contactField, let value = try text(column) else { continue }
            contact[field] = String(value)
        }
        if let email = contact[.buyerEmail], !email.contains("@") {
            throw Problem(orderID: orderID, reason: "buyer-email is not an email address")
        }

        var item: OrderItem?
        let quantityColumn: OrderReportLayout.Column = layout.positions[.quantityPurchased] != nil ? .quantityPurchased : .quantityToShip
        let quantityText = try text(quantityColumn)
        var quantity = 1
        if let quantityText {
            guard let value = Int(quantityText), value >= 0, value < 1_000_000 else {
                throw Problem(orderID: orderID, reason: "\(quantityColumn.rawValue) is not a whole number")
            }
            quantity = value
        }
        let sku = try text(.sku).map(String.init)
        if let itemID = try text(.orderItemID) {
            item = OrderItem(orderItemID: String(itemID), sku: sku, productName: try text(.productName).map(String.init), quantity: quantity)
        } else if sku != nil || quantityText != nil {
            // Layouts without item ids: the SKU identifies the line within the order.
            item = OrderItem(orderItemID: "sku:" + (sku ?? "-"), sku: sku, productName: try text(.productName).map(String.init), quantity: quantity)
        }

        var status: OrderStatus?
        if let statusText = try text(.orderStatus) {
            status = OrderReportRow.status(fromMarketplace: statusText)
        } else if layout.kind == .unshippedOrders || layout.kind == .orderReport {
            status = .unshipped
        }

        return OrderReportRow(
            orderID: orderID, item: item, purchaseDate: try date(.purchaseDate), paymentsDate: try date(.paymentsDate),
            status: status, marketplace: try text(.salesChannel).map(String.init),
            shipServiceLevel: try text(.shipServiceLevel).map(String.init), contact: contact)
    }

    /// Maps the marketplace's order-status words (reports and API) to ``OrderStatus``.
    static func status(fromMarketplace text: some StringProtocol) -> OrderStatus? {
        switch text.lowercased().filter({ $0.isLetter }) {
        case "pending", "pendingavailability": .pending
        case "unshipped", "partiallyshipped", "shipping", "invoiceunconfirmed": .unshipped
        case "shipped": .shipped
        case "delivered": .delivered
        case "canceled", "cancelled": .cancelled
        case "unfulfillable": .unshipped
        default: nil
        }
    }
}

/// Splits a line at tabs into byte ranges. Quotes are ordinary text: these files are not CSV.
func tabSeparatedFields(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [Range<Int>]) {
    fields.removeAll(keepingCapacity: true)
    var start = 0
    for index in 0..<line.count where line[index] == 0x09 {
        fields.append(start..<index)
        start = index + 1
    }
    fields.append(start..<line.count)
}
