import Foundation
import GRDB
import Synchronization
import Testing
@testable import BuyerGuard
import BuyerGuardTesting

@Suite struct ImportTests {
    func importText(_ text: String, into test: TestVault, name: String = "report.txt", options: ImportOptions = .init()) async throws -> ImportFileSummary {
        let file = try test.folder.write(name, text)
        return try await test.vault.importOrders(from: file, options: options)
    }

    func orderIDs(_ vault: Vault) throws -> [String] {
        try vault.database.read { db in try String.fetchAll(db, sql: "SELECT order_id FROM orders ORDER BY order_id") }
    }

    func openOrderField(_ vault: Vault, _ order: String, _ field: ContactField) throws -> String? {
        let data = try vault.database.read { db in
            try Data.fetchOne(db, sql: "SELECT \(field.column) FROM orders WHERE order_id = ?", arguments: [order])
        }
        return try data.map { try vault.cipher.open($0, field: field, record: .order(try OrderID(order))).string }
    }

    @Test func sampleReportImportsAndIsIdempotent() async throws {
        let test = try await TestVault.make()
        let first = try await test.vault.importOrders(from: Fixtures.sampleReport)
        #expect(first.format == "tsv:order-report")
        #expect(first.encoding == .utf8)
        #expect(first.rowsRead == 55 && first.rowsAccepted == 55 && first.rowsRejected == 0)
        #expect(first.stored.ordersInserted == 40)
        #expect(first.stored.buyersInserted == 24)
        #expect(first.stored.itemsWritten == 55)
        let stats = try await test.vault.statistics()
        let second = try await test.vault.importOrders(from: Fixtures.sampleReport)
        #expect(second.stored.ordersUnchanged == 40)
        #expect(second.stored.ordersInserted == 0 && second.stored.ordersUpdated == 0 && second.stored.itemsWritten == 0)
        #expect(try await test.vault.statistics() == stats)
    }

    @Test func multiRowOrdersBecomeOneOrder() async throws {
        let test = try await TestVault.make()
        let summary = try await importText(ReportFixtures.orderReport(ReportFixtures.threeOrders), into: test)
        #expect(summary.stored.ordersInserted == 3)
        #expect(summary.stored.itemsWritten == 4)
        let count = try await test.vault.database.read { db in
            try Int.fetchOne(db, sql: "SELECT item_count FROM orders WHERE order_id = '403-2000002-0000002'")
        }
        #expect(count == 3)
        #expect(try openOrderField(test.vault, "403-2000002-0000002", .addressLine1) == "Corso Buenos Aires 64")
    }

    @Test func byteOrderMarkAndCRLF() async throws {
        let test = try await TestVault.make()
        let summary = try await importText(ReportFixtures.orderReport(ReportFixtures.threeOrders, lineEnding: "\r\n", bom: true), into: test)
        #expect(summary.rowsRejected == 0)
        #expect(summary.stored.ordersInserted == 3)
        // No stray CR on the last column, no BOM on the first.
        let channel = try await test.vault.database.read { db in try String.fetchOne(db, sql: "SELECT marketplace FROM orders LIMIT 1") }
        #expect(channel == "Amazon.it")
    }

    @Test func quotesArePartOfTheText() async throws {
        let test = try await TestVault.make()
        var row = ReportFixtures.Row()
        row.street = "\"Palazzo Rosso\" Via Garibaldi 18"
        row.product = "Tazza \"Buongiorno\" 350 ml"
        _ = try await importText(ReportFixtures.orderReport([row]), into: test)
        let product = try await test.vault.database.read { db in try String.fetchOne(db, sql: "SELECT product_name FROM order_items") }
        #expect(product == "Tazza \"Buongiorno\" 350 ml")
        #expect(try openOrderField(test.vault, row.orderID, .addressLine1) == "\"Palazzo Rosso\" Via Garibaldi 18")
    }

    @Test func windows1252IsDetected() async throws {
        let test = try await TestVault.make()
        var row = ReportFixtures.Row()
        row.city = "Forlì"
        row.street = "Via Caduti per la Libertà 3"
        row.name = "Niccolò Mazzà"
        let utf8 = ReportFixtures.orderReport([row])
        let cp1252 = utf8.unicodeScalars.map { scalar -> UInt8 in
            switch scalar {
            case "ì": 0xEC
            case "à": 0xE0
            case "ò": 0xF2
            default: UInt8(scalar.value)
            }
        }
        let file = try test.folder.write("cp1252.txt", bytes: cp1252)
        let summary = try await test.vault.importOrders(from: file)
        #expect(summary.encoding == .windows1252)
        #expect(summary.rowsRejected == 0)
        #expect(try openOrderField(test.vault, row.orderID, .city) == "Forlì")
        #expect(try openOrderField(test.vault, row.orderID, .addressLine1) == "Via Caduti per la Libertà 3")

        // Forcing UTF-8 on the same bytes rejects the row, naming the column, and writes nothing.
        let strict = try await TestVault.make()
        let refused = try await strict.vault.importOrders(from: file, options: ImportOptions(encoding: .utf8))
        #expect(refused.rowsRejected == 1)
        #expect(refused.rejected.first?.reason.contains("not valid utf-8") == true)
        #expect(try orderIDs(strict.vault).isEmpty)
    }

    @Test func windows1252EuroSignAndQuotes() {
        let bytes: [UInt8] = [0x80, 0x20, 0x93, 0x61, 0x94, 0x9C]
        let text = bytes.withUnsafeBufferPointer { ReportEncoding.windows1252.decode($0) }
        #expect(text == "€ \u{201C}a\u{201D}œ")
    }

