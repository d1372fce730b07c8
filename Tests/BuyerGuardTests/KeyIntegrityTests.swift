import Foundation
import GRDB
import Testing
@testable import BuyerGuard
import BuyerGuardTesting

/// A vault knows which keys it has: deleted key rows are damage, reported as such, never replaced
/// by fresh keys. A key file must belong to the user who runs BuyerGuard.
@Suite struct KeyIntegrityTests {
    static func reopenError(_ fixture: BrokerFixture) async throws -> BuyerGuardError? {
        do {
            _ = try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: fixture.temporary.masterKey, clock: fixture.clock)
            return nil
        } catch let error as BuyerGuardError {
            return error
        }
    }

    @Test(arguments: ["DELETE FROM keys WHERE role = 'field'", "DELETE FROM keys", "DROP TABLE keys",
                      "DELETE FROM keys WHERE role = 'audit-pseudonym'"])
    func deletedKeysAreDamageNotRemade(sql: String) async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in try db.execute(sql: sql) }
        let error = try #require(try await Self.reopenError(fixture))
        #expect(error.code == .vaultTampered, "\(error)")
        #expect(error.message.contains("key"), "\(error.message)")
        // Nothing was minted: the table is as the attacker left it.
        let left = try await fixture.vault.database.read { db in
            try db.tableExists("keys") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM keys") ?? 0 : -1
        }
        #expect(left <= 3)
    }

    @Test func aRecordedRotationAndRetirementStillOpen() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.rotateKeys([.field], actor: "security")
        try await fixture.vault.retireKey(.field, version: 1, actor: "security")
        #expect(try await Self.reopenError(fixture) == nil)
        try await fixture.vault.rewrap(to: try MasterKey.generate(), actor: "security")
    }

    @Test func aKeyRowAddedOutsideBuyerGuardIsDamage() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in
            try db.execute(sql: "INSERT INTO keys (role, version, wrapped, is_primary, created_at) SELECT role, 9, wrapped, 0, created_at FROM keys WHERE role = 'field'")
        }
        let error = try #require(try await Self.reopenError(fixture))
        #expect(error.code == .vaultTampered && error.message.contains("field v9"), "\(error)")
    }

    /// As root, a 0600 file planted by another user must not be taken as the key.
    @Test(.enabled(if: geteuid() == 0)) func aKeyFileOwnedByAnotherUserIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("planted.key").path
        try KeyFileProvider.write(try MasterKey.generate(), to: path)
        #expect(throws: Never.self) { _ = try KeyFileProvider(path: path).load() }
        #expect(chown(path, 65534, 65534) == 0)
        #expect(throws: BuyerGuardError.self) { _ = try KeyFileProvider(path: path).load() }
        do { _ = try KeyFileProvider(path: path).load() } catch let error as BuyerGuardError {
            #expect(error.code == .insecureKeyFile && error.message.contains("owned by uid 65534"))
        }
    }
}
