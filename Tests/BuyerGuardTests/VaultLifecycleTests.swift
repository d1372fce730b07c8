import Foundation
import Testing
@testable import BuyerGuard

/// What an app's service lifecycle and its staff pages use: the list without personal data, and
/// closing the vault at shutdown.
@Suite struct VaultLifecycleTests {
    @Test func orderSummariesCarryNoPersonalDataAndPage() async throws {
        let fixture = try await BrokerFixture.make()
        fixture.clock.advance(by: 60)
        var later = try MarketplaceOrder.sample("403-3333333-3333333", email: "cccc3333@marketplace.amazon.it", name: "Carla Neri", street: "Via Dora 3")
        later.purchaseDate = fixture.clock.now
        try await fixture.vault.store(later, actor: "test")
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: "BRT", trackingNumber: "T1"), for: BrokerFixture.orderA, actor: "ops")

        let all = try await fixture.vault.orderSummaries()
        #expect(all.map(\.orderID.rawValue) == ["403-3333333-3333333", BrokerFixture.orderA.rawValue, BrokerFixture.orderB.rawValue])
        #expect(all[1].status == .shipped && all[1].shipped != nil && !all[1].personalDataRemoved)
        #expect(try await fixture.vault.orderSummaries(status: .shipped).map(\.orderID) == [BrokerFixture.orderA])
        #expect(try await fixture.vault.orderSummaries(limit: 1, offset: 1).map(\.orderID) == [BrokerFixture.orderA])
        let encoded = String(decoding: try JSONEncoder().encode(all), as: UTF8.self)
        for value in [BrokerFixture.emailA, BrokerFixture.emailB, "Anna Rossi", "Via Roma 1", "Carla Neri", "Via Dora 3", "cccc3333"] {
            #expect(!encoded.contains(value))
        }
        let before = try await fixture.vault.auditLog.count()
        _ = try await fixture.vault.orderSummaries()
        #expect(try await fixture.vault.auditLog.count() == before)  // nothing sealed was read
        let error = await #expect(throws: BuyerGuardError.self) { try await fixture.vault.orderSummaries(limit: 0) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func closingSignsTheLogsEndAndRefusesLaterWork() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.broker.withAccess(fixture.request(.shipping)) { $0.fields.count }
        try await fixture.vault.close()

        let log = try AuditLog.openForReading(at: fixture.vault.auditLog.url)
        let verification = try log.verify(trustedPublicKey: fixture.vault.auditLog.signingPublicKey)
        #expect(verification.problems.isEmpty && verification.warnings.isEmpty, "\(verification.warnings)")
        var last: AuditEntry?
        try log.forEachEntry { last = $0 }
        #expect(verification.checkpointsVerified >= 1 && last?.sequence == Int64(verification.entries))
        // Nothing is left in the WALs.
        for file in ["vault.sqlite-wal", "audit.sqlite-wal"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: fixture.temporary.vaultFolder.appendingPathComponent(file).path)[.size] as? Int) ?? 0
            #expect(size == 0, "\(file) holds \(size) bytes")
        }
        // A late request fails with BuyerGuard's error, and releases nothing.
        let late = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.shipping)) { $0.fields.count }
        }
        #expect(late != nil)
    }
}
