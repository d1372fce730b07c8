import Foundation
import GRDB

/// The vault's own record of its audit log: the log's id, and a high-water mark (the newest
/// checkpoint the log signed, kept in `vault.sqlite`'s meta table at every checkpoint).
///
/// Opening a vault checks its log against both, so a log that was deleted, emptied, swapped for
/// another vault's, cut back below the mark, or rewritten before it is refused (``BuyerGuardError/Code/auditTampered``)
/// instead of being silently replaced by a fresh, empty one. The mark is a checkpoint (signed with
/// the log's key) plus a MAC under the master key's check key: a checkpoint copied from the log's
/// own table, however valid its signature, is not a mark, so lowering the mark needs the master
/// key. (Restoring an older `vault.sqlite` with its older mark is not caught: an exported
/// checkpoint kept elsewhere is the defence there.)
enum AuditLogMark {
    static let logIDName = "audit_log_id"
    static let markName = "audit_mark"

    /// The stored form: the checkpoint and the vault's MAC over it.
    struct Stored: Codable {
        var checkpoint: AuditCheckpoint
        var mac: String
    }

    static func mac(_ checkpoint: AuditCheckpoint, schedule: MasterKeySchedule, vaultID: [UInt8]) throws -> String {
        let message = AuditCheckpoint.signedMessage(
            logID: checkpoint.logID, entryCount: checkpoint.entryCount, headHash: [UInt8](hexString: checkpoint.headHash) ?? [],
            timeMillis: checkpoint.timeMillis)
        return try schedule.recordMAC("audit-mark", vaultID: vaultID, message).hexString
    }

    /// The mark as stored, if any (its MAC is checked by ``check(_:against:schedule:vaultID:strict:)``).
    static func stored(_ db: Database) throws -> (logID: String?, mark: AuditCheckpoint?) {
        let (id, record) = try storedRecord(db)
        return (id, record?.checkpoint)
    }

    static func storedRecord(_ db: Database) throws -> (logID: String?, record: Stored?) {
        let id = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [logIDName]).map { String(decoding: $0, as: UTF8.self) }
        guard let data = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [markName]) else { return (id, nil) }
        guard let record = try? JSONDecoder().decode(Stored.self, from: data) else {
            throw BuyerGuardError(.auditTampered, "the vault's record of its audit log was altered (it is no longer readable)",
                                  location: Vault.databaseFileName)
        }
        return (id, record)
    }

    /// Recomputes the mark's MAC under a new master key, in the rewrap's transaction.
    static func remac(_ db: Database, schedule: MasterKeySchedule, vaultID: [UInt8]) throws {
        guard var record = try storedRecord(db).record else { return }
        record.mac = try mac(record.checkpoint, schedule: schedule, vaultID: vaultID)
        try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", arguments: [markName, try JSONEncoder().encode(record)])
    }

    /// Records `logID` as the vault's log (at creation, or when a vault from before marks adopts its log).
    static func recordLogID(_ logID: String, in database: DatabaseFile) throws {
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", arguments: [logIDName, Data(logID.utf8)])
        }
    }

    /// Raises the mark to `checkpoint` (never lowers it: checkpoints from several processes may arrive out of order).
    static func raise(to checkpoint: AuditCheckpoint, in database: DatabaseFile, schedule: MasterKeySchedule, vaultID: [UInt8]) async throws {
        let data = try JSONEncoder().encode(Stored(checkpoint: checkpoint, mac: try mac(checkpoint, schedule: schedule, vaultID: vaultID)))
        try await database.write { db in
            let current = try stored(db).mark
            if let current, current.entryCount >= checkpoint.entryCount { return }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", arguments: [markName, data])
        }
    }

    /// Checks `log` against the vault's record; throws ``BuyerGuardError/Code/auditTampered`` naming what is wrong.
    /// Returns whether the vault had no record yet (a vault made before marks: the caller adopts the log).
    static func check(_ log: AuditLog, against database: DatabaseFile, schedule: MasterKeySchedule, vaultID: [UInt8], strict: Bool) throws -> Bool {
        let (logID, record) = try database.read { db in try storedRecord(db) }
        let path = log.url.path
        guard let logID else {
            guard !strict else {
                throw BuyerGuardError(.auditTampered, "the vault's record of its audit log is missing from \(Vault.databaseFileName): it was removed. Restore it from a backup",
                                      location: database.url.path)
            }
            return true
        }
        guard logID == log.logID else {
            throw BuyerGuardError(
                .auditTampered,
                "\(AuditLog.fileName) is another log (id \(log.logID)) than this vault's (id \(logID)): it was replaced. Restore this vault's own log from a backup",
                location: path)
        }
        guard let record else {
            throw BuyerGuardError(.auditTampered, "the vault's record of its audit log's length is missing from \(Vault.databaseFileName): it was removed",
                                  location: database.url.path)
        }
        let mark = record.checkpoint
        guard mark.logID == logID, mark.hasValidSignature(publicKey: log.signingPublicKey),
              let expected = [UInt8](hexString: record.mac),
              constantTimeEquals(expected, [UInt8](hexString: try mac(mark, schedule: schedule, vaultID: vaultID)) ?? []) else {
            throw BuyerGuardError(.auditTampered, "the vault's record of its audit log was altered (its signature does not verify)",
                                  location: database.url.path)
        }
        let head = try log.headSequence()
        guard head >= mark.entryCount else {
            throw BuyerGuardError(
                .auditTampered,
                "the audit log has \(head) entries but the vault saw it reach \(mark.entryCount): it was cut short or replaced by an older copy",
                location: path)
        }
        if mark.entryCount > 0, try log.entryHash(at: mark.entryCount) != mark.headHash {
            throw BuyerGuardError(
                .auditTampered,
                "entry \(mark.entryCount) of the audit log is not the one the vault saw there: the log was rewritten",
                location: path)
        }
        return false
    }
}
