import BuyerGuardTesting
import Foundation
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
