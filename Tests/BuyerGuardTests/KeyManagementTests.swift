import BuyerGuardTesting
import Foundation
import Synchronization
import GRDB
import Testing
@testable import BuyerGuard

@Suite struct KeyManagementTests {
    @Test func statusCountsValuesPerVersionAndAge() async throws {
        let fixture = try await BrokerFixture.make()
        let keys = try await fixture.vault.keyStatus()
        #expect(keys.map(\.role) == ["audit-pseudonym", "audit-signing", "blind-index", "field"])
        let field = try #require(keys.first { $0.role == "field" })
        // Two orders of 7 order-level fields each, two buyers of 2 fields each.
        #expect(field.valuesUsingIt == 18 && field.isPrimary && field.version == 1)
        #expect(keys.first { $0.role == "blind-index" }?.valuesUsingIt == 2)
        #expect(keys.first { $0.role == "audit-signing" }?.valuesUsingIt == nil)
        fixture.clock.advance(days: 400)
        #expect(try await fixture.vault.keyStatus().allSatisfy { $0.ageDays == 400 && $0.pastCryptoperiod })
    }

    /// After a rewrap only the new key opens the vault; the data, the broker and the audit chain
    /// (including its checkpoint signatures) carry on unchanged.
    @Test func rewrapReplacesTheMasterKey() async throws {
        let fixture = try await BrokerFixture.make()
        let checkpoint = try await fixture.vault.auditLog.checkpoint()
        let newKey = try MasterKey.generate()
        try await fixture.vault.rewrap(to: newKey, actor: "security")

        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: fixture.temporary.masterKey)
        }
        #expect(error?.code == .wrongMasterKey)
        let reopened = try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: newKey, clock: fixture.clock)
        let broker = AccessBroker(vault: reopened)
        let street = try await broker.withAccess(fixture.request(.shipping)) { $0.string(.addressLine1) }
        #expect(street == "Via Roma 1")
        #expect(reopened.auditLog.signingPublicKey == fixture.vault.auditLog.signingPublicKey)
        #expect(try reopened.auditLog.verify(checkpoint: checkpoint).isIntact)
        var kinds: [String] = []
        try reopened.auditLog.forEachEntry { kinds.append($0.kind) }
        #expect(kinds.contains("master-key-rewrapped"))
    }
}

@Suite struct KeyRotationTests {
    /// Everything each order releases, for comparing before and after.
    static func snapshot(_ fixture: BrokerFixture, broker: AccessBroker? = nil) async throws -> [String] {
        let broker = broker ?? fixture.broker
        var values: [String] = []
        for order in [BrokerFixture.orderA, BrokerFixture.orderB] {
            for purpose in [Purpose.shipping, .orderMessaging(.shipmentDelay)] {
                values += try await broker.withAccess(fixture.request(purpose, order: order)) { contact in
                    contact.fields.map { "\(order) \($0.rawValue)=\(contact.string($0)!)" }
                }
            }
        }
        return values
    }

    @Test func rotationReencryptsEverythingAndOldVersionsCanBeRetired() async throws {
        let fixture = try await BrokerFixture.make()
        let before = try await Self.snapshot(fixture)
        let summary = try await fixture.vault.rotateKeys(actor: "security", batchSize: 1)
        #expect(summary.newVersions == ["field": 2, "blind-index": 2])
        #expect(summary.valuesResealed == 18)
        #expect(summary.indexEntriesRebuilt == 2)
        #expect(!(try await fixture.vault.rotationInProgress()))
        let status = try await fixture.vault.keyStatus()
        #expect(status.first { $0.role == "field" && $0.version == 1 }?.valuesUsingIt == 0)
        #expect(status.first { $0.role == "field" && $0.version == 2 }?.valuesUsingIt == 18)
        #expect(status.first { $0.role == "blind-index" && $0.version == 2 }?.valuesUsingIt == 2)
        #expect(try await Self.snapshot(fixture) == before)

        let wrappedV1 = try await fixture.vault.database.read { db in
            try Data.fetchAll(db, sql: "SELECT wrapped FROM keys WHERE version = 1 AND role IN ('field', 'blind-index')")
        }
        #expect(wrappedV1.count == 2)
        try await fixture.vault.retireKey(.field, version: 1, actor: "security")
        try await fixture.vault.retireKey(.blindIndex, version: 1, actor: "security")
        // The destroyed versions' wrapped bytes are gone from every file of the vault.
        for (name, data) in try TemporaryFolder.allBytes(in: fixture.temporary.vaultFolder) {
            for wrapped in wrappedV1 { #expect(data.range(of: wrapped) == nil, "a retired key's bytes are still in \(name)") }
        }
        #expect(try await fixture.vault.keyStatus().filter { $0.version == 1 }.map(\.role) == ["audit-pseudonym", "audit-signing"])
        // A fresh open (only v2 keys now) still reads everything; the same buyer is still one buyer.
        let reopened = try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: fixture.temporary.masterKey, clock: fixture.clock)
        #expect(try await Self.snapshot(fixture, broker: AccessBroker(vault: reopened)) == before)
        let again = try await reopened.store(try .sample(BrokerFixture.orderA.rawValue, email: BrokerFixture.emailA, name: "Anna Rossi", street: "Via Roma 1"), actor: "test")
        #expect(again.buyersInserted == 0)  // found by the rebuilt v2 blind index
        #expect(try await reopened.statistics().buyers == 2)
        var kinds: [String] = []
        try reopened.auditLog.forEachEntry { kinds.append($0.kind) }
        #expect(kinds.contains("key-rotation-started") && kinds.contains("key-rotation-finished") && kinds.filter { $0 == "key-retired" }.count == 2)
    }

