import BuyerGuardTesting
import Foundation

/// Writes a realistic "New Orders" report of `rows` item rows (every fifth order has two items,
/// buyers repeat) straight to disk, so the generator itself uses no memory to speak of.
enum SyntheticReport {
    static let header = [
        "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name", "buyer-phone-number",
        "sku", "product-name", "quantity-purchased", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
        "ship-service-level", "recipient-name", "ship-address-1", "ship-address-2", "ship-address-3", "ship-city",
        "ship-state", "ship-postal-code", "ship-country", "ship-phone-number", "delivery-start-date", "delivery-end-date",
        "delivery-time-zone", "delivery-Instructions", "sales-channel", "is-business-order", "purchase-order-number",
        "price-designation",
    ]
    static let first = ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo", "Elena", "Davide"]
    static let last = ["Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo"]
    static let cities = [("Milano", "MI", "20121"), ("Roma", "RM", "00184"), ("Napoli", "NA", "80134"), ("Torino", "TO", "10123"),
                         ("Bologna", "BO", "40126"), ("Firenze", "FI", "50122"), ("Palermo", "PA", "90133"), ("Bari", "BA", "70122")]

    static func write(rows: Int, to url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var generator = SeededGenerator(seed: 2026)  // the same report on every run
        var text = header.joined(separator: "\t") + "\r\n"
        var written = 0
        var order = 0
        while written < rows {
            order += 1
            let buyer = Int(generator.next() % UInt64(max(rows * 6 / 10, 1)))
            let name = "\(first[buyer % 10]) \(last[(buyer / 10) % 10])"
            let (city, province, postal) = cities[order % cities.count]
            let orderID = String(format: "%03d-%07d-%07d", 402 + Int(generator.next() % 7), Int(generator.next() % 10_000_000), order % 10_000_000)
            let street = "Via Roma \(Int(generator.next() % 200) + 1)"
            let phone = "+39 3\(Int(generator.next() % 90) + 10) \(Int(generator.next() % 9_000_000) + 1_000_000)"
            let date = String(format: "2026-11-%02dT%02d:%02d:00+00:00", order % 28 + 1, order % 24, order % 60)
            for item in 0..<(order % 5 == 0 ? 2 : 1) where written < rows {
                let fields = [
                    orderID, String(format: "%08d%06d", order % 100_000_000, item), date, date,
                    "b\(buyer)x\(buyer % 97)@marketplace.amazon.it", name, phone, "SKU-\(item)", "Tazza in ceramica \(item)",
                    "1", "EUR", "12.90", "0.00", "4.90", "0.00", "Standard", name, street, "", "", city, province, postal, "IT",
                    phone, "", "", "", "", "Amazon.it", "false", "", "",
                ]
                text += fields.joined(separator: "\t") + "\r\n"
                written += 1
            }
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }
}
