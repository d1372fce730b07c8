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

    /// Three distinct orders, the second with two item rows.
    static var threeOrders: [Row] {
        var a = Row()
        a.orderID = "402-1000001-0000001"
        var b1 = Row()
        b1.orderID = "403-2000002-0000002"
        b1.email = "z9x8c7v6b5n4m3@marketplace.amazon.it"
        b1.name = "Chiara Colombo"
        b1.recipient = "Chiara Colombo"
        b1.street = "Corso Buenos Aires 64"
        b1.city = "Milano"
        b1.postalCode = "20124"
        b1.itemID = "22222222222221"
        var b2 = b1
        b2.itemID = "22222222222222"
        b2.sku = "TEE-M"
        b2.product = "T-shirt, taglia M"
        b2.quantity = "2"
        var c = Row()
        c.orderID = "404-3000003-0000003"
        c.email = "a1s2d3f4g5h6j7@marketplace.amazon.it"
        c.name = "Matteo Greco"
        c.recipient = "Matteo Greco"
        c.street = "Via Etnea 120"
        c.city = "Catania"
        c.postalCode = "95131"
        c.itemID = "33333333333333"
        return [a, b1, b2, c]
    }
}
