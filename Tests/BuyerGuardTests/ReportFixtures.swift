import Foundation

/// Small order reports written by tests, in the marketplace's layouts.
enum ReportFixtures {
    static let orderReportHeader = [
        "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name", "buyer-phone-number",
        "sku", "product-name", "quantity-purchased", "currency", "item-price", "ship-service-level", "recipient-name",
        "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state", "ship-postal-code", "ship-country",
        "ship-phone-number", "delivery-Instructions", "sales-channel",
    ]

    struct Row {
        var orderID = "402-1234567-1234567"
        var itemID = "11111111111111"
        var purchaseDate = "2026-11-02T10:15:22+00:00"
        var email = "q7w8e9r0t1y2u3@marketplace.amazon.it"
        var name = "Lorenzo Ferrari"
        var sku = "MUG-01"
        var product = "Tazza \"Buongiorno\" 350 ml"
        var quantity = "1"
        var recipient = "Lorenzo Ferrari"
        var street = "Via Solferino 28"
        var city = "Brescia"
        var postalCode = "25121"
        var phone = "+39 347 5550192"

        var fields: [String] {
            [orderID, itemID, purchaseDate, purchaseDate, email, name, phone, sku, product, quantity, "EUR", "12.50",
             "Standard", recipient, street, "", "", city, "BS", postalCode, "IT", phone, "", "Amazon.it"]
        }
    }

    static func orderReport(_ rows: [Row], lineEnding: String = "\n", bom: Bool = false) -> String {
        let lines = [orderReportHeader.joined(separator: "\t")] + rows.map { $0.fields.joined(separator: "\t") }
        return (bom ? "\u{FEFF}" : "") + lines.joined(separator: lineEnding) + lineEnding
    }

    /// A row for another buyer, shipping to their own address.
    static func row(
        order: String, item: String, email: String, name: String, street: String, city: String, postalCode: String
    ) -> Row {
        var row = Row()
        row.orderID = order
        row.itemID = item
        row.email = email
        row.name = name
        row.recipient = name
        row.street = street
        row.city = city
        row.postalCode = postalCode
        return row
    }

    /// Three distinct orders, the second with two item rows.
    static var threeOrders: [Row] {
        var a = Row()
        a.orderID = "402-1000001-0000001"
        let b1 = row(order: "403-2000002-0000002", item: "22222222222221", email: "z9x8c7v6b5n4m3@marketplace.amazon.it",
                     name: "Chiara Colombo", street: "Corso Buenos Aires 64", city: "Milano", postalCode: "20124")
        var b2 = b1
        b2.itemID = "22222222222222"
        b2.sku = "TEE-M"
        b2.product = "T-shirt, taglia M"
        b2.quantity = "2"
        let c = row(order: "404-3000003-0000003", item: "33333333333333", email: "a1s2d3f4g5h6j7@marketplace.amazon.it",
                    name: "Matteo Greco", street: "Via Etnea 120", city: "Catania", postalCode: "95131")
        return [a, b1, b2, c]
    }
}
