import BuyerGuardTesting
import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// Tampering with the log in any way is caught by `verify`, at the right entry.
@Suite struct AuditLogTests {
    /// A log with `count` entries (accesses and events) and a checkpoint at the end.
    static func log(entries count: Int) async throws -> (BrokerFixture, AuditCheckpoint) {
        let fixture = try await BrokerFixture.make()
        for index in 0..<count {
            let purpose: Purpose = index % 3 == 0 ? .prohibited(.export) : .shipping
            _ = try await fixture.attempt(fixture.request(purpose, actor: "actor-\(index % 4)"))
        }
        let checkpoint = try await fixture.vault.auditLog.checkpoint()
        #expect(try fixture.vault.auditLog.verify().isIntact)
        return (fixture, checkpoint)
    }

    func tamper(_ fixture: BrokerFixture, _ sql: String, _ arguments: StatementArguments = []) async throws {
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    @Test func intactLogVerifies() async throws {
        let (fixture, checkpoint) = try await Self.log(entries: 30)
        let report = try fixture.vault.auditLog.verify(checkpoint: checkpoint)
        #expect(report.isIntact)
        #expect(report.entries == 33)  // the vault's creation, its orders stored (started, done), and 30 requests
        #expect(report.headHash == checkpoint.headHash)
        #expect(report.checkpointsVerified == 3)  // at creation, the test's, the exported one
        #expect(try fixture.entries().first?.kind == "vault-created")
    }

    @Test(arguments: ["actor", "purpose", "decision", "reason", "fields_asked", "order_id", "buyer", "time_ms", "days_since_purchase",
                      "explanation"])
    func editingAnyColumnIsDetectedAtThatEntry(column: String) async throws {
        let (fixture, _) = try await Self.log(entries: 30)
        let value: any DatabaseValueConvertible = column == "time_ms" || column == "days_since_purchase" ? 12345 : "granted-by-me"
        try await tamper(fixture, "UPDATE entries SET \(column) = ? WHERE seq = 17", [value])
        let report = try fixture.vault.auditLog.verify()
        #expect(!report.isIntact)
        #expect(report.problems.first?.sequence == 17)
        #expect(report.problems.first?.code == "hash-mismatch")
    }

    /// The optional columns are hashed with their position: a value moved from one to another
    /// (the explanation passed off as an identity) changes the hash.
    @Test func movingAValueBetweenOptionalColumnsIsDetected() async throws {
        let (fixture, _) = try await Self.log(entries: 30)
        let entry = try #require(try fixture.entries().first { $0.sequence == 17 })
        #expect(entry.explanation == "awaiting-shipment" && entry.identity == nil)
        try await tamper(fixture, "UPDATE entries SET identity = explanation, explanation = NULL WHERE seq = 17")
        let report = try fixture.vault.auditLog.verify()
        #expect(report.problems.first?.sequence == 17 && report.problems.first?.code == "hash-mismatch")
    }

    @Test func deletingAnEntryIsDetected() async throws {
        let (fixture, _) = try await Self.log(entries: 30)
        try await tamper(fixture, "DELETE FROM entries WHERE seq = 12")
        let report = try fixture.vault.auditLog.verify()
        #expect(report.problems.first?.code == "sequence-gap")
        #expect(report.problems.first?.sequence == 12)
    }

    @Test func renumberingAfterADeletionIsStillDetected() async throws {
        let (fixture, _) = try await Self.log(entries: 30)
        try await tamper(fixture, "DELETE FROM entries WHERE seq = 12")
        try await tamper(fixture, "UPDATE entries SET seq = seq - 1 WHERE seq > 12")
        let report = try fixture.vault.auditLog.verify()
        #expect(!report.isIntact)
        #expect(report.problems.first?.sequence == 12)
    }

    @Test func reorderingEntriesIsDetected() async throws {
        let (fixture, _) = try await Self.log(entries: 30)
        // Swap the contents of entries 8 and 9, keeping their sequence numbers.
        try await tamper(fixture, "UPDATE entries SET seq = -8 WHERE seq = 8")
        try await tamper(fixture, "UPDATE entries SET seq = 8 WHERE seq = 9")
        try await tamper(fixture, "UPDATE entries SET seq = 9 WHERE seq = -8")
        let report = try fixture.vault.auditLog.verify()
        #expect(!report.isIntact)
        #expect(report.problems.first?.sequence == 8)
    }

    @Test func truncationIsDetectedByTheStoredAndTheExportedCheckpoint() async throws {
        let (fixture, checkpoint) = try await Self.log(entries: 30)
        try await tamper(fixture, "DELETE FROM entries WHERE seq > 25")
        let report = try fixture.vault.auditLog.verify(checkpoint: checkpoint)
        #expect(report.problems.contains { $0.code == "truncated" })
        // An attacker who also deletes the stored checkpoints is still caught by the exported one.
        try await tamper(fixture, "DELETE FROM checkpoints")
        let again = try fixture.vault.auditLog.verify(checkpoint: checkpoint)
        #expect(again.problems.map(\.code) == ["truncated"])
        #expect(try fixture.vault.auditLog.verify().isIntact)  // without it, a cut tail cannot be told apart
    }

    /// Rewriting entries and recomputing every hash defeats the chain, not the signatures.
    @Test func recomputedChainIsCaughtByTheSignedCheckpoint() async throws {
        let (fixture, checkpoint) = try await Self.log(entries: 20)
        try await fixture.vault.auditLog.database.write { db in
            // Entry 7 is a denied export; turn it into a granted one.
            try db.execute(sql: "UPDATE entries SET decision = 'granted', reason = NULL WHERE seq = 7 AND decision = 'denied'")
            #expect(db.changesCount == 1)
            // Recompute the chain from entry 7 on, as an attacker without the signing key would.
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM entries WHERE seq >= 7 ORDER BY seq")
            var previous = [UInt8](try Data.fetchOne(db, sql: "SELECT hash FROM entries WHERE seq = 6")!)
            let hasher = AuditHasher()
            defer { hasher.deallocate() }
            for row in rows {
                previous.withUnsafeBytes { hasher.begin(previous: $0) }
                hasher.integer(row["seq"])
                hasher.integer(row["time_ms"])
                for column in AuditColumns.text { hasher.text(row[column] as String?) }
                for column in AuditColumns.integers { hasher.optionalInteger(row[column] as Int64?) }
                hasher.text(row["details"] as String?)
                for (position, column) in AuditColumns.optionalTrailingText.enumerated() {
                    if let value = row[column] as String? { hasher.optionalTrailingText(value, position: position) }
                }
                let hash = hasher.finish()
                try db.execute(sql: "UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [Data(previous), Data(hash), row["seq"] as Int64])
                previous = hash
            }
        }
        let report = try fixture.vault.auditLog.verify(checkpoint: checkpoint)
        #expect(report.problems.contains { $0.code == "checkpoint-mismatch" && $0.sequence == 23 })
        #expect(!report.problems.contains { $0.code == "hash-mismatch" })  // the chain itself was made consistent
    }

    @Test func forgedCheckpointSignatureIsDetected() async throws {
        let (fixture, _) = try await Self.log(entries: 10)
        try await tamper(fixture, "UPDATE checkpoints SET time_ms = time_ms + 1")
        #expect(try fixture.vault.auditLog.verify().problems.first?.code == "bad-signature")
    }

    @Test func checkpointSignedByAnotherKeyIsUntrusted() async throws {
        let (fixture, _) = try await Self.log(entries: 10)
        let (other, _) = try await Self.log(entries: 10)
        let otherKey = try #require(other.vault.auditLog.signingPublicKey)
        let report = try fixture.vault.auditLog.verify(trustedPublicKey: otherKey)
        #expect(report.problems.first?.code == "untrusted-key")
    }

    @Test func checkpointFileRoundTripsAndVerifiesAlone() async throws {
        let (fixture, checkpoint) = try await Self.log(entries: 5)
        let url = fixture.temporary.folder.appendingPathComponent("cp.json")
        try checkpoint.jsonData().write(to: url)
        let read = try AuditCheckpoint(contentsOf: url)
        #expect(read == checkpoint)
        #expect(read.hasValidSignature())
        // An auditor's copy of the log, opened without the vault or any key.
        let copy = try AuditLog.openForReading(at: fixture.vault.auditLog.url)
        let report = try copy.verify(checkpoint: read)
        #expect(report.isIntact)
        #expect(report.entries == 8)  // the vault's creation, its orders stored (started, done), and 5 accesses
    }

    @Test func eventsAreLoggedWithoutPII() async throws {
        let fixture = try await BrokerFixture.make()
        let report = fixture.temporary.folder.appendingPathComponent("r.txt")
        try Data(ReportFixtures.orderReport(ReportFixtures.threeOrders).utf8).write(to: report)
        _ = try await fixture.vault.importOrders(from: report)
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: "GLS", trackingNumber: "GLS123"), for: BrokerFixture.orderA, actor: "warehouse")
        let entries = try fixture.entries()
        #expect(entries.contains { $0.kind == "import" && $0.decision == .event && ($0.details ?? "").contains("\"orders-new\":\"3\"") })
        #expect(entries.contains { $0.kind == "order-shipped" && ($0.details ?? "").contains("GLS123") })
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }
}

