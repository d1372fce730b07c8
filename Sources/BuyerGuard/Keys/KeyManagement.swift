public import Foundation
import GRDB

/// One data key version as `keys status` shows it.
public struct KeyVersionStatus: Sendable, Codable, Equatable {
    /// `field`, `blind-index`, `audit-pseudonym` or `audit-signing`.
    public var role: String
    /// The version number.
    public var version: Int
    /// Whether new data is written with it.
    public var isPrimary: Bool
    /// When it was made.
    public var createdAt: Date
    /// Whole days since it was made.
    public var ageDays: Int
    /// How many stored values still use it: sealed fields for `field` keys, index entries for
    /// `blind-index` keys; `nil` for keys that protect no stored values.
    public var valuesUsingIt: Int?
    /// Whether it is older than the cryptoperiod (time to rotate).
    public var pastCryptoperiod: Bool
}

extension Vault {
    /// Every data key version with its age and how many stored values still use it.
    /// - Parameter cryptoperiod: how long a key may serve before it should be rotated (default 365 days).
    public func keyStatus(cryptoperiod: TimeInterval = 365 * 86_400) async throws -> [KeyVersionStatus] {
        let now = clock.now
        return try await database.read { db in
            // Field ciphertexts carry their key version in bytes 1-4 of the header.
            var fieldCounts: [Int: Int] = [:]
            let sealed = ContactField.orderLevel.map { ("orders", $0.column) } + ContactField.buyerLevel.map { ("buyers", $0.column) }
            let union = sealed.map { table, column in
                "SELECT substr(\(column), 2, 4) AS v FROM \(table) WHERE \(column) IS NOT NULL"
            }.joined(separator: " UNION ALL ")
            for row in try Row.fetchAll(db, sql: "SELECT v, count(*) AS n FROM (\(union)) GROUP BY v") {
                let bytes = [UInt8](row["v"] as Data? ?? Data())
                let version = bytes.reduce(0) { $0 << 8 | Int($1) }
                fieldCounts[version] = row["n"]
            }
            var indexCounts: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT email_index_version AS v, count(*) AS n FROM buyers WHERE email_index IS NOT NULL GROUP BY v") {
                indexCounts[row["v"]] = row["n"]
            }
            return try Row.fetchAll(db, sql: "SELECT role, version, is_primary, created_at FROM keys WHERE retired_at IS NULL ORDER BY role, version")
                .map { row in
                    let role: String = row["role"]
                    let version = Int(row["version"] as Int64)
                    let created = Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64))
                    let age = now.timeIntervalSince(created)
                    let values: Int? = switch KeyRole(rawValue: role) {
                    case .field: fieldCounts[version] ?? 0
                    case .blindIndex: indexCounts[version] ?? 0
                    default: nil
                    }
                    return KeyVersionStatus(
                        role: role, version: version, isPrimary: row["is_primary"], createdAt: created,
                        ageDays: Int(age / 86_400), valuesUsingIt: values, pastCryptoperiod: age > cryptoperiod)
                }
        }
    }

    /// Re-wraps every data key under `newKey` and replaces the key-check value, in one transaction:
    /// afterwards only `newKey` opens the vault; if anything fails (or the process dies), the old
    /// master key still does. No buyer data is touched. Logged as a `master-key-rewrapped` event.
    public func rewrap(to newKey: MasterKey, actor: String) async throws {
        let vaultID = vaultIDBytes
        let schedule = try MasterKeySchedule(newKey)
        let ring = keyRing
        let check = try schedule.keyCheckValue(vaultID: vaultID)
        try await journaled(.masterKeyRewrapped, actor: actor, channel: .rotation) {
            let rewrapped: Int = try await database.write { db in
                var count = 0
                for role in KeyRole.allCases {
                    for version in ring.versions(role) {
                        let key = try ring.key(role, version: version)
                        try db.execute(sql: "UPDATE keys SET wrapped = ? WHERE role = ? AND version = ?",
                                       arguments: [try schedule.wrap(key, vaultID: vaultID), role.rawValue, Int64(version)])
                        count += db.changesCount
                    }
                }
                try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'master_key_check'", arguments: [Data(check)])
                guard db.changesCount == 1 else {
                    throw BuyerGuardError(.unsupportedFormat, "the vault has no key-check value to replace")
                }
                try KeyManifest.record(db, schedule: schedule, vaultID: vaultID)
                try AuditLogMark.remac(db, schedule: schedule, vaultID: vaultID)
                try Vault.bumpKeysGeneration(db)
                return count
            }
            replaceSchedule(schedule)
            return ((), ["data-keys": "\(rewrapped)"])
        }
        await checkpointAfterJob()  // the old wrappings leave the WAL too
    }
}
