import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// What `audit verify` found.
public struct AuditVerification: Sendable, Codable, Equatable {
    /// One problem, at an entry or a checkpoint.
    public struct Problem: Sendable, Codable, Equatable, CustomStringConvertible {
        /// `hash-mismatch`, `chain-broken`, `sequence-gap`, `bad-signature`, `checkpoint-mismatch`,
        /// `truncated`, `wrong-log`, `untrusted-key`, `checkpoint-missing` (the automatic checkpoints every 10,000 entries or daily are absent: deleted).
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

            try walkChain(report: &report, checkpoints: checkpoints, external: external)
            report.problems += try Self.missingCheckpoints(db, stored: checkpoints.values.sorted { $0.entryCount < $1.entryCount },
                                                           entries: report.entries)
            report.problems.sort { $0.sequence < $1.sequence }
            report.checkpointsVerified = checkpoints.count + (external == nil ? 0 : 1)
            let lastSigned = checkpoints.keys.max() ?? 0
            if report.entries > lastSigned {
                report.warnings.append("entries \(lastSigned + 1)-\(report.entries) come after the last signed checkpoint: run `buyerguard audit checkpoint`")
            }
        }
        return report
    }

    /// Entries more than this past where the log's own writer must have checkpointed (a batch of
    /// other processes' entries, a writer killed between its commit and its checkpoint) are allowed.
    static let checkpointSlack: Int64 = 1000

    /// Where checkpoints the log must have made are absent: the writer signs the log every
    /// ``checkpointInterval`` entries and on the first entry a day after its last checkpoint, so a
    /// long stretch with none, or a day-later entry with none soon after it, means checkpoints were
    /// deleted (which also hides a rewrite of what they signed).
    static func missingCheckpoints(_ db: Database, stored: [AuditCheckpoint], entries: Int64) throws -> [AuditVerification.Problem] {
        guard entries > 0, let firstTime = try Int64.fetchOne(db, sql: "SELECT time_ms FROM entries ORDER BY seq LIMIT 1") else { return [] }
        var problems: [AuditVerification.Problem] = []
        var previous = (count: Int64(0), time: firstTime)
        let dayLater = Int64(checkpointAge * 1000) + 3_600_000  // an hour of slack on the writer's day
        for next in stored.map(Optional.some) + [nil] {
            let end = min(next?.entryCount ?? entries, entries)
            if end - previous.count > 2 * checkpointInterval {
                problems.append(.init(
                    code: "checkpoint-missing", sequence: previous.count + 1,
                    message: "entries \(previous.count + 1)-\(end) (\(end - previous.count)) have no checkpoint, though the log signs itself every \(checkpointInterval) entries: checkpoints were deleted"))
            } else if let late = try Int64.fetchOne(
                db, sql: "SELECT seq FROM entries WHERE time_ms >= ? AND seq > ? ORDER BY time_ms LIMIT 1",
                arguments: [previous.time + dayLater, previous.count]), late <= end, end - late > checkpointSlack {
                problems.append(.init(
                    code: "checkpoint-missing", sequence: late,
                    message: "entry \(late) came more than a day after the checkpoint at entry \(previous.count), but no checkpoint follows it within \(checkpointSlack) entries: checkpoints were deleted"))
            }
            if let next { previous = (next.entryCount, next.timeMillis) }
        }
        return problems
    }

    /// Recomputes every entry's hash from the raw column bytes, in two halves on two threads.
    ///
    /// The second half starts from the previous-hash stored in its first entry; the halves are then
    /// joined by checking that the first half's last computed hash is exactly that stored value,
    /// so the whole chain is proven as if walked in one line.
    private func walkChain(report: inout AuditVerification, checkpoints: [Int64: AuditCheckpoint], external: AuditCheckpoint?) throws {
        var expectedCheckpoints = checkpoints
        if let external { expectedCheckpoints[external.entryCount] = external }
        let expected = expectedCheckpoints
        let bounds = try ChainSegment.bounds(of: url)
        let middle = bounds.count < 10_000 ? bounds.upperSequence + 1 : bounds.lowerSequence + Int64(bounds.count / 2)
        let ranges = [(Int64.min, middle - 1), (middle, bounds.upperSequence)]
        let results = Mutex<[Int: Result<ChainSegment, any Error>]>([:])
        let url = self.url
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = Result { try ChainSegment(url: url, range: ranges[index], first: index == 0, checkpoints: expected) }
            results.withLock { $0[index] = result }
        }
        let (first, second) = try results.withLock { (try $0[0]!.get(), try $0[1]!.get()) }
        report.entries = first.entries + second.entries
        report.problems += first.problems
        if second.entries > 0 {
            if first.problems.isEmpty, second.storedPreviousOfFirst != (first.entries > 0 ? first.lastHash : AuditHasher.genesis) {
                report.problems.append(.init(
                    code: "chain-broken", sequence: second.firstSequence,
                    message: "its previous-hash does not match entry \(second.firstSequence - 1): an entry before it was removed, reordered or altered"))
            }
            if first.entries > 0, second.firstSequence != first.lastSequence + 1, first.problems.isEmpty {
                report.problems.append(.init(code: "sequence-gap", sequence: first.lastSequence + 1,
                                             message: "entries \(first.lastSequence + 1)-\(second.firstSequence - 1) are missing"))
            }
            report.problems += second.problems
        }
        report.warnings += first.warnings + second.warnings
        report.headHash = (second.entries > 0 ? second.lastHash : first.entries > 0 ? first.lastHash : AuditHasher.genesis).hexString
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
        report.problems.sort { $0.sequence < $1.sequence }
    }
}

