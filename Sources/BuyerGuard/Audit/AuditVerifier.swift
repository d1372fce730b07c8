import Foundation
import GRDB
import GRDBSQLite

/// What `audit verify` found.
public struct AuditVerification: Sendable, Codable, Equatable {
    /// One problem, at an entry or a checkpoint.
    public struct Problem: Sendable, Codable, Equatable, CustomStringConvertible {
        /// `hash-mismatch`, `chain-broken`, `sequence-gap`, `bad-signature`, `checkpoint-mismatch`,
        /// `truncated`, `wrong-log`, `untrusted-key`.
        public var code: String
        /// The entry (or checkpoint entry count) where it was found.
        public var sequence: Int64
        /// A sentence for people.
        public var message: String

        public var description: String { "entry \(sequence): \(message) [\(code)]" }
    }

    /// Entries read.
    public var entries: Int64 = 0
    /// The last entry's hash (hex).
    public var headHash: String = AuditHasher.genesis.hexString
    /// Checkpoints checked (stored in the log, plus the one given, if any).
    public var checkpointsVerified = 0
    /// Integrity failures: any one means the log was altered.
    public var problems: [Problem] = []
    /// Things worth a look that do not prove tampering (a clock going backwards, an unsigned tail).
    public var warnings: [String] = []

    /// Whether the log verified.
    public var isIntact: Bool { problems.isEmpty }
}

extension AuditLog {
    /// Verifies the whole chain and every checkpoint signature, and reports the first bad entry
    /// precisely.
    ///
    /// - Parameters:
    ///   - trustedPublicKey: the key checkpoints must be signed with (hex). Pass the vault's key
    ///     (``signingPublicKey``) or the one from a checkpoint file kept elsewhere; without one, the
    ///     key stored in the log itself is used and a warning says so.
    ///   - checkpoint: an exported checkpoint the log must still contain (catches truncation and
    ///     rewriting after the checkpoint was taken).
    public func verify(trustedPublicKey: String? = nil, checkpoint external: AuditCheckpoint? = nil) throws -> AuditVerification {
        var report = AuditVerification()
        let key = trustedPublicKey ?? external?.publicKey ?? signer?.publicKey.hexString
        try database.read { db in
            let stored = try Row.fetchAll(db, sql: "SELECT entry_count, head_hash, time_ms, public_key, signature FROM checkpoints ORDER BY entry_count")
            var checkpoints: [Int64: AuditCheckpoint] = [:]
            for row in stored {
                let checkpoint = AuditCheckpoint(
                    logID: logID, entryCount: row["entry_count"], headHash: [UInt8](row["head_hash"] as Data).hexString,
                    timeMillis: row["time_ms"], publicKey: [UInt8](row["public_key"] as Data).hexString,
                    signature: [UInt8](row["signature"] as Data).hexString)
                checkpoints[checkpoint.entryCount] = checkpoint
            }
            var keyInUse = key
            if keyInUse == nil {
                keyInUse = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'public_key'").map { [UInt8]($0).hexString }
                report.warnings.append("no trusted public key given: checkpoint signatures were checked against the key stored in the log itself")
            }
            if let external {
                if external.logID != logID {
                    report.problems.append(.init(code: "wrong-log", sequence: 0, message: "the checkpoint file belongs to another log (\(external.logID))"))
                }
            }

            for checkpoint in checkpoints.values.sorted(by: { $0.entryCount < $1.entryCount }) {
                if let keyInUse, checkpoint.publicKey != keyInUse {
                    report.problems.append(.init(code: "untrusted-key", sequence: checkpoint.entryCount,
                                                 message: "checkpoint signed by a key other than the trusted one"))
                } else if !checkpoint.hasValidSignature() {
                    report.problems.append(.init(code: "bad-signature", sequence: checkpoint.entryCount, message: "checkpoint signature is invalid"))
                }
            }
            if let external, !external.hasValidSignature(publicKey: keyInUse) {
                report.problems.append(.init(code: "bad-signature", sequence: external.entryCount, message: "the checkpoint file's signature is invalid"))
            }

            try walkChain(db, report: &report, checkpoints: checkpoints, external: external)
            report.checkpointsVerified = checkpoints.count + (external == nil ? 0 : 1)
            let lastSigned = checkpoints.keys.max() ?? 0
            if report.entries > lastSigned {
                report.warnings.append("entries \(lastSigned + 1)-\(report.entries) come after the last signed checkpoint: run `buyerguard audit checkpoint`")
            }
        }
        return report
    }