    /// A UTF-8 report (accents on lines 2 and 3) with one Windows-1252 byte on line 4: decoding it all
    /// as Windows-1252 would garble every accent, so it is refused, naming line 4; nothing is written.
    @Test func mixedEncodingsAreRefused() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[0].city = "Forlì"
        rows[1].name = "Niccolò Mazzà"
        rows[2].name = "Niccolò Mazzà"
        rows[3].street = "Via Caduti per la Liberta 3"
        var bytes = Array(ReportFixtures.orderReport(rows).utf8)
        let street = bytes.indices.first { bytes[$0...].starts(with: Array("Liberta 3".utf8)) }!
        bytes[street + 6] = 0xE0  // "à" in Windows-1252
        let file = try test.folder.write("mixed.txt", bytes: bytes)
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await test.vault.importOrders(from: file) }
        #expect(error?.code == .malformedInput)
        #expect(error?.location == file.path + ":5", "\(error?.description ?? "")")
        #expect(error?.message.contains("UTF-8") == true && error?.message.contains("Windows-1252") == true, "\(error?.message ?? "")")
        #expect(try orderIDs(test.vault).isEmpty)

        // Asked for an encoding, the import does what it is told.
        let told = try await test.vault.importOrders(from: file, options: ImportOptions(encoding: .utf8))
        #expect(told.rowsRejected == 1 && told.rejected.first?.line == 5)
        #expect(try openOrderField(test.vault, rows[0].orderID, .city) == "Forlì")
    }

    /// The other way round: a Windows-1252 report with one line that happens to be valid UTF-8 with
    /// non-ASCII bytes. The minority is that line.
    @Test func mixedEncodingsNameTheMinority() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[0].city = "Forl\u{1}"
        rows[1].name = "Niccol\u{2} Mazz\u{3}"
        rows[2].name = "Niccol\u{2} Mazz\u{3}"
        rows[3].city = "Forlì"  // stays UTF-8
        let bytes = Array(ReportFixtures.orderReport(rows).utf8).map { [1: 0xEC, 2: 0xF2, 3: 0xE0][$0] ?? $0 }
        let file = try test.folder.write("mixed.txt", bytes: bytes)
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await test.vault.importOrders(from: file) }
        #expect(error?.code == .malformedInput)
        #expect(error?.location == file.path + ":5", "\(error?.description ?? "")")
        #expect(try orderIDs(test.vault).isEmpty)
    }

    /// With `--encoding utf-8`, a row whose product or item text is not UTF-8 is rejected by the
    /// check, not dropped silently while the order's other rows are written.
    @Test func forcedEncodingChecksItemColumnsToo() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[2].product = "Tazza caff\u{1}"
        let bytes = Array(ReportFixtures.orderReport(rows).utf8).map { $0 == 1 ? 0xE8 : $0 }
        let file = try test.folder.write("cp1252-product.txt", bytes: bytes)
        let summary = try await test.vault.importOrders(from: file, options: ImportOptions(encoding: .utf8))
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.line == 4)
        #expect(summary.rejected.first?.reason.contains("product-name") == true)
        #expect(try orderIDs(test.vault) == ["402-1000001-0000001", "404-3000003-0000003"])
    }

    @Test(arguments: [
        ("order-id\tbuyer-email\tship-city\tbuyer-email", "buyer-email"),
        ("order-id\tBuyer-Email \tship-city\t\"buyer-email\"", "buyer-email"),
        ("order-id\tamazon-order-id\tbuyer-email", "order-id"),
        ("order-id\tquantity\tquantity-purchased", "quantity-purchased"),
        ("order-id\tsku\tsku", "sku"),
    ])
    func headerNamingAColumnTwiceIsRefused(header: String, column: String) async throws {
        let test = try await TestVault.make()
        let fields = header.split(separator: "\t").count
        let row = ["402-1234567-1234567", "a1@marketplace.amazon.it", "Roma", "b2@marketplace.amazon.it"].prefix(fields)
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await importText(header + "\n" + row.joined(separator: "\t") + "\n", into: test)
        }
        #expect(error?.code == .malformedInput)
        #expect(error?.location?.hasSuffix("report.txt:1") == true, "\(error?.description ?? "")")
        #expect(error?.message.contains(column) == true, "\(error?.message ?? "")")
        #expect(error?.description.contains("@") == false)
        #expect(try orderIDs(test.vault).isEmpty)
    }

    @Test func repeatedUnknownColumnsAreStillIgnored() async throws {
        let test = try await TestVault.make()
        let text = "order-id\tcurrency\tbuyer-email\tcurrency\n402-1234567-1234567\tEUR\ta1@marketplace.amazon.it\tEUR\n"
        let summary = try await importText(text, into: test)
        #expect(summary.rowsRejected == 0 && summary.stored.ordersInserted == 1)
    }

    @Test func unknownColumnsAreIgnoredAndOptionalOnesMayBeMissing() async throws {
        let test = try await TestVault.make()
        let text = """
            gift-message-text\torder-id\tbuyer-email\tsomething-new\trecipient-name
            Auguri Anna!\t405-1111111-2222222\tx1y2z3@marketplace.amazon.it\tfoo\tAnna Neri

            """
        let summary = try await importText(text, into: test)
        #expect(summary.rowsRejected == 0)
        #expect(summary.stored.ordersInserted == 1)
        #expect(try openOrderField(test.vault, "405-1111111-2222222", .recipientName) == "Anna Neri")
        #expect(try openOrderField(test.vault, "405-1111111-2222222", .addressLine1) == nil)
        // The gift message is neither stored nor left anywhere in the vault.
        try await test.vault.checkpoint()
        for (_, data) in try TemporaryFolder.allBytes(in: test.vaultFolder) {
            #expect(data.range(of: Data("Auguri".utf8)) == nil)
        }
    }

    @Test func unshippedOrdersLayout() async throws {
        let test = try await TestVault.make()
        let header = ["order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "promise-date",
                      "days-past-promise", "buyer-email", "buyer-name", "buyer-phone-number", "sku", "product-name",
                      "quantity-purchased", "quantity-shipped", "quantity-to-ship", "ship-service-level", "recipient-name",
                      "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state", "ship-postal-code",
                      "ship-country", "ship-phone-number"]
        let row = ["406-5555555-6666666", "44444444444444", "2026-11-20T08:00:00+00:00", "2026-11-20T08:05:00+00:00",
                   "2026-11-21T00:00:00+00:00", "2026-11-23T23:59:59+00:00", "0", "p0o9i8u7@marketplace.amazon.it",
                   "Sofia Russo", "", "CANDLE", "Candela", "2", "0", "2", "Standard", "Sofia Russo", "Via Toledo 5", "", "",
                   "Napoli", "NA", "80134", "IT", ""]
        let summary = try await importText(header.joined(separator: "\t") + "\n" + row.joined(separator: "\t") + "\n", into: test)
        #expect(summary.format == "tsv:unshipped-orders")
        #expect(summary.stored.ordersInserted == 1)
        let stats = try await test.vault.statistics()
        #expect(stats.ordersByStatus == [.unshipped: 1])
        #expect(stats.items == 1)
    }

    @Test func allOrdersLayoutReadsStatus() async throws {
        let test = try await TestVault.make()
        let text = """
            amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tsales-channel\tproduct-name\tsku\tquantity\tship-city\tship-postal-code\tship-country
            407-1212121-3434343\t\t2026-11-01T09:00:00+00:00\t2026-11-03T09:00:00+00:00\tShipped\tAmazon.it\tQuaderno\tNOTE-A5\t2\tParma\t43121\tIT
            407-5656565-7878787\t\t2026-11-02T09:00:00+00:00\t2026-11-02T09:00:00+00:00\tCancelled\tAmazon.it\tBorsa\tBAG\t1\tPisa\t56121\tIT

            """
        let summary = try await importText(text, into: test)
        #expect(summary.format == "tsv:all-orders")
        #expect(summary.rowsRejected == 0)
        #expect(try await test.vault.statistics().ordersByStatus == [.shipped: 1, .cancelled: 1])
    }

    // MARK: Bad input

    struct BadRowCase: Sendable, CustomTestStringConvertible {
        let label: String
        let mutate: @Sendable (inout ReportFixtures.Row) -> Void
        let reason: String
        var testDescription: String { label }
    }

    static let badRows: [BadRowCase] = [
        BadRowCase(label: "bad date", mutate: { $0.purchaseDate = "02/11/2026" }, reason: "purchase-date is not a date"),
        BadRowCase(label: "bad quantity", mutate: { $0.quantity = "due" }, reason: "quantity-purchased is not a whole number"),
        BadRowCase(label: "negative quantity", mutate: { $0.quantity = "-1" }, reason: "quantity-purchased is not a whole number"),
        BadRowCase(label: "email without @", mutate: { $0.email = "lorenzo.ferrari.example.com" }, reason: "buyer-email is not an email address"),
        BadRowCase(label: "tab in a field", mutate: { $0.street = "Via Solferino\t28" }, reason: "columns but the header has"),
        BadRowCase(label: "NUL byte", mutate: { $0.street = "Via Solferino\u{0}28" }, reason: "NUL byte"),
    ]

    /// Each bad row is reported with file, line and a reason naming the column, and its whole
    /// order is left out, including its good rows elsewhere in the file. Other orders import.
    @Test(arguments: badRows)
    func badRowLeavesItsWholeOrderOut(_ badCase: BadRowCase) async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        // Row 3 of the data (line 4) is the second item of order 403-...; its first item (line 3) is good.
        badCase.mutate(&rows[2])
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRejected == 1)
        let rejected = try #require(summary.rejected.first)
        #expect(rejected.line == 4)
        #expect(rejected.file.hasSuffix("report.txt"))
        #expect(rejected.reason.contains(badCase.reason), "\(rejected.reason)")
        #expect(rejected.orderID == "403-2000002-0000002")
        #expect(try orderIDs(test.vault) == ["402-1000001-0000001", "404-3000003-0000003"])
        #expect(summary.ordersSkipped == 1)
        // Reasons never carry the values.
        #expect(!rejected.description.contains("Chiara") && !rejected.description.contains("@") && !rejected.description.contains("Buenos"))
    }

    @Test(arguments: ["40-1234567-1234567", "402-1234567-123456X", "", "4021234567123456789"])
    func invalidOrderIDIsRejected(id: String) async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[0].orderID = id
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.line == 2)
        #expect(summary.rejected.first?.reason.contains("order-id") == true)
        #expect(try orderIDs(test.vault) == ["403-2000002-0000002", "404-3000003-0000003"])
    }

    @Test func rowWithTooFewColumnsIsRejected() async throws {
        let test = try await TestVault.make()
        var text = ReportFixtures.orderReport(ReportFixtures.threeOrders)
        text += ReportFixtures.Row().fields.prefix(10).joined(separator: "\t") + "\n"
        let summary = try await importText(text, into: test)
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.line == 6)
        #expect(summary.rejected.first?.reason.contains("cut short") == true)
        #expect(try orderIDs(test.vault).count == 3)
    }

    /// A download cut off mid-row: the last, unterminated line is short. Its order is left out.
    @Test func truncatedFileLeavesNoHalfOrder() async throws {
        let test = try await TestVault.make()
        let full = ReportFixtures.orderReport(ReportFixtures.threeOrders)
        let cut = String(full.dropLast(60))
        let summary = try await importText(cut, into: test)
        #expect(summary.rowsRejected == 1)
        #expect(try orderIDs(test.vault) == ["402-1000001-0000001", "403-2000002-0000002"])
    }

    @Test func conflictingRowsOfOneOrderAreRejected() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[2].street = "Via Torino 1"  // second row of 403-... ships elsewhere
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.reason.contains("differ") == true)
        #expect(try orderIDs(test.vault) == ["402-1000001-0000001", "404-3000003-0000003"])
    }

    @Test func orderSplitAcrossTheFileIsLeftOutIfAnyPartIsBad() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        var late = rows[0]
        late.itemID = "99999999999999"
        late.quantity = "many"
        rows.append(late)  // order 402-... again, at the end, with a bad quantity
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRejected == 1)
        #expect(try orderIDs(test.vault) == ["403-2000002-0000002", "404-3000003-0000003"])
    }

    /// Order 402-... at line 2 and again at line 5, after other orders, with another buyer: the
    /// second row is rejected and the whole order left out, as if the rows were adjacent.
    @Test func nonAdjacentRowsOfOneOrderAreCrossChecked() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        var late = ReportFixtures.row(order: rows[0].orderID, item: "99999999999999", email: "o0i9u8y7t6r5e4@marketplace.amazon.it",
                                      name: "Paola Gallo", street: "Via Po 3", city: "Torino", postalCode: "10123")
        late.sku = "TEE-L"
        rows.insert(late, at: 3)  // line 5, between the rows of 403-... and 404-...
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRead == 5)
        #expect(summary.rowsRejected == 1)
        let rejected = try #require(summary.rejected.first)
        #expect(rejected.line == 5)
        #expect(rejected.orderID == rows[0].orderID)
        #expect(rejected.reason.contains("differ") && rejected.reason.contains("line 2"), "\(rejected.reason)")
        #expect(!rejected.description.contains("Paola") && !rejected.description.contains("Lorenzo"))
        #expect(summary.ordersSkipped == 1)
        #expect(summary.rowsAccepted == 3)
        #expect(try orderIDs(test.vault) == ["403-2000002-0000002", "404-3000003-0000003"])
    }

    /// The same order at lines 2 and 5 with the same buyer: one order with both items, counted once.
    @Test func nonAdjacentRowsOfOneOrderMakeOneOrder() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        var late = rows[0]
        late.itemID = "99999999999999"
        late.sku = "TEE-L"
        late.product = "T-shirt, taglia L"
        late.quantity = "3"
        rows.insert(late, at: 3)
        let text = ReportFixtures.orderReport(rows)
        let summary = try await importText(text, into: test)
        #expect(summary.rowsRejected == 0)
        #expect(summary.rowsAccepted == 5)
        #expect(summary.stored.ordersInserted == 3)
        #expect(summary.stored.ordersUpdated == 0 && summary.stored.ordersUnchanged == 0)
        #expect(summary.stored.itemsWritten == 5)
        let (items, count) = try await test.vault.database.read { db in
            (try String.fetchAll(db, sql: """
                SELECT sku FROM order_items JOIN orders ON orders.id = order_items.order_ref
                WHERE order_id = '402-1000001-0000001' ORDER BY sku
                """),
             try Int.fetchOne(db, sql: "SELECT item_count FROM orders WHERE order_id = '402-1000001-0000001'"))
        }
        #expect(items == ["MUG-01", "TEE-L"])
        #expect(count == 4)
        let again = try await importText(text, into: test, name: "again.txt")
        #expect(again.stored.ordersUnchanged == 3)
        #expect(again.stored.ordersUpdated == 0 && again.stored.itemsWritten == 0)
    }

    /// An order apart, whose later rows come with CRLF, a blank line, a row of no order in between,
    /// and the file's last line without its line break: read back from the file, all three rows
    /// make one order, with no stray CR.
    @Test func scatteredOrderIsReadBackWholeFromTheFile() async throws {
        let test = try await TestVault.make()
        let rows = ReportFixtures.threeOrders
        var second = rows[0], third = rows[0], nobody = rows[3]
        (second.itemID, second.sku) = ("55555555555552", "TEE-S")
        (third.itemID, third.sku) = ("55555555555553", "TEE-XL")
        nobody.orderID = "not-an-order"
        let lines = [ReportFixtures.orderReportHeader, rows[0].fields, rows[3].fields, second.fields, [], nobody.fields, third.fields]
        let text = lines.map { $0.joined(separator: "\t") }.joined(separator: "\r\n")  // no final line break
        let summary = try await importText(text, into: test)
        #expect(summary.rowsRead == 5 && summary.rowsAccepted == 4)
        #expect(summary.rejected.map(\.line) == [6])
        #expect(summary.stored.ordersInserted == 2 && summary.stored.ordersUpdated == 0)
        let (skus, marketplace) = try await test.vault.database.read { db in
            (try String.fetchAll(db, sql: """
                SELECT sku FROM order_items JOIN orders ON orders.id = order_items.order_ref
                WHERE order_id = ? ORDER BY sku
                """, arguments: [rows[0].orderID]),
             try String.fetchOne(db, sql: "SELECT marketplace FROM orders WHERE order_id = ?", arguments: [rows[0].orderID]))
        }
        #expect(skus == ["MUG-01", "TEE-S", "TEE-XL"])
        #expect(marketplace == "Amazon.it")
        #expect(try openOrderField(test.vault, rows[0].orderID, .addressLine1) == rows[0].street)
    }

    @Test(arguments: [
        ("no order-id column", "name\temail\nAnna\ta@b.c\n", "no order-id column"),
        ("empty file", "", "empty"),
        ("blank lines only", "\n\n  \n", "empty"),
        ("CSV instead of TSV", "order-id,buyer-email\n402-1234567-1234567,a@b.c\n", "no order-id column"),
    ])
    func notAnOrderReportWritesNothing(label: String, text: String, message: String) async throws {
        let test = try await TestVault.make()
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await importText(text, into: test) }
        #expect(error?.code == .malformedInput)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(try orderIDs(test.vault).isEmpty)
    }

    @Test func binaryGarbageIsRefused() async throws {
        let test = try await TestVault.make()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { $0 == 0x0A || $0 == 0x7B || $0 == 0x5B ? 0x41 : $0 }
        let file = try test.folder.write("garbage.bin", bytes: bytes)
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await test.vault.importOrders(from: file) }
        #expect(error?.code == .malformedInput)
    }

    @Test func overlongLineIsRefused() async throws {
        let test = try await TestVault.make()
        let text = "order-id\tbuyer-email\n" + String(repeating: "x", count: 2 << 20) + "\n"
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await importText(text, into: test) }
        #expect(error?.code == .malformedInput)
        #expect(error?.location?.hasSuffix("report.txt:2") == true, "\(error?.description ?? "")")
    }

    @Test func missingFileIsInputNotFound() async throws {
        let test = try await TestVault.make()
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await test.vault.importOrders(from: test.folder.path("nope.txt"))
        }
        #expect(error?.code == .inputNotFound)
        #expect(error?.location?.hasSuffix("nope.txt") == true)
    }

    @Test func folderIsNotAnOrderFile() async throws {
        let test = try await TestVault.make()
        let folder = test.folder.path("reports")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await test.vault.importOrders(from: folder) }
        #expect(error?.code == .inputNotFound)
        #expect(error?.location == folder.path)
        #expect(error?.message.contains("is a folder, not an order file") == true, "\(error?.message ?? "")")
    }

    // MARK: JSON

    static let apiOrder = """
        {"AmazonOrderId": "408-7777777-8888888", "PurchaseDate": "2026-11-10T14:03:11Z", "OrderStatus": "Unshipped",
         "MarketplaceId": "APJ6JRA9NG5V4", "SalesChannel": "Amazon.it", "NumberOfItemsShipped": 0, "NumberOfItemsUnshipped": 2,
         "BuyerInfo": {"BuyerEmail": "m4n5b6v7c8@marketplace.amazon.it", "BuyerName": "Alessia Fontana"},
         "ShippingAddress": {"Name": "Alessia Fontana", "AddressLine1": "Via Indipendenza 9", "City": "Bologna",
                             "StateOrRegion": "BO", "PostalCode": "40121", "CountryCode": "IT", "Phone": "+39 051 555 0101"}}
        """

    @Test func apiJSONPayloadOrders() async throws {
        let test = try await TestVault.make()
        let bad = #"{"AmazonOrderId": "bad-id"}"#
        let summary = try await importText(#"{"payload": {"Orders": ["# + Self.apiOrder + "," + bad + "]}}", into: test, name: "orders.json")
        #expect(summary.format == "json")
        #expect(summary.stored.ordersInserted == 1)
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.line == 2)
        #expect(try openOrderField(test.vault, "408-7777777-8888888", .addressLine1) == "Via Indipendenza 9")
        #expect(try openOrderField(test.vault, "408-7777777-8888888", .shipPhone) == "+39 051 555 0101")
        let count = try await test.vault.database.read { db in try Int.fetchOne(db, sql: "SELECT item_count FROM orders") }
        #expect(count == 2)
        let again = try await importText(#"{"payload": {"Orders": ["# + Self.apiOrder + "]}}", into: test, name: "orders2.json")
        #expect(again.stored.ordersUnchanged == 1)
    }

    @Test func apiJSONArrayAndSingleObject() async throws {
        let test = try await TestVault.make()
        #expect(try await importText("[" + Self.apiOrder + "]", into: test, name: "a.json").stored.ordersInserted == 1)
        #expect(try await importText(Self.apiOrder, into: test, name: "b.json").stored.ordersUnchanged == 1)
    }

    @Test func jsonLinesWithABadLine() async throws {
        let test = try await TestVault.make()
        let second = Self.apiOrder.replacingOccurrences(of: "408-7777777-8888888", with: "408-7777777-9999999")
            .replacingOccurrences(of: "\n", with: " ")
        let text = Self.apiOrder.replacingOccurrences(of: "\n", with: " ") + "\n{not json\n" + second + "\n"
        let summary = try await importText(text, into: test, name: "orders.jsonl")
        #expect(summary.format == "jsonl")
        #expect(summary.stored.ordersInserted == 2)
        #expect(summary.rejected.map(\.line) == [2])
    }

    /// A line too long to read after 2,500 good orders: the file is refused whole, naming the line,
    /// and nothing is written (the check reads the whole file first).
    @Test func jsonLinesWithAnOverlongLineWritesNothing() async throws {
        let test = try await TestVault.make()
        let order = Self.apiOrder.replacingOccurrences(of: "\n", with: " ")
        var text = ""
        for number in 0..<2500 {
            text += order.replacingOccurrences(of: "408-7777777-8888888", with: String(format: "408-%07d-0000001", number)) + "\n"
        }
        text += #"{"AmazonOrderId": "408-9999999-0000001", "Notes": ""# + String(repeating: "x", count: 2 << 20) + "\"}\n"
        text += order + "\n"
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await importText(text, into: test, name: "orders.jsonl") }
        #expect(error?.code == .malformedInput)
        #expect(error?.location?.hasSuffix("orders.jsonl:2501") == true, "\(error?.description ?? "")")
        #expect(error?.message.contains("nothing was imported") == true, "\(error?.message ?? "")")
        #expect(try orderIDs(test.vault).isEmpty)
        var kinds: [String] = []
        try test.vault.auditLog.forEachEntry { kinds.append($0.kind) }
        #expect(!kinds.contains("import"))
    }

    /// Per-line problems stay rejected rows, wherever they are; an impossible date is one.
    @Test func jsonLinesImpossibleDateIsARejectedLine() async throws {
        let test = try await TestVault.make()
        let order = Self.apiOrder.replacingOccurrences(of: "\n", with: " ")
        let february = order.replacingOccurrences(of: "408-7777777-8888888", with: "408-7777777-9999999")
            .replacingOccurrences(of: "2026-11-10T14:03:11Z", with: "2026-02-30T14:03:11Z")
        let summary = try await importText(order + "\n" + february + "\n", into: test, name: "orders.jsonl")
        #expect(summary.stored.ordersInserted == 1)
        #expect(summary.rejected.map(\.line) == [2])
        #expect(summary.rejected.first?.reason.contains("PurchaseDate") == true)
    }

    @Test func invalidJSONWritesNothing() async throws {
        let test = try await TestVault.make()
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await importText("[" + Self.apiOrder, into: test, name: "cut.json")
        }
        #expect(error?.code == .malformedInput)
        #expect(try orderIDs(test.vault).isEmpty)
    }

    // MARK: Timestamps

    @Test(arguments: [
        ("2026-11-02T10:15:22+00:00", 1_793_614_522.0),
        ("2026-11-02T10:15:22Z", 1_793_614_522.0),
        ("2026-11-02T11:15:22+01:00", 1_793_614_522.0),
        ("2026-11-02T11:15:22+0100", 1_793_614_522.0),
        ("2026-11-02 10:15:22 UTC", 1_793_614_522.0),
        ("2026-11-02T10:15:22.500Z", 1_793_614_522.5),
        ("2026-11-02", 1_793_577_600.0),
    ])
    func timestamps(text: String, seconds: Double) {
        #expect(TimestampParser.parse(Substring(text))?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: ["", "02/11/2026", "2026-13-01", "2026-11-02T25:00:00Z", "2026-11-02T10:15:22 PST", "tomorrow",
                      "2026-02-30", "2026-02-29", "2100-02-29", "2026-04-31", "2026-06-31T10:00:00Z", "2026-11-31 10:15:22 UTC",
                      "2026-00-10", "2026-11-00"])
    func badTimestamps(text: String) {
        #expect(TimestampParser.parse(Substring(text)) == nil)
    }

    @Test(arguments: [("2028-02-29", 1_835_395_200.0), ("2000-02-29T00:00:00Z", 951_782_400.0), ("2026-12-31", 1_798_675_200.0)])
    func leapDaysAndMonthEnds(text: String, seconds: Double) {
        #expect(TimestampParser.parse(Substring(text))?.timeIntervalSince1970 == seconds)
    }

    /// An impossible date in a report is a rejected row naming the column, not another day.
    @Test func impossibleReportDateIsARejectedRow() async throws {
        let test = try await TestVault.make()
        var rows = ReportFixtures.threeOrders
        rows[3].purchaseDate = "2026-02-30T10:15:22+00:00"
        let summary = try await importText(ReportFixtures.orderReport(rows), into: test)
        #expect(summary.rowsRejected == 1)
        #expect(summary.rejected.first?.line == 5)
        #expect(summary.rejected.first?.reason.contains("purchase-date is not a date") == true)
        #expect(try orderIDs(test.vault) == ["402-1000001-0000001", "403-2000002-0000002"])
    }
}