/// One stretch of the chain, walked through a connection of its own.
///
/// The connection is read-only and opened without SQLite's per-call mutex (`SQLITE_OPEN_NOMUTEX`;
/// it never leaves its thread): the loop makes some forty column calls per entry.
struct ChainSegment: Sendable {
    var entries: Int64 = 0
    var firstSequence: Int64 = 0
    var lastSequence: Int64 = 0
    var storedPreviousOfFirst: [UInt8] = []
    var lastHash: [UInt8] = AuditHasher.genesis
    var problems: [AuditVerification.Problem] = []
    var warnings: [String] = []

    /// The first and last sequence numbers and the row count.
    static func bounds(of url: URL) throws -> (lowerSequence: Int64, upperSequence: Int64, count: Int) {
        let connection = try open(url)
        defer { sqlite3_close_v2(connection) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(connection, "SELECT ifnull(min(seq), 1), ifnull(max(seq), 0), count(*) FROM entries", -1, &statement, nil) == SQLITE_OK,
              sqlite3_step(statement) == SQLITE_ROW else {
            sqlite3_finalize(statement)
            throw BuyerGuardError(.auditUnavailable, "cannot read the audit log", location: url.path)
        }
        defer { sqlite3_finalize(statement) }
        return (sqlite3_column_int64(statement, 0), sqlite3_column_int64(statement, 1), Int(sqlite3_column_int64(statement, 2)))
    }

    static func open(_ url: URL) throws -> OpaquePointer {
        var connection: OpaquePointer?
        guard sqlite3_open_v2(url.path, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let connection else {
            sqlite3_close_v2(connection)
            throw BuyerGuardError(.auditUnavailable, "cannot open the audit log for verification", location: url.path)
        }
        sqlite3_busy_timeout(connection, 10_000)
        return connection
    }

    /// A prepared statement on a connection from ``open(_:)``; the caller finalizes it.
    static func prepare(_ sql: String, on connection: OpaquePointer, _ url: URL) throws -> OpaquePointer {
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &prepared, nil) == SQLITE_OK, let statement = prepared else {
            throw BuyerGuardError(.auditUnavailable, "cannot read the audit log", location: url.path,
                                  underlying: String(cString: sqlite3_errmsg(connection)))
        }
        return statement
    }

    /// The columns `table` has.
    static func columnNames(of table: String, on connection: OpaquePointer, _ url: URL) throws -> Set<String> {
        let statement = try prepare("SELECT name FROM pragma_table_info('\(table)')", on: connection, url)
        defer { sqlite3_finalize(statement) }
        var names = Set<String>()
        while sqlite3_step(statement) == SQLITE_ROW {
            if let name = sqlite3_column_text(statement, 0) { names.insert(String(cString: name)) }
        }
        return names
    }

    init(url: URL, range: (Int64, Int64), first: Bool, checkpoints: [Int64: AuditCheckpoint]) throws {
        let connection = try Self.open(url)
        defer { sqlite3_close_v2(connection) }
        // An auditor's read-only copy of a log from before a column existed reads it as NULL.
        let present = try Self.columnNames(of: "entries", on: connection, url)
        let columns = (AuditColumns.hashed + ["prev_hash", "hash"]).map { present.contains($0) ? $0 : "NULL AS \($0)" }
            .joined(separator: ", ")
        let statement = try Self.prepare("SELECT \(columns) FROM entries WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq", on: connection, url)
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, range.0)
        sqlite3_bind_int64(statement, 2, range.1)

        let hasher = AuditHasher()
        defer { hasher.deallocate() }
        var previous = AuditHasher.genesis
        var computed = [UInt8](repeating: 0, count: 32)
        var expectedSequence: Int64 = first ? 1 : 0
        var lastTime = Int64.min
        let textColumns = Int32(2)..<Int32(2 + AuditColumns.text.count)
        let integerColumns = textColumns.upperBound..<(textColumns.upperBound + Int32(AuditColumns.integers.count))
        let detailsColumn = integerColumns.upperBound
        let optionalColumns = (detailsColumn + 1)..<(detailsColumn + 1 + Int32(AuditColumns.optionalTrailingText.count))
        let previousColumn = optionalColumns.upperBound
        let hashColumn = previousColumn + 1
        var clean = true
        var canonical: [UInt8] = []
        canonical.reserveCapacity(4096)

        func appendInteger(_ value: Int64) {
            withUnsafeBytes(of: value.bigEndian) { canonical.append(contentsOf: $0) }
        }
        func appendText(_ column: Int32) {
            // sqlite3_column_text is NULL exactly for SQL NULL here (out of memory would have failed the step).
            guard let text = sqlite3_column_text(statement, column) else {
                canonical.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
                return
            }
            let count = Int(sqlite3_column_bytes(statement, column))
            withUnsafeBytes(of: UInt32(count).bigEndian) { canonical.append(contentsOf: $0) }
            canonical.append(contentsOf: UnsafeRawBufferPointer(start: text, count: count))
        }
        func blob(_ column: Int32) -> UnsafeRawBufferPointer? {
            guard let pointer = sqlite3_column_blob(statement, column) else { return nil }
            return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column)))
        }

        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw BuyerGuardError(.auditUnavailable, "reading the log failed after entry \(lastSequence)", location: url.path,
                                      underlying: String(cString: sqlite3_errmsg(connection)))
            }
            let sequence = sqlite3_column_int64(statement, 0)
            let time = sqlite3_column_int64(statement, 1)
            let storedPrevious = blob(previousColumn)
            if entries == 0 {
                firstSequence = sequence
                storedPreviousOfFirst = storedPrevious.map { Array($0) } ?? []
                if !first {
                    previous = storedPreviousOfFirst.count == 32 ? storedPreviousOfFirst : AuditHasher.genesis
                    expectedSequence = sequence
                }
            }
            if clean, sequence != expectedSequence {
                problems.append(.init(
                    code: "sequence-gap", sequence: expectedSequence,
                    message: sequence > expectedSequence
                        ? "entries \(expectedSequence)-\(sequence - 1) are missing" : "entry \(sequence) is out of order"))
                clean = false
            }
            // Against the entry just before: one clock step back is one warning, however many follow it.
            if time < lastTime {
                warnings.append("entry \(sequence): time goes backwards (\(lastTime - time) ms)")
            }
            lastTime = time
            if clean, storedPrevious.map({ !$0.elementsEqual(previous) }) ?? true {
                problems.append(.init(code: "chain-broken", sequence: sequence,
                                      message: "its previous-hash does not match entry \(sequence - 1): an entry before it was removed, reordered or altered"))
                clean = false
            }
            // The canonical bytes, gathered into one buffer and hashed in one call.
            canonical.removeAll(keepingCapacity: true)
            appendInteger(sequence)
            appendInteger(time)
            for column in textColumns { appendText(column) }
            for column in integerColumns {
                if sqlite3_column_type(statement, column) == SQLITE_NULL {
                    canonical.append(0)
                } else {
                    canonical.append(1)
                    appendInteger(sqlite3_column_int64(statement, column))
                }
            }
            appendText(detailsColumn)
            for column in optionalColumns where sqlite3_column_type(statement, column) != SQLITE_NULL {
                canonical.append(UInt8(column - optionalColumns.lowerBound + 1))  // its position, as AuditHasher writes it
                appendText(column)
            }
            previous.withUnsafeBytes { hasher.begin(previous: $0) }
            canonical.withUnsafeBytes { hasher.update($0) }
            computed.withUnsafeMutableBytes { hasher.finish(into: $0) }
            if clean, blob(hashColumn).map({ !$0.elementsEqual(computed) }) ?? true {
                problems.append(.init(code: "hash-mismatch", sequence: sequence,
                                      message: "its content does not match its hash: the entry was altered"))
                clean = false
            }
            swap(&previous, &computed)
            if let checkpoint = checkpoints[sequence], checkpoint.headHash != previous.hexString {
                problems.append(.init(code: "checkpoint-mismatch", sequence: sequence,
                                      message: "a signed checkpoint at this entry records another head hash: the log was rewritten"))
            }
            entries += 1
            lastSequence = sequence
            expectedSequence = sequence + 1
        }
        lastHash = previous
    }
}
