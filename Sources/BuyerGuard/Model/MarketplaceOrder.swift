public import Foundation

/// Where an order is in its life. Reports can only move an order forward, never back.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    /// Placed but not yet paid or confirmed.
    case pending
    /// Paid and waiting to be shipped.
    case unshipped
    /// Handed to a carrier.
    case shipped
    /// Delivered to the buyer.
    case delivered
    /// Returned by the buyer.
    case returned
    /// Refunded, in full or in part.
    case refunded
    /// Cancelled before shipping.
    case cancelled

    /// Order of progress, used to keep an old report from rolling an order back.
    var progress: Int {
        switch self {
        case .pending: 0
        case .unshipped: 1
        case .shipped: 2
        case .delivered: 3
        case .returned: 4
        case .refunded: 5
        case .cancelled: 6
        }
    }
}

/// One line of an order: a product and its quantity. Not personal data.
public struct OrderItem: Sendable, Hashable, Codable {
    /// The marketplace's id for this line.
    public var orderItemID: String
    /// The seller's SKU.
    public var sku: String?
    /// The product title.
    public var productName: String?
    /// Units ordered.
    public var quantity: Int

    /// Creates an item.
    public init(orderItemID: String, sku: String? = nil, productName: String? = nil, quantity: Int = 1) {
        self.orderItemID = orderItemID
        self.sku = sku
        self.productName = productName
        self.quantity = quantity
    }
}

/// An order as the marketplace reports it, with the buyer's contact details: what the vault stores.
public struct MarketplaceOrder: Sendable, Equatable {
    /// The order id.
    public var id: OrderID
    /// The marketplace or sales channel (`Amazon.it`, `APJ6JRA9NG5V4`, ...).
    public var marketplace: String?
    /// When the buyer placed the order.
    public var purchaseDate: Date?
    /// When payment was confirmed.
    public var paymentsDate: Date?
    /// The status the source reports.
    public var status: OrderStatus
    /// The shipping service level (`Standard`, `Expedited`, ...).
    public var shipServiceLevel: String?
    /// The order's lines.
    public var items: [OrderItem]
    /// Units in the order when the source gives a count but no lines (the API's `NumberOfItems...`).
    public var itemCountHint: Int?
    /// The buyer's contact details. Sealed field by field on the way in.
    public var contact: BuyerContact

    /// Creates an order.
    public init(
        id: OrderID, marketplace: String? = nil, purchaseDate: Date? = nil, paymentsDate: Date? = nil,
        status: OrderStatus = .unshipped, shipServiceLevel: String? = nil, items: [OrderItem] = [],
        itemCountHint: Int? = nil, contact: BuyerContact
    ) {
        self.id = id
        self.marketplace = marketplace
        self.purchaseDate = purchaseDate
        self.paymentsDate = paymentsDate
        self.status = status
        self.shipServiceLevel = shipServiceLevel
        self.items = items
        self.itemCountHint = itemCountHint
        self.contact = contact
    }

    /// Units in the order: the sum of item quantities, else the source's count.
    public var itemCount: Int {
        items.isEmpty ? (itemCountHint ?? 0) : items.reduce(0) { $0 + $1.quantity }
    }
}