/// Imports large enough to span several chunks, transactions and pipelined writes.
@Suite struct BulkImportTests {
    /// A synthetic report: `orders` orders, every fifth with two item rows, buyers repeating.
    static func report(orders: Int, seed: Int = 1) -> String {
        var rows: [ReportFixtures.Row] = []
        for number in 0..<orders {
            var row = ReportFixtures.Row()
            row.orderID = String(format: "40%d-%07d-%07d", 2 + number % 7, (number * 7919 + seed) % 10_000_000, number)
            row.email = "buyer\((number * 31) % (orders / 2 + 1))@marketplace.amazon.it"
            row.name = "Buyer \((number * 31) % (orders / 2 + 1))"
            row.recipient = row.name
            row.street = "Via Roma \(number % 200 + 1)"
            row.itemID = String(format: "%08d000001", number)
            rows.append(row)
            if number % 5 == 0 {
                var second = row
                second.itemID = String(format: "%08d000002", number)
                second.sku = "TEE-M"
                rows.append(second)
            }
        }
        return ReportFixtures.orderReport(rows)
    }

    @Test func manyChunksAndTransactionsAddUp() async throws {
        let test = try await TestVault.make()
        let file = try test.folder.write("big.txt", Self.report(orders: 12_000))
        var options = ImportOptions()
        options.batchSize = 3000  // several commits, one open transaction at a time
        let first = try await test.vault.importOrders(from: file, options: options)
        #expect(first.rowsRead == 14_400)
        #expect(first.rowsRejected == 0)
        #expect(first.stored.ordersInserted == 12_000)
        #expect(first.stored.itemsWritten == 14_400)
        let stats = try await test.vault.statistics()
        #expect(stats.orders == 12_000)
        #expect(stats.items == 14_400)
        #expect(stats.buyers == first.stored.buyersInserted)
        let again = try await test.vault.importOrders(from: file, options: options)
        #expect(again.stored.ordersUnchanged == 12_000)
        #expect(try await test.vault.statistics() == stats)
    }