/// Large logs are verified in two halves on two threads; tampering anywhere, including at the
/// seam between the halves, is still found at the right entry.
@Suite struct AuditLogSegmentTests {
    static func bigLog() async throws -> BrokerFixture {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.auditLog.appendSyntheticEntries(20_000, batch: 5000)
        let report = try fixture.vault.auditLog.verify()
        #expect(report.isIntact && report.entries == 20_003)  // and the vault's creation and orders stored (started, done)
        return fixture
    }

    @Test(arguments: [
        ("DELETE FROM entries WHERE seq = 10001", Int64(10001)),
        ("DELETE FROM entries WHERE seq = 10000", Int64(10000)),
        ("UPDATE entries SET actor = 'x' WHERE seq = 3", Int64(3)),
        ("UPDATE entries SET actor = 'x' WHERE seq = 17000", Int64(17000)),
        ("UPDATE entries SET prev_hash = zeroblob(32) WHERE seq = 10001", Int64(10001)),
        ("DELETE FROM entries WHERE seq BETWEEN 9990 AND 10010", Int64(9990)),
    ])
    func tamperingIsFoundInEitherHalf(sql: String, sequence: Int64) async throws {
        let fixture = try await Self.bigLog()
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: sql) }
        let report = try fixture.vault.auditLog.verify()
        #expect(!report.isIntact)
        #expect(report.problems.first?.sequence == sequence, "\(report.problems)")
    }

    @Test func headHashMatchesTheLastEntry() async throws {
        let fixture = try await Self.bigLog()
        let head = try await fixture.vault.auditLog.database.read { db in try Data.fetchOne(db, sql: "SELECT hash FROM entries ORDER BY seq DESC LIMIT 1") }
        #expect(try fixture.vault.auditLog.verify().headHash == [UInt8](try #require(head)).hexString)
        let checkpoint = try await fixture.vault.auditLog.checkpoint()
        #expect(checkpoint.entryCount == 20_003)
        #expect(try fixture.vault.auditLog.verify(checkpoint: checkpoint).isIntact)
    }
}
