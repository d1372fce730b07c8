import Foundation

/// Reads orders in the shape of the marketplace's Orders API (`getOrders`, `getOrder`,
/// `getOrderBuyerInfo`, `getOrderAddress`, `getOrderItems` merged into one object):
///
/// ```json
/// {"AmazonOrderId": "402-1234567-1234567", "PurchaseDate": "2026-11-02T10:15:22Z",
///  "OrderStatus": "Unshipped", "MarketplaceId": "APJ6JRA9NG5V4", "SalesChannel": "Amazon.it",
///  "BuyerInfo": {"BuyerEmail": "...", "BuyerName": "..."},
///  "ShippingAddress": {"Name": "...", "AddressLine1": "...", "City": "...", "StateOrRegion": "...",
///                      "PostalCode": "...", "CountryCode": "IT", "Phone": "..."},
///  "OrderItems": [{"OrderItemId": "...", "SellerSKU": "...", "Title": "...", "QuantityOrdered": 1}]}
/// ```
///
/// `BuyerEmail`/`BuyerName` are also read at the top level (older responses), and a document may
/// be `{"payload": {"Orders": [...]}}`, `{"Orders": [...]}`, an array, or one order.
enum MarketplaceAPIOrder {
    /// The order objects of a JSON document.
    static func orderObjects(in data: Data, file: String) throws -> [[String: Any]] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw BuyerGuardError(.malformedInput, "not valid JSON (nothing was imported)", location: file,
                                  underlying: (error as NSError).localizedDescription.prefix(200).description)
        }
        var node = root
        if let object = node as? [String: Any], let payload = object["payload"] { node = payload }
        if let object = node as? [String: Any], let orders = object["Orders"] { node = orders }
        if let array = node as? [Any] {
            return try array.enumerated().map { index, element in
                guard let object = element as? [String: Any] else {
                    throw BuyerGuardError(.malformedInput, "order \(index + 1) is not a JSON object (nothing was imported)", location: file)
                }
                return object
            }
        }
        if let object = node as? [String: Any], object["AmazonOrderId"] != nil { return [object] }
        throw BuyerGuardError(
            .malformedInput, "no orders found: expected AmazonOrderId objects, an array of them, or payload.Orders (nothing was imported)",
            location: file)
    }

    /// One order from an API order object.
    static func order(from object: [String: Any]) throws(OrderReportRow.Problem) -> MarketplaceOrder {
        guard let rawID = object["AmazonOrderId"] as? String else {
            throw OrderReportRow.Problem(reason: "AmazonOrderId is missing")
        }
        let id: OrderID
        do { id = try OrderID(rawID) } catch {
            throw OrderReportRow.Problem(reason: "AmazonOrderId is not in the form NNN-NNNNNNN-NNNNNNN")
        }
        func string(_ value: Any?) -> String? {
            guard let text = value as? String else { return nil }
            let trimmed = text.trimmingASCIIWhitespace()
            return trimmed.isEmpty ? nil : String(trimmed)
        }
        func date(_ key: String) throws(OrderReportRow.Problem) -> Date? {
            guard let text = string(object[key]) else { return nil }
            guard let date = TimestampParser.parse(Substring(text)) else {
                throw OrderReportRow.Problem(orderID: id, reason: "\(key) is not an ISO 8601 date")
            }
            return date
        }

        let buyerInfo = object["BuyerInfo"] as? [String: Any] ?? [:]
        let address = object["ShippingAddress"] as? [String: Any] ?? [:]
        var contact = BuyerContact()
        contact[.buyerEmail] = string(buyerInfo["BuyerEmail"]) ?? string(object["BuyerEmail"])
        contact[.buyerName] = string(buyerInfo["BuyerName"]) ?? string(object["BuyerName"])
        contact[.recipientName] = string(address["Name"])
        contact[.addressLine1] = string(address["AddressLine1"])
        contact[.addressLine2] = string(address["AddressLine2"])
        contact[.addressLine3] = string(address["AddressLine3"])
        contact[.city] = string(address["City"])
        contact[.stateOrRegion] = string(address["StateOrRegion"]) ?? string(address["County"])
        contact[.postalCode] = string(address["PostalCode"])
        contact[.countryCode] = string(address["CountryCode"])
        contact[.shipPhone] = string(address["Phone"])
        if let email = contact[.buyerEmail], !email.contains("@") {
            throw OrderReportRow.Problem(orderID: id, reason: "BuyerInfo.BuyerEmail is not an email address")
        }

        var items: [OrderItem] = []
        if let rawItems = object["OrderItems"] as? [Any] {
            for (index, element) in rawItems.enumerated() {
                guard let item = element as? [String: Any] else {
                    throw OrderReportRow.Problem(orderID: id, reason: "OrderItems[\(index)] is not an object")
                }
                let quantity = (item["QuantityOrdered"] as? Int) ?? (item["QuantityOrdered"] as? String).flatMap { Int($0) } ?? 1
                guard quantity >= 0 else { throw OrderReportRow.Problem(orderID: id, reason: "OrderItems[\(index)].QuantityOrdered is negative") }
                let sku = string(item["SellerSKU"])
                items.append(OrderItem(
                    orderItemID: string(item["OrderItemId"]) ?? "sku:" + (sku ?? "\(index)"),
                    sku: sku, productName: string(item["Title"]), quantity: quantity))
            }
        }
        let shipped = object["NumberOfItemsShipped"] as? Int ?? 0
        let unshipped = object["NumberOfItemsUnshipped"] as? Int ?? 0
        let status = string(object["OrderStatus"]).flatMap { OrderReportRow.status(fromMarketplace: $0) } ?? .unshipped

        return MarketplaceOrder(
            id: id, marketplace: string(object["SalesChannel"]) ?? string(object["MarketplaceId"]),
            purchaseDate: try date("PurchaseDate"), paymentsDate: nil, status: status,
            shipServiceLevel: string(object["ShipServiceLevel"]), items: items,
            itemCountHint: shipped + unshipped > 0 ? shipped + unshipped : nil, contact: contact)
    }
}
