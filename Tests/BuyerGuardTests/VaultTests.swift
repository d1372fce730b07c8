import Foundation
import GRDB
import Testing
@testable import BuyerGuard

@Suite struct VaultTests {
    @Test func createThenReopen() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let reopened = try await Vault.open(at: test.vaultFolder, keyProvider: test.key)
        let stats = try await reopened.statistics()
        #expect(stats.orders == 1)
        #expect(stats.buyers == 1)
        #expect(stats.keys.map(\.role).sorted() == ["audit-pseudonym", "audit-signing", "blind-index", "field"])
        #expect(stats.keys.allSatisfy { $0.isPrimary && $0.version == 1 })
        #expect(reopened.vaultID == test.vault.vaultID)
    }

    @Test func createRefusesAnExistingVault() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let before = try Data(contentsOf: Vault.databaseURL(in: test.vaultFolder))
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.create(at: test.vaultFolder, keyProvider: try MasterKey.generate())
        }
        #expect(error?.code == .alreadyExists)
        #expect(try Data(contentsOf: Vault.databaseURL(in: test.vaultFolder)) == before)
    }

    @Test func openingAMissingVaultSaysSo() async throws {
        let folder = try TemporaryFolder()
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: folder.path("nothing"), keyProvider: try MasterKey.generate())
        }
        #expect(error?.code == .vaultNotFound)
    }

    /// A wrong key is reported as such (not as corruption) and leaves every file byte-identical.
    @Test func wrongMasterKeyIsDetectedAndDestroysNothing() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        try await test.vault.checkpoint()
        let before = try TemporaryFolder.allBytes(in: test.vaultFolder)
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: test.vaultFolder, keyProvider: try MasterKey.generate())
        }
        #expect(error?.code == .wrongMasterKey)
        #expect(error?.message.contains("wrong master key") == true)
        let after = try TemporaryFolder.allBytes(in: test.vaultFolder).filter { !$0.name.hasSuffix("-shm") && !$0.name.hasSuffix("-wal") }
        #expect(after.map(\.data) == before.filter { !$0.name.hasSuffix("-shm") && !$0.name.hasSuffix("-wal") }.map(\.data))
        // And the right key still opens it.
        _ = try await Vault.open(at: test.vaultFolder, keyProvider: test.key)
    }

    @Test func alteredWrappedKeyIsCorruptionNotWrongKey() async throws {
        let test = try await TestVault.make()
        try await test.vault.database.write { db in
            try db.execute(sql: "UPDATE keys SET wrapped = zeroblob(72) WHERE role = 'field'")
        }
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: test.vaultFolder, keyProvider: test.key)
        }
        #expect(error?.code == .corruptCiphertext)
    }

    @Test func vaultFilesArePrivate() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let folderMode = try FileManager.default.attributesOfItem(atPath: test.vaultFolder.path)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: test.vaultFolder.path) {
            let mode = try FileManager.default.attributesOfItem(atPath: test.vaultFolder.appendingPathComponent(name).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name) has mode \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test func pragmasAreSet() async throws {
        let test = try await TestVault.make()
        let (secureDelete, journal, synchronous) = try await test.vault.database.pool.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA secure_delete"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(secureDelete == 1)
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
    }

    // MARK: Field sealing

    /// Opens a stored order-level field the way the broker will (internal API).
    func openOrderField(_ vault: Vault, _ order: String, _ field: ContactField) async throws -> String {
        let data = try await vault.database.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT \(field.column) FROM orders WHERE order_id = ?", arguments: [order])
        }
        return try vault.cipher.open(try #require(data), field: field, record: .order(try OrderID(order))).string
    }

    @Test func fieldsRoundTrip() async throws {
        let test = try await TestVault.make()
        let order = try MarketplaceOrder.sample()
        try await test.vault.store(order, actor: "test")
        for field in ContactField.orderLevel {
            guard let expected = order.contact[field] else { continue }
            #expect(try await openOrderField(test.vault, order.id.rawValue, field) == expected)
        }
    }

    @Test func ciphertextHeaderCarriesFormatAndVersion() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let data = try #require(try await test.vault.database.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT city FROM orders")
        })
        #expect(data.first == 0x01)
        #expect(FieldCipher.keyVersion(of: data) == 1)
        #expect(data.count == FieldCipher.overheadByteCount + "Torino".utf8.count)
    }

    @Test func truncatedCiphertextFails() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let data = try #require(try await test.vault.database.pool.read { db in try Data.fetchOne(db, sql: "SELECT city FROM orders") })
        let id = try OrderID("402-1234567-7654321")
        for length in [0, 1, 10, FieldCipher.overheadByteCount - 1, data.count - 1] {
            let error = #expect(throws: BuyerGuardError.self) {
                _ = try test.vault.cipher.open(data.prefix(length), field: .city, record: .order(id))
            }
            #expect(error?.code == .corruptCiphertext)
        }
    }

    @Test func everyFlippedBitFails() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        let data = try #require(try await test.vault.database.pool.read { db in try Data.fetchOne(db, sql: "SELECT city FROM orders") })
        let id = try OrderID("402-1234567-7654321")
        for bit in 0..<(data.count * 8) {
            var flipped = data
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: BuyerGuardError.self) {
                _ = try test.vault.cipher.open(flipped, field: .city, record: .order(id))
            }
        }
    }

    /// Copying one buyer's ciphertext onto another buyer, or onto another field, must fail to open.
    @Test func swappedCiphertextsFail() async throws {
        let test = try await TestVault.make()
        try await test.vault.store([
            try .sample("402-1111111-1111111", email: "aaaa@marketplace.amazon.it", name: "Anna Rossi", street: "Via Roma 1"),
            try .sample("402-2222222-2222222", email: "bbbb@marketplace.amazon.it", name: "Bruno Verdi", street: "Via Po 2"),
        ], actor: "test")
        try await test.vault.database.write { db in
            // Swap the two orders' street ciphertexts and the two buyers' names.
            let streets = try Row.fetchAll(db, sql: "SELECT order_id, address_line_1 FROM orders ORDER BY order_id")
            for (row, other) in zip(streets, streets.reversed()) {
                try db.execute(sql: "UPDATE orders SET address_line_1 = ? WHERE order_id = ?",
                               arguments: [other["address_line_1"] as Data, row["order_id"] as String])
            }
            let names = try Row.fetchAll(db, sql: "SELECT id, buyer_name FROM buyers ORDER BY id")
            for (row, other) in zip(names, names.reversed()) {
                try db.execute(sql: "UPDATE buyers SET buyer_name = ? WHERE id = ?",
                               arguments: [other["buyer_name"] as Data, row["id"] as Int64])
            }
            // And copy a city ciphertext into the postal code field of the same order.
            try db.execute(sql: "UPDATE orders SET postal_code = city")
        }
        for order in ["402-1111111-1111111", "402-2222222-2222222"] {
            let streetError = await #expect(throws: BuyerGuardError.self) {
                _ = try await openOrderField(test.vault, order, .addressLine1)
            }
            #expect(streetError?.code == .corruptCiphertext)
            await #expect(throws: BuyerGuardError.self) { _ = try await openOrderField(test.vault, order, .postalCode) }
        }
        let buyers = try test.vault.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT uid, buyer_name FROM buyers")
        }
        for row in buyers {
            #expect(throws: BuyerGuardError.self) {
                _ = try test.vault.cipher.open(row["buyer_name"], field: .buyerName, record: .buyer([UInt8](row["uid"] as Data)))
            }
        }
    }

    @Test func unknownKeyVersionAndFormatAreReported() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample(), actor: "test")
        var data = try #require(try await test.vault.database.pool.read { db in try Data.fetchOne(db, sql: "SELECT city FROM orders") })
        let id = try OrderID("402-1234567-7654321")
        data[4] = 9  // key version 9
        let versionError = #expect(throws: BuyerGuardError.self) { _ = try test.vault.cipher.open(data, field: .city, record: .order(id)) }
        #expect(versionError?.code == .unsupportedFormat)
        data[0] = 0x7F
        let formatError = #expect(throws: BuyerGuardError.self) { _ = try test.vault.cipher.open(data, field: .city, record: .order(id)) }
        #expect(formatError?.code == .unsupportedFormat)
    }

    // MARK: Storing

    @Test func sameEmailIsOneBuyerAcrossOrders() async throws {
        let test = try await TestVault.make()
        let summary = try await test.vault.store([
            try .sample("402-1111111-1111111", email: "Relay1@Marketplace.Amazon.it "),
            try .sample("402-2222222-2222222", email: "relay1@marketplace.amazon.it"),
            try .sample("402-3333333-3333333", email: "relay2@marketplace.amazon.it"),
        ], actor: "test")
        #expect(summary.ordersInserted == 3)
        #expect(summary.buyersInserted == 2)
        #expect(try await test.vault.statistics().buyers == 2)
    }

    @Test func ordersWithoutEmailKeepTheirOwnBuyer() async throws {
        let test = try await TestVault.make()
        try await test.vault.store([try .sample("402-1111111-1111111", email: nil), try .sample("402-2222222-2222222", email: nil)], actor: "test")
        try await test.vault.store([try .sample("402-1111111-1111111", email: nil)], actor: "test")
        #expect(try await test.vault.statistics().buyers == 2)
    }

    @Test func storingTwiceChangesNothing() async throws {
        let test = try await TestVault.make()
        let order = try MarketplaceOrder.sample(items: 2)
        try await test.vault.store(order, actor: "test")
        let before = try test.vault.database.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM orders") }
        let again = try await test.vault.store(order, actor: "test")
        #expect(again.ordersUnchanged == 1)
        #expect(again.ordersInserted == 0 && again.ordersUpdated == 0 && again.itemsWritten == 0)
        let after = try test.vault.database.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM orders") }
        #expect(before == after)
    }

    @Test func changedAddressIsResealed() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(try .sample(street: "Via Garibaldi 12"), actor: "test")
        let summary = try await test.vault.store(try .sample(street: "Via Garibaldi 14"), actor: "test")
        #expect(summary.ordersUpdated == 1)
        #expect(try await openOrderField(test.vault, "402-1234567-7654321", .addressLine1) == "Via Garibaldi 14")
    }

    @Test func statusNeverMovesBackward() async throws {
        let test = try await TestVault.make()
        var order = try MarketplaceOrder.sample()
        order.status = .shipped
        try await test.vault.store(order, actor: "test")
        order.status = .unshipped
        try await test.vault.store(order, actor: "test")
        #expect(try await test.vault.statistics().ordersByStatus == [.shipped: 1])
    }

    @Test func itemCountFollowsItems() async throws {
        let test = try await TestVault.make()
        var order = try MarketplaceOrder.sample(items: 2)
        order.items[1].quantity = 3
        try await test.vault.store(order, actor: "test")
        let count = try await test.vault.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT item_count FROM orders") }
        #expect(count == 4)
    }

    @Test func contactDescriptionsRevealNothing() throws {
        let order = try MarketplaceOrder.sample()
        for text in ["\(order)", String(reflecting: order), "\(order.contact)", String(reflecting: order.contact)] {
            #expect(!text.contains("Giulia"))
            #expect(!text.contains("marketplace.amazon.it"))
            #expect(!text.contains("Garibaldi"))
        }
        var dumped = ""
        dump(order, to: &dumped)
        #expect(!dumped.contains("Giulia") && !dumped.contains("Garibaldi"))
    }
}

