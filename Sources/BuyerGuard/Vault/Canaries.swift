public import Foundation

extension Vault {
    /// Plants `count` decoy orders: made-up buyers with plausible names, marketplace relay emails
    /// and addresses, stored and sealed like any other order, marked shipped a few days ago so
    /// that no work queue (unshipped orders, returns, support cases) ever leads to them.
    ///
    /// Nothing in the vault tells them apart from real orders, and the audit log records only
    /// that `count` canaries were planted, not which: the returned ids are the only list. Keep it
    /// where the people being watched cannot read it and pass it to the scanner
    /// (`buyerguard audit scan --canaries FILE`): any access to one is critical.
    ///
    /// - Returns: the decoy orders' ids.
    @discardableResult
    public func plantCanaries(count: Int, actor: String = "buyerguard") async throws -> [OrderID] {
        guard (1...1000).contains(count) else {
            throw BuyerGuardError(.invalidArgument, "plant between 1 and 1000 canaries at a time")
        }
        var generator = SystemRandomNumberGenerator()
        let now = clock.now
        var orders: [MarketplaceOrder] = []
        while orders.count < count {
            let order = try Self.decoyOrder(using: &generator, now: now)
            // A decoy must never overwrite a real order (one chance in ten million a draw).
            if try accessState(for: order.id) == nil, !orders.contains(where: { $0.id == order.id }) { orders.append(order) }
        }
        // Written without an `orders-stored` event: its order ids would tell which orders are decoys.
        let prepared = try prepare(orders)
        try await journaled(.canariesPlanted, actor: actor, channel: .library, intentDetails: ["count": "\(count)"]) {
            let summary = try await write(prepared)
            guard summary.ordersInserted == orders.count else {
                throw BuyerGuardError(.storage, "only \(summary.ordersInserted) of \(count) canaries were stored; run the command again")
            }
            return ((), ["count": "\(count)"])
        }
        return orders.map(\.id)
    }

    /// Reads a canary list as `buyerguard canary add --out` writes it: one order id a line; blank
    /// lines and `#` comments are skipped.
    ///
    /// - Throws: ``BuyerGuardError/Code/inputNotFound`` or ``BuyerGuardError/Code/malformedInput`` naming the line.
    public static func readCanaryList(at url: URL) throws -> [OrderID] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw BuyerGuardError(.inputNotFound, "cannot read the canary list", location: url.path)
        }
        var ids: [OrderID] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let id = try? OrderID(trimmed) else {
                throw BuyerGuardError(.malformedInput, "not an order id: the canary list holds one id a line", location: "\(url.path):\(number + 1)")
            }
            ids.append(id)
        }
        return ids
    }

    /// A decoy order as ``plantCanaries(count:actor:)`` makes them (not stored): made-up buyer,
    /// random marketplace-style id, shipped, bought two to six days before `now`.
    public static func decoyOrder(using generator: inout some RandomNumberGenerator, now: Date) throws -> MarketplaceOrder {
        func digits(_ count: Int) -> String { String((0..<count).map { _ in "0123456789".randomElement(using: &generator)! }) }
        let given = ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Matteo", "Sara", "Andrea", "Elena", "Paolo", "Anna", "Davide"]
        let family = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Conti", "Gallo"]
        let streets = ["Via Roma", "Via Garibaldi", "Corso Italia", "Via Mazzini", "Via Verdi", "Viale Europa", "Via Dante"]
        let places = [("Milano", "MI", "201"), ("Torino", "TO", "101"), ("Bologna", "BO", "401"), ("Firenze", "FI", "501"), ("Napoli", "NA", "801")]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let name = "\(given.randomElement(using: &generator)!) \(family.randomElement(using: &generator)!)"
        let place = places.randomElement(using: &generator)!
        var contact = BuyerContact()
        contact[.buyerEmail] = String((0..<14).map { _ in alphabet.randomElement(using: &generator)! }) + "@marketplace.amazon.it"
        contact[.buyerName] = name
        contact[.recipientName] = name
        contact[.addressLine1] = "\(streets.randomElement(using: &generator)!) \(Int.random(in: 1...120, using: &generator))"
        contact[.city] = place.0
        contact[.stateOrRegion] = place.1
        contact[.postalCode] = place.2 + digits(2)
        contact[.countryCode] = "IT"
        contact[.shipPhone] = "+39 3\(digits(2)) \(digits(7))"
        let purchased = now.addingTimeInterval(-TimeInterval(Int.random(in: 2...6, using: &generator)) * 86_400)
        return MarketplaceOrder(
            id: try OrderID("40\(Int.random(in: 2...8, using: &generator))-\(digits(7))-\(digits(7))"), marketplace: "Amazon.it",
            purchaseDate: purchased, paymentsDate: purchased, status: .shipped, shipServiceLevel: "Standard",
            items: [OrderItem(orderItemID: digits(14), sku: "SKU-\(digits(4))", quantity: 1)], contact: contact)
    }
}