    /// While another writer waits, the import holds the vault's write lock for about 200 ms at a
    /// time and then lets it in, so an app that waits at most 2 s for the lock (a fifth of the
    /// default) never times out during an import of any size, on any machine: the bound is the
    /// import's time budget, not its batch size. Before, the import held the lock for a batch of
    /// 50,000 orders (7 s seen). Here a transaction nobody waits for may last a minute, so only the
    /// app's signal (the `-waiters` file) can end one in time.
    @Test func appWritesDuringAnImportWaitLessThanTheirTimeout() async throws {
        let test = try await TestVault.make()
        let file = try test.folder.write("big.txt", Self.report(orders: 30_000))
        var options = ImportOptions()
        options.uncontendedHoldCap = .seconds(60)
        var impatient = VaultConfiguration()
        impatient.busyTimeout = .seconds(2)
        let app = try await Vault.open(at: test.vaultFolder, keyProvider: test.key, configuration: impatient)
        let writing = Mutex(false)
        let finished = Mutex(false)
        let importing = Task {
            defer { finished.withLock { $0 = true } }
            return try await test.vault.importOrders(from: file, options: options) { progress in
                if progress.phase == .importing { writing.withLock { $0 = true } }
            }
        }
        var duringImport = 0
        var number = 0
        var longest = Duration.zero
        while !writing.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        // Write until the import is done: every store must get the lock within its 2 s.
        while true {
            let stillImporting = !finished.withLock { $0 }
            let started = ContinuousClock.now
            try await app.store(try .sample(String(format: "409-%07d-0000000", number)), actor: "test")
            longest = max(longest, ContinuousClock.now - started)
            number += 1
            if stillImporting { duringImport += 1 } else { break }
            if number > 100_000 { break }
        }
        let summary = try await importing.value
        print("app stores during the import: \(duringImport), longest store call (lock wait and scheduling) \(longest)")  // not asserted
        #expect(summary.stored.ordersInserted == 30_000)
        #expect(duringImport > 0)
        #expect(try await test.vault.statistics().orders == 30_000 + number)
    }

