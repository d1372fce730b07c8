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
    /// A hash of the raw contact bytes (check pass only), to spot rows of one order that disagree.
    var contactFingerprint: Int = 0

    struct Problem: Error {
        var orderID: OrderID?
        var reason: String
    }

    /// How much of a row to turn into values.
    enum Depth {
        /// Validate everything, decode no text: the first pass over a report.
        case check
        /// Validate and decode: the pass that writes.
        case full
    }

    /// Parses one data line. `fields` are the byte ranges between tabs. Validation works on the
    /// bytes, so both passes accept and refuse exactly the same rows.
    static func parse(
        line: UnsafeBufferPointer<UInt8>, fields: [Range<Int>], layout: OrderReportLayout, encoding: ReportEncoding,
        depth: Depth = .full
    ) throws(Problem) -> OrderReportRow {
        func bytes(_ column: OrderReportLayout.Column) -> UnsafeBufferPointer<UInt8>? {
            guard let position = layout.position(of: column), position < fields.count else { return nil }
            var range = fields[position]
            while let first = range.first, isSpace(line[first]) { range = range.dropFirst() }
            while let last = range.last, isSpace(line[last]) { range = range.dropLast() }
            return range.isEmpty ? nil : UnsafeBufferPointer(rebasing: line[range])
        }

        guard let idBytes = bytes(.orderID) else { throw Problem(reason: "order-id is empty") }
        guard OrderID.isValid(idBytes) else { throw Problem(reason: "order-id is not in the form NNN-NNNNNNN-NNNNNNN") }
        let orderID = OrderID(validated: String(decoding: idBytes, as: UTF8.self))

        // A row with more columns than the header is only accepted if the extra ones are empty.
        if fields.count > layout.columnCount,
           fields[layout.columnCount...].contains(where: { !$0.isEmpty }) {
            throw Problem(orderID: orderID, reason: "row has \(fields.count) columns but the header has \(layout.columnCount)")
        }
        if fields.count < layout.columnCount {
            throw Problem(orderID: orderID, reason: "row has \(fields.count) columns but the header has \(layout.columnCount) (cut short?)")
        }
        if line.contains(0) { throw Problem(orderID: orderID, reason: "row contains a NUL byte") }

        func text(_ column: OrderReportLayout.Column) throws(Problem) -> String? {
            guard let value = bytes(column) else { return nil }
            guard let decoded = encoding.decode(value) else {
                throw Problem(orderID: orderID, reason: "column \(column.rawValue) is not valid \(encoding.rawValue) text")
            }
            return decoded
        }
        func date(_ column: OrderReportLayout.Column) throws(Problem) -> Date? {
            guard let value = bytes(column) else { return nil }
            guard let date = TimestampParser.parse(bytes: value) else {
                throw Problem(orderID: orderID, reason: "\(column.rawValue) is not a date (expected ISO 8601, e.g. 2026-11-02T10:15:22+00:00)")
            }
            return date
        }

        if let email = bytes(.buyerEmail), !email.contains(UInt8(ascii: "@")) {
            throw Problem(orderID: orderID, reason: "buyer-email is not an email address")
        }
        var contact = BuyerContact()
        var fingerprint = Hasher()
        for column in OrderReportLayout.Column.allCases {
            guard let field = column.contactField, let value = bytes(column) else { continue }
            switch depth {
            case .full:
                contact.setTrimmed(field, try text(column))
            case .check:
                guard encoding.accepts(value) else {
                    throw Problem(orderID: orderID, reason: "column \(column.rawValue) is not valid \(encoding.rawValue) text")
                }
                fingerprint.combine(field.index)
                fingerprint.combine(bytes: UnsafeRawBufferPointer(value))
            }
        }

        // The item's text is decoded only when writing: check here that it will decode, so that
        // a row the write pass could not read is rejected now, with its whole order.
        if depth == .check, encoding == .utf8 {
            for column in Self.itemTextColumns {
                guard let value = bytes(column), !encoding.accepts(value) else { continue }
                throw Problem(orderID: orderID, reason: "column \(column.rawValue) is not valid \(encoding.rawValue) text")
            }
        }

        let quantityColumn: OrderReportLayout.Column = layout.position(of: .quantityPurchased) != nil ? .quantityPurchased : .quantityToShip
        var quantity = 1
        let quantityBytes = bytes(quantityColumn)
        if let quantityBytes {
            guard quantityBytes.count <= 6, quantityBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw Problem(orderID: orderID, reason: "\(quantityColumn.rawValue) is not a whole number")
            }
            quantity = quantityBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }

        var status: OrderStatus?
        if let statusBytes = bytes(.orderStatus) {
            status = OrderReportRow.status(fromMarketplace: String(decoding: statusBytes, as: UTF8.self))
        } else if layout.kind == .unshippedOrders || layout.kind == .orderReport {
            status = .unshipped
        }
        let purchaseDate = try date(.purchaseDate)
        let paymentsDate = try date(.paymentsDate)

        guard depth == .full else {
            var row = OrderReportRow(orderID: orderID, status: status, contact: contact)
            row.contactFingerprint = fingerprint.finalize()
            return row
        }
        var item: OrderItem?
        let sku = try text(.sku)
        if let itemID = try text(.orderItemID) {
            item = OrderItem(orderItemID: itemID, sku: sku, productName: try text(.productName), quantity: quantity)
        } else if sku != nil || quantityBytes != nil {
            // Layouts without item ids: the SKU identifies the line within the order.
            item = OrderItem(orderItemID: "sku:" + (sku ?? "-"), sku: sku, productName: try text(.productName), quantity: quantity)
        }
        return OrderReportRow(
            orderID: orderID, item: item, purchaseDate: purchaseDate, paymentsDate: paymentsDate,
            status: status, marketplace: try text(.salesChannel), shipServiceLevel: try text(.shipServiceLevel), contact: contact)
    }

    /// The text columns other than contact fields (those are checked with the fingerprint).
    private static let itemTextColumns: [OrderReportLayout.Column] = [.orderItemID, .sku, .productName, .shipServiceLevel, .salesChannel]

    /// The order of a data line as ``OrderID/key``, or `nil` when its order id is not valid. Reads
    /// nothing else: the write pass uses it to pass over the rows of orders it does not write.
    static func orderKey(line: UnsafeBufferPointer<UInt8>, fields: [Range<Int>], layout: OrderReportLayout) -> UInt64? {
        guard let position = layout.position(of: .orderID), position < fields.count else { return nil }
        var range = fields[position]
        while let first = range.first, isSpace(line[first]) { range = range.dropFirst() }
        while let last = range.last, isSpace(line[last]) { range = range.dropLast() }
        let bytes = UnsafeBufferPointer(rebasing: line[range])
        return OrderID.isValid(bytes) ? OrderID.key(validated: bytes) : nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

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