    @Test func retireRefusesAKeyStillInUse() async throws {
        let fixture = try await BrokerFixture.make()
        let error = await #expect(throws: BuyerGuardError.self) { try await fixture.vault.retireKey(.field, version: 1, actor: "s") }
        #expect(error?.message.contains("primary") == true)
        // Interrupt a rotation after its first batch: v1 still protects values.
        try await Self.interruptAfterFirstBatch(fixture.vault, [.field])
        #expect(try await fixture.vault.rotationInProgress())
        let busy = await #expect(throws: BuyerGuardError.self) { try await fixture.vault.retireKey(.field, version: 1, actor: "s") }
        #expect(busy?.message.contains("in progress") == true)
        let resumed = try await fixture.vault.continueRotation(actor: "s")
        #expect(resumed.valuesResealed == 18)  // counted across the interruption
        try await fixture.vault.retireKey(.field, version: 1, actor: "s")
    }

    /// Eight tasks read through the broker while a throttled rotation runs: no request fails.
    @Test func brokerKeepsServingDuringRotation() async throws {
        let fixture = try await BrokerFixture.make()
        var orders: [MarketplaceOrder] = []
        for number in 0..<400 {
            orders.append(try .sample(String(format: "405-%07d-0000000", number), email: "r\(number)@marketplace.amazon.it"))
        }
        try await fixture.vault.store(orders, actor: "test")
        let before = try await Self.snapshot(fixture)
        let rotation = Task { try await fixture.vault.rotateKeys(actor: "s", batchSize: 20, pause: .milliseconds(5)) }
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var failures = 0
                    for index in 0..<150 {
                        let id = try OrderID(String(format: "405-%07d-0000000", index % 400))
                        do {
                            _ = try await fixture.broker.withAccess(AccessRequest(actor: "reader", purpose: .shipping, orderID: id)) { $0.fields.count }
                        } catch {
                            failures += 1
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        let summary = try await rotation.value
        #expect(failures == 0)
        #expect(summary.valuesResealed == 18 + 400 * 9)
        #expect(try await Self.snapshot(fixture) == before)
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }
}

extension KeyRotationTests {
    /// Starts a rotation and cancels it once its first batch is committed (its long pause is where
    /// the cancellation lands), leaving a rotation in progress.
    static func interruptAfterFirstBatch(_ vault: Vault, _ keys: Set<RotatableKey>) async throws {
        let started = Mutex(false)
        let task = Task { try await vault.rotateKeys(keys, actor: "s", batchSize: 1, pause: .seconds(60)) { _ in started.withLock { $0 = true } } }
        for _ in 0..<1000 where !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        _ = await task.result
    }

    /// Mid-rotation, a buyer whose index is still on the old key is found, not duplicated.
    @Test func buyersAreFoundByTheOldIndexMidRotation() async throws {
        let fixture = try await BrokerFixture.make()
        try await Self.interruptAfterFirstBatch(fixture.vault, [.blindIndex])
        #expect(try await fixture.vault.rotationInProgress())
        let summary = try await fixture.vault.store(try .sample("406-0000000-0000001", email: BrokerFixture.emailB, name: "Bruno Verdi"), actor: "test")
        #expect(summary.buyersInserted == 0)
        #expect(try await fixture.vault.auditPseudonym(forEmail: BrokerFixture.emailA, actor: "test") != nil)
        _ = try await fixture.vault.continueRotation(actor: "s")
        #expect(try await fixture.vault.statistics().buyers == 2)
    }
}
