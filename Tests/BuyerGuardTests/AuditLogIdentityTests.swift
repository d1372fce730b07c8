import Foundation
import GRDB
import Testing
@testable import BuyerGuard
import BuyerGuardTesting

/// A vault knows its audit log (its id and how far the vault saw it grow): a deleted, emptied,
/// swapped, rolled-back or rewritten log is refused, never silently replaced by a fresh one.
@Suite struct AuditLogIdentityTests {
    static func reopen(_ fixture: BrokerFixture) async throws -> Vault {
        try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: fixture.temporary.masterKey, clock: fixture.clock)
    }

    static func expectTampered(_ fixture: BrokerFixture, mentioning words: String) async throws {
        do {
            _ = try await reopen(fixture)
            Issue.record("the vault opened")
        } catch let error as BuyerGuardError {
            #expect(error.code == .auditTampered, "\(error)")
            #expect(error.message.contains(words), "\(error.message)")
        }
    }

    static func removeLog(in folder: URL) throws {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(AuditLog.fileName + suffix))
        }
    }

    /// A consistent copy of a live SQLite file, WAL included.
    static func copy(_ log: AuditLog, to url: URL) throws {
        try log.database.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [url.path]) }
    }

    @Test func aDeletedLogIsRefusedAndNotRecreated() async throws {
        let fixture = try await BrokerFixture.make()
        try Self.removeLog(in: fixture.temporary.vaultFolder)
        try await Self.expectTampered(fixture, mentioning: "missing")
        #expect(!FileManager.default.fileExists(atPath: fixture.temporary.vaultFolder.appendingPathComponent(AuditLog.fileName).path))
    }

    @Test func anotherVaultsLogIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        let other = try await BrokerFixture.make()
        let folder = fixture.temporary.vaultFolder
        let copy = other.temporary.folder.appendingPathComponent("other-audit.sqlite")
        try Self.copy(other.vault.auditLog, to: copy)
        try Self.removeLog(in: folder)
        try FileManager.default.copyItem(at: copy, to: folder.appendingPathComponent(AuditLog.fileName))
        try await Self.expectTampered(fixture, mentioning: "another vault")
    }

    @Test func anOlderCopyOfTheLogIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        let old = fixture.temporary.folder.appendingPathComponent("old-audit.sqlite")
        try Self.copy(fixture.vault.auditLog, to: old)
        for _ in 0..<5 { _ = try await fixture.attempt(fixture.request(.prohibited(.marketing))) }
        try await fixture.vault.auditLog.checkpoint()  // the vault's mark moves on
        try Self.removeLog(in: fixture.temporary.vaultFolder)
        try FileManager.default.copyItem(at: old, to: fixture.temporary.vaultFolder.appendingPathComponent(AuditLog.fileName))
        try await Self.expectTampered(fixture, mentioning: "cut short")
    }

    @Test func aRewrittenHeadIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(fixture.request(.prohibited(.export)))
        let mark = try await fixture.vault.auditLog.checkpoint()
        try await fixture.vault.auditLog.database.write { db in
            try db.execute(sql: "UPDATE entries SET hash = zeroblob(32) WHERE seq = ?", arguments: [mark.entryCount])
        }
        try await Self.expectTampered(fixture, mentioning: "rewritten")
    }

    @Test func aRemovedOrAlteredMarkIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE meta SET value = replace(value, '\"entryCount\":', '\"entryCount\":0') WHERE name = 'audit_mark'")
        }
        try await Self.expectTampered(fixture, mentioning: "altered")
        try await fixture.vault.database.write { db in try db.execute(sql: "DELETE FROM meta WHERE name = 'audit_mark'") }
        try await Self.expectTampered(fixture, mentioning: "missing")
    }

    @Test func theMarkFollowsEveryCheckpointAndAnIntactLogOpens() async throws {
        let fixture = try await BrokerFixture.make()
        for _ in 0..<3 { _ = try await fixture.attempt(fixture.request(.shipping)) }
        let checkpoint = try await fixture.vault.auditLog.checkpoint()
        let mark = try await fixture.vault.database.read { db in try AuditLogMark.stored(db) }
        #expect(mark.mark == checkpoint && mark.logID == fixture.vault.auditLog.logID)
        let reopened = try await Self.reopen(fixture)
        #expect(try await reopened.auditLog.count() == checkpoint.entryCount)
    }

    /// Makes the vault look like one from before generation 2: no records, the old check value.
    static func makeGenerationOne(_ fixture: BrokerFixture) async throws {
        let schedule = try MasterKeySchedule(fixture.temporary.masterKey)
        let old = try schedule.keyCheckValue(vaultID: [UInt8](hexString: fixture.vault.vaultID)!, generation: 1)
        try await fixture.vault.database.write { db in
            try db.execute(sql: "DELETE FROM meta WHERE name IN ('audit_mark', 'audit_log_id', 'key_manifest')")
            try db.execute(sql: "UPDATE orders SET buyer_link = NULL")
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'master_key_check'", arguments: [Data(old)])
        }
    }

    /// A vault made before it kept a record of its log adopts the log it has once, and from then on checks it.
    @Test func aVaultOfGenerationOneAdoptsItsRecordsOnce() async throws {
        let fixture = try await BrokerFixture.make()
        try await Self.makeGenerationOne(fixture)
        let adopted = try await Self.reopen(fixture)
        #expect(try await adopted.database.read { db in try AuditLogMark.stored(db) }.mark != nil)
        let broker = AccessBroker(vault: adopted)
        #expect(try await broker.withAccess(fixture.request(.shipping)) { $0.fields.count } > 0)  // links were backfilled
        try Self.removeLog(in: fixture.temporary.vaultFolder)
        try await Self.expectTampered(fixture, mentioning: "missing")
    }

    /// Deleting a record does not pass a vault off as an older one that would adopt what it finds.
    @Test(arguments: ["audit_log_id", "key_manifest"])
    func aDeletedRecordIsRefusedNotReadopted(name: String) async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in try db.execute(sql: "DELETE FROM meta WHERE name = ?", arguments: [name]) }
        do {
            _ = try await Self.reopen(fixture)
            Issue.record("the vault opened")
        } catch let error as BuyerGuardError {
            #expect(error.code == .auditTampered || error.code == .vaultTampered, "\(error)")
            #expect(error.message.contains("missing"), "\(error.message)")
        }
    }

    /// A checkpoint copied from the log's own table has a valid signature, but it is not the vault's mark.
    @Test func anOlderCheckpointCopiedIntoTheMarkIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        let early = try await fixture.vault.auditLog.checkpoint()
        for _ in 0..<3 { _ = try await fixture.attempt(fixture.request(.prohibited(.export))) }
        let late = try await fixture.vault.auditLog.checkpoint()
        #expect(late.entryCount > early.entryCount)
        let forged = try JSONEncoder().encode(AuditLogMark.Stored(checkpoint: early, mac: String(repeating: "0", count: 64)))
        try await fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'audit_mark'", arguments: [forged])
        }
        try await fixture.vault.auditLog.database.write { db in
            try db.execute(sql: "DELETE FROM entries WHERE seq > ?", arguments: [early.entryCount])
            try db.execute(sql: "DELETE FROM checkpoints WHERE entry_count > ?", arguments: [early.entryCount])
        }
        try await Self.expectTampered(fixture, mentioning: "altered")
    }

    /// The mark follows a rewrap: the vault opens with the new key, its mark intact.
    @Test func theMarkSurvivesARewrap() async throws {
        let fixture = try await BrokerFixture.make()
        let newKey = try MasterKey.generate()
        try await fixture.vault.rewrap(to: newKey, actor: "security")
        try await fixture.vault.auditLog.checkpoint()
        _ = try await Vault.open(at: fixture.temporary.vaultFolder, keyProvider: newKey, clock: fixture.clock)
    }

    /// Clearing an order's link and the old upgrade flag no longer gets the link recomputed.
    @Test func aClearedLinkIsNotRecomputed() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE orders SET buyer_id = (SELECT buyer_id FROM orders WHERE order_id = ?), buyer_link = NULL WHERE order_id = ?",
                           arguments: [BrokerFixture.orderB.rawValue, BrokerFixture.orderA.rawValue])
            try db.execute(sql: "DELETE FROM meta WHERE name = 'order_buyer_links'")
        }
        let reopened = try await Self.reopen(fixture)
        let broker = AccessBroker(vault: reopened)
        await #expect(throws: BuyerGuardError.self) { _ = try await broker.withAccess(fixture.request(.shipping)) { $0.fields.count } }
    }
}

/// The log signs itself every 10,000 entries and at least daily while written: a long stretch
/// without those checkpoints means they were deleted.
@Suite struct DeletedCheckpointTests {
    @Test func deletingEveryCheckpointOfALongLogIsFound() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.auditLog.appendSyntheticEntries(25_000, batch: 5000)
        #expect(try fixture.vault.auditLog.verify().isIntact)
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: "DELETE FROM checkpoints") }
        let report = try fixture.vault.auditLog.verify()
        #expect(report.problems.contains { $0.code == "checkpoint-missing" && $0.sequence == 1 }, "\(report.problems)")
    }

    @Test func deletingTheDailyCheckpointIsFound() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(fixture.request(.shipping))
        fixture.clock.advance(days: 2)
        for _ in 0..<1_200 { _ = try await fixture.attempt(fixture.request(.shipping)) }
        let intact = try fixture.vault.auditLog.verify()
        #expect(intact.isIntact, "\(intact.problems)")
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: "DELETE FROM checkpoints WHERE entry_count > 4") }
        let report = try fixture.vault.auditLog.verify()
        #expect(report.problems.contains { $0.code == "checkpoint-missing" && $0.sequence == 5 }, "\(report.problems)")
    }
}