    /// The report with its data lines shuffled: the rows of most multi-item orders end up apart.
    static func shuffled(_ report: String, seed: UInt64) -> String {
        var lines = report.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        var generator = SeededGenerator(seed: seed)
        lines.shuffle(using: &generator)
        return ([header] + lines).joined(separator: "\n") + "\n"
    }

    static func itemCounts(_ vault: Vault) throws -> [String: Int] {
        try vault.database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT order_id, item_count FROM orders").map {
                ($0["order_id"] as String, $0["item_count"] as Int)
            })
        }
    }

    /// A shuffled report, checked within a few kilobytes (many partitions, temporary files): each
    /// multi-item order, now apart, is written whole and once, as the report in order is.
    @Test func scatteredOrdersThroughTemporaryFilesAddUp() async throws {
        let test = try await TestVault.make()
        let file = try test.folder.write("shuffled.txt", Self.shuffled(Self.report(orders: 6000), seed: 7))
        var options = ImportOptions()
        options.batchSize = 2500
        options.checkMemoryBudget = 16 << 10
        let first = try await test.vault.importOrders(from: file, options: options)
        #expect(first.rowsRead == 7200 && first.rowsAccepted == 7200 && first.rowsRejected == 0)
        #expect(first.stored.ordersInserted == 6000)
        #expect(first.stored.ordersUpdated == 0 && first.stored.ordersUnchanged == 0)
        #expect(first.stored.itemsWritten == 7200)

        let inOrder = try await TestVault.make()
        let reference = try await inOrder.vault.importOrders(from: try inOrder.folder.write("report.txt", Self.report(orders: 6000)))
        #expect(first.stored.buyersInserted == reference.stored.buyersInserted)
        let (stats, expected) = (try await test.vault.statistics(), try await inOrder.vault.statistics())
        #expect(stats.orders == expected.orders && stats.items == expected.items && stats.buyers == expected.buyers)
        #expect(try Self.itemCounts(test.vault) == Self.itemCounts(inOrder.vault))

        let again = try await test.vault.importOrders(from: file, options: options)
        #expect(again.stored.ordersUnchanged == 6000)
        #expect(again.stored.ordersUpdated == 0 && again.stored.itemsWritten == 0)
    }

    /// Ten orders get a last row, at the end of the file, with another street; one more order has a
    /// bad row in the middle. All eleven are left out; the rejected rows kept are the earliest.
    @Test func scatteredConflictsAreRejectedInLineOrder() async throws {
        let test = try await TestVault.make()
        var lines = Self.report(orders: 3000).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let street = ReportFixtures.orderReportHeader.firstIndex(of: "ship-address-1")!
        var firstLines: [String: Int] = [:]
        for (index, fields) in lines.enumerated().dropFirst() where firstLines[fields[0]] == nil { firstLines[fields[0]] = index + 1 }
        let victims = Array(Set(lines[1...40].map { $0[0] })).sorted().prefix(10)
        for id in victims {
            var fields = lines[firstLines[id]! - 1]
            fields[1] = "99999999999999"
            fields[street] = "Via Altrove 1"
            lines.append(fields)
        }
        lines[2999][ReportFixtures.orderReportHeader.firstIndex(of: "quantity-purchased")!] = "tre"  // line 3000
        let file = try test.folder.write("late.txt", lines.map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n")
        var options = ImportOptions()
        options.maximumRejectedRowsKept = 4
        options.checkMemoryBudget = 8 << 10
        let summary = try await test.vault.importOrders(from: file, options: options)
        #expect(summary.rowsRejected == 11)
        #expect(summary.ordersSkipped == 11)
        #expect(summary.rejected.map(\.line) == [3000, 3602, 3603, 3604])
        for row in summary.rejected.dropFirst() {
            let id = try #require(row.orderID)
            #expect(row.reason.hasSuffix("at line \(firstLines[id]!)"), "\(row.reason)")
        }
        let stored = Set(try await test.vault.database.read { db in try String.fetchAll(db, sql: "SELECT order_id FROM orders") })
        #expect(stored.count == 2989)
        #expect(stored.isDisjoint(with: victims) && !stored.contains(lines[2999][0]))
    }

    /// The finder's partitions go to a private temporary folder, removed afterwards. Runs that
    /// disagree are reported against the order's first run; orders with a bad run are left out;
    /// agreeing runs come back grouped; the write pass is told the first line of each run to skip.
    @Test func scatteredOrderFinderSpillsAndCleansUp() async throws {
        let scratch = ImportScratch()
        let finder = ScatteredOrderFinder(fileSize: 1_000_000, memoryBudget: 4096, scratch: scratch)
        func run(_ number: Int, fingerprint: Int, line: Int, isBad: Bool = false) -> OrderRun {
            OrderRun(key: UInt64(number) * 7919, fingerprint: fingerprint, line: line, start: line * 100, end: line * 100 + 100, isBad: isBad)
        }
        // Orders 0..<4000 once each, then 0..<1000 again (the odd ones for another buyer), then 4000, bad.
        for number in 0..<4000 { try finder.add(run(number, fingerprint: number, line: number + 2, isBad: number == 0)) }
        for number in 0..<1000 { try finder.add(run(number, fingerprint: number.isMultiple(of: 2) ? number : -1, line: 5000 + number)) }
        try finder.add(run(4000, fingerprint: 1, line: 7000, isBad: true))
        let folder = try #require(scratch.url)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int == 0o700)
        var conflicts: [(run: OrderRun, firstLine: Int)] = []
        let found = try finder.finish { conflicts.append(($0, $1)) }
        #expect(found.scatteredOrders == 499)  // the even numbers but 0, which has a bad run
        #expect(found.ordersLeftOut == 502)  // 0, the 500 odd ones, 4000
        #expect(conflicts.count == 500)
        #expect(conflicts.allSatisfy { $0.run.line == 5000 + Int($0.run.key / 7919) && $0.firstLine == Int($0.run.key / 7919) + 2 })
        for line in [2, 5000, 3, 5001, 4, 5002, 7000] { #expect(found.passedOver.contains(line), "\(line)") }
        for line in [1, 1002, 1502, 4001, 6000, 7001, 100_000] { #expect(!found.passedOver.contains(line), "\(line)") }
        var runs: [OrderRun] = []
        try await found.runs.forEach { runs.append($0) }
        #expect(runs.count == 998)
        for pair in stride(from: 0, to: runs.count, by: 2) {
            #expect(runs[pair].key == runs[pair + 1].key && runs[pair].line < runs[pair + 1].line)
        }
        scratch.remove()
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        // Runs are spilled as raw bytes: no padding that could carry stale memory to disk.
        #expect(MemoryLayout<OrderRun>.size == 6 * 8 && MemoryLayout<OrderRun>.stride == 6 * 8)
    }

    @Test(arguments: ["402-1234567-7654321", "002-0000001-0000000", "000-0000000-0000000", "999-9999999-9999999"])
    func orderKeysRoundTrip(id: String) throws {
        let order = try OrderID(id)
        #expect(OrderID(key: order.key) == order)
        let bytes = Array(id.utf8)
        #expect(bytes.withUnsafeBufferPointer { OrderID.key(validated: $0) } == order.key)
    }

    @Test func contactFieldIndexMatchesCaseOrder() {
        #expect(ContactField.allCases.enumerated().allSatisfy { $0.offset == $0.element.index })
        #expect(OrderReportLayout.Column.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
    }
}