/// Storage failures are reported clearly and leave nothing half written.
@Suite struct StorageFailureTests {
    /// SQLite's page limit produces the same SQLITE_FULL a full disk does.
    @Test func fullDatabaseFailsCleanlyAndLosesNothing() async throws {
        let test = try await TestVault.make()
        try await test.vault.store(.sample("402-0000000-0000001"), actor: "test")
        let pages = try await test.vault.database.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await test.vault.database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)")
        }
        let orders = try (1...500).map { try MarketplaceOrder.sample(String(format: "403-%07d-0000000", $0), email: "b\($0)@marketplace.amazon.it") }
        let error = await #expect(throws: BuyerGuardError.self) { try await test.vault.store(orders, actor: "test") }
        #expect(error?.code == .storage)
        #expect(error?.description.contains("full") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("marketplace.amazon.it") == false)
        // The failed batch was rolled back whole; the earlier order is intact and still opens.
        let stats = try await test.vault.statistics()
        #expect(stats.orders == 1 && stats.buyers == 1)
        let city = try #require(try await test.vault.database.pool.read { db in try Data.fetchOne(db, sql: "SELECT city FROM orders") })
        #expect(try test.vault.cipher.open(city, field: .city, record: .order(try OrderID("402-0000000-0000001"))).string == "Torino")
    }
}