    /// One pass over every entry, recomputing each hash from the raw column bytes.
    private func walkChain(_ db: Database, report: inout AuditVerification, checkpoints: [Int64: AuditCheckpoint], external: AuditCheckpoint?) throws {
        let columns = (AuditColumns.hashed + ["prev_hash", "hash"]).joined(separator: ", ")
        let prepared = try db.makeStatement(sql: "SELECT \(columns) FROM entries ORDER BY seq")
        defer { withExtendedLifetime(prepared) {} }  // the C statement lives as long as the Statement
        let statement = prepared.sqliteStatement
        let hasher = AuditHasher()
        defer { hasher.deallocate() }
        var previous = AuditHasher.genesis
        var computed = [UInt8](repeating: 0, count: 32)
        var expectedSequence: Int64 = 1
        var lastTime = Int64.min
        let textColumns = Int32(2)..<Int32(2 + AuditColumns.text.count)
        let integerColumns = textColumns.upperBound..<(textColumns.upperBound + Int32(AuditColumns.integers.count))
        let detailsColumn = integerColumns.upperBound
        let previousColumn = detailsColumn + 1
        let hashColumn = previousColumn + 1
        var firstProblem = true

        func bytes(_ column: Int32) -> UnsafeRawBufferPointer? {
            let type = sqlite3_column_type(statement, column)
            if type == SQLITE_NULL { return nil }
            let pointer = type == SQLITE_BLOB ? sqlite3_column_blob(statement, column) : UnsafeRawPointer(sqlite3_column_text(statement, column))
            let count = Int(sqlite3_column_bytes(statement, column))
            return UnsafeRawBufferPointer(start: count == 0 ? UnsafeRawPointer(bitPattern: 1) : pointer, count: count)
        }

        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw BuyerGuardError(.auditUnavailable, "reading the log failed at entry \(expectedSequence)", location: url.path,
                                      underlying: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
            }
            let sequence = sqlite3_column_int64(statement, 0)
            let time = sqlite3_column_int64(statement, 1)
            if sequence != expectedSequence && firstProblem {
                report.problems.append(.init(
                    code: "sequence-gap", sequence: expectedSequence,
                    message: sequence > expectedSequence
                        ? "entries \(expectedSequence)-\(sequence - 1) are missing" : "entry \(sequence) is out of order"))
                firstProblem = false
            }
            if time < lastTime {
                report.warnings.append("entry \(sequence): time goes backwards (\(lastTime - time) ms)")
            }
            lastTime = max(lastTime, time)

            let storedPrevious = bytes(previousColumn)
            if firstProblem, storedPrevious.map({ !$0.elementsEqual(previous) }) ?? true {
                report.problems.append(.init(code: "chain-broken", sequence: sequence,
                                             message: "its previous-hash does not match entry \(sequence - 1): an entry before it was removed, reordered or altered"))
                firstProblem = false
            }
            previous.withUnsafeBytes { hasher.begin(previous: $0) }
            hasher.integer(sequence)
            hasher.integer(time)
            for column in textColumns { hasher.text(bytes(column)) }
            for column in integerColumns {
                hasher.optionalInteger(sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column))
            }
            hasher.text(bytes(detailsColumn))
            computed.withUnsafeMutableBytes { hasher.finish(into: $0) }
            if firstProblem, bytes(hashColumn).map({ !$0.elementsEqual(computed) }) ?? true {
                report.problems.append(.init(code: "hash-mismatch", sequence: sequence,
                                             message: "its content does not match its hash: the entry was altered"))
                firstProblem = false
            }
            swap(&previous, &computed)
            if let checkpoint = checkpoints[sequence], checkpoint.headHash != previous.hexString {
                report.problems.append(.init(code: "checkpoint-mismatch", sequence: sequence,
                                             message: "the signed checkpoint at this entry records another head hash: the log was rewritten"))
            }
            if let external, external.entryCount == sequence, external.headHash != previous.hexString {
                report.problems.append(.init(code: "checkpoint-mismatch", sequence: sequence,
                                             message: "the checkpoint file records another head hash at this entry: the log was rewritten"))
            }
            report.entries += 1
            expectedSequence = sequence + 1
        }
        sqlite3_reset(statement)
        report.headHash = previous.hexString
        let count = report.entries
        for checkpoint in checkpoints.values where checkpoint.entryCount > count {
            report.problems.append(.init(code: "truncated", sequence: checkpoint.entryCount,
                                         message: "a signed checkpoint records \(checkpoint.entryCount) entries but the log has \(count): it was cut short"))
        }
        if let external, external.entryCount > count {
            report.problems.append(.init(code: "truncated", sequence: external.entryCount,
                                         message: "the checkpoint file records \(external.entryCount) entries but the log has \(count): it was cut short"))
        }
        if let external, external.entryCount == 0, external.headHash != AuditHasher.genesis.hexString {
            report.problems.append(.init(code: "checkpoint-mismatch", sequence: 0, message: "the checkpoint file's head hash is not that of an empty log"))
        }
    }
}
