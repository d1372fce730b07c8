/// The columns of a tab-separated order report, found by header name.
///
/// Names are matched case-insensitively, ignoring surrounding spaces and quotes. Unknown
/// columns are ignored and never stored (gift messages, delivery instructions, prices...).
struct OrderReportLayout: Sendable {
    /// Which report a header looks like.
    enum Kind: String, Sendable, Codable {
        /// The "New Orders" / order report (`quantity-purchased`, no `quantity-to-ship`).
        case orderReport = "order-report"
        /// The "Unshipped Orders" report (`quantity-to-ship`, `days-past-promise`...).
        case unshippedOrders = "unshipped-orders"
        /// The "All Orders" flat file (`amazon-order-id`, `order-status`).
        case allOrders = "all-orders"
    }

    /// The columns BuyerGuard reads. Raw values are the marketplace's header names.
    enum Column: String, CaseIterable, Sendable {
        case orderID = "order-id"
        case orderItemID = "order-item-id"
        case purchaseDate = "purchase-date"
        case paymentsDate = "payments-date"
        case buyerEmail = "buyer-email"
        case buyerName = "buyer-name"
        case buyerPhone = "buyer-phone-number"
        case sku
        case productName = "product-name"
        case quantityPurchased = "quantity-purchased"
        case quantityToShip = "quantity-to-ship"
        case shipServiceLevel = "ship-service-level"
        case recipientName = "recipient-name"
        case shipAddress1 = "ship-address-1"
        case shipAddress2 = "ship-address-2"
        case shipAddress3 = "ship-address-3"
        case shipCity = "ship-city"
        case shipState = "ship-state"
        case shipPostalCode = "ship-postal-code"
        case shipCountry = "ship-country"
        case shipPhone = "ship-phone-number"
        case salesChannel = "sales-channel"
        case orderStatus = "order-status"

        /// Position in ``allCases``.
        var ordinal: Int {
            switch self {
            case .orderID: 0
            case .orderItemID: 1
            case .purchaseDate: 2
            case .paymentsDate: 3
            case .buyerEmail: 4
            case .buyerName: 5
            case .buyerPhone: 6
            case .sku: 7
            case .productName: 8
            case .quantityPurchased: 9
            case .quantityToShip: 10
            case .shipServiceLevel: 11
            case .recipientName: 12
            case .shipAddress1: 13
            case .shipAddress2: 14
            case .shipAddress3: 15
            case .shipCity: 16
            case .shipState: 17
            case .shipPostalCode: 18
            case .shipCountry: 19
            case .shipPhone: 20
            case .salesChannel: 21
            case .orderStatus: 22
            }
        }

        /// Other names the same column goes by in other report layouts.
        static let aliases: [String: Column] = [
            "amazon-order-id": .orderID,
            "quantity": .quantityPurchased,
            "marketplace": .salesChannel,
        ]

        /// The contact field a column fills, if any.
        var contactField: ContactField? {
            switch self {
            case .buyerEmail: .buyerEmail
            case .buyerName: .buyerName
            case .buyerPhone: .buyerPhone
            case .recipientName: .recipientName
            case .shipAddress1: .addressLine1
            case .shipAddress2: .addressLine2
            case .shipAddress3: .addressLine3
            case .shipCity: .city
            case .shipState: .stateOrRegion
            case .shipPostalCode: .postalCode
            case .shipCountry: .countryCode
            case .shipPhone: .shipPhone
            default: nil
            }
        }
    }

    let kind: Kind
    /// Field index of each known column present, by ``Column/allCases`` position (an array: this is read per field of every row).
    private let fieldIndexes: [Int?]

    /// The field index of `column`, if the header has it.
    func position(of column: Column) -> Int? { fieldIndexes[column.ordinal] }
    /// Number of columns in the header.
    let columnCount: Int

    /// Why a header line cannot be read.
    enum HeaderProblem: Error {
        /// No `order-id` (or `amazon-order-id`) column: not an order report.
        case noOrderID
        /// Two fields name the same column (directly or through an alias), so which one holds
        /// the value is anyone's guess. Names as written (trimmed, lowercased), fields 1-based.
        case duplicate(Column, first: (name: String, field: Int), second: (name: String, field: Int))
    }

    /// Reads the header line.
    ///
    /// - Throws: ``HeaderProblem`` when there is no `order-id` column, or a column BuyerGuard
    ///   reads is named twice. Unknown columns may repeat: they are never read.
    init(header: [Substring]) throws(HeaderProblem) {
        var positions: [Column: Int] = [:]
        var names = Set<String>()
        var written: [Column: String] = [:]
        for (index, raw) in header.enumerated() {
            let name = raw.trimmingASCIIWhitespace().trimmingQuotes().lowercased()
            names.insert(name)
            guard let column = Column(rawValue: name) ?? Column.aliases[name] else { continue }
            if let earlier = positions[column] {
                throw .duplicate(column, first: (written[column]!, earlier + 1), second: (name, index + 1))
            }
            positions[column] = index
            written[column] = name
        }
        guard positions[.orderID] != nil else { throw .noOrderID }
        self.fieldIndexes = Column.allCases.map { positions[$0] }
        self.columnCount = header.count
        if names.contains("quantity-to-ship") || names.contains("days-past-promise") {
            kind = .unshippedOrders
        } else if names.contains("amazon-order-id") || names.contains("order-status") {
            kind = .allOrders
        } else {
            kind = .orderReport
        }
    }
}

extension Substring {
    /// Without one pair of surrounding double quotes, if there is one.
    func trimmingQuotes() -> Substring {
        if count >= 2, first == "\"", last == "\"" { return dropFirst().dropLast() }
        return self
    }
}
