import Foundation
import GRDB

/// The vault's record of which data key versions it holds (`meta.key_manifest`): the sorted list
/// of `role vN`, with a keyed BLAKE2b MAC under the master key's check key, rewritten in every
/// transaction that adds, retires or rewraps a key.
///
/// Opening the vault compares the `keys` table with it. A deleted key row is reported as damage
/// (``BuyerGuardError/Code/vaultTampered``); BuyerGuard never mints a replacement, which would
/// seal new data under a second "v1" that a restored key table could never open.
enum KeyManifest {
    static let name = "key_manifest"

    /// The keys in the table, as the manifest lists them.
    static func listing(_ db: Database) throws -> [String] {
        try Row.fetchAll(db, sql: "SELECT role, version FROM keys ORDER BY role, version").map { "\($0["role"] as String) v\($0["version"] as Int64)" }
    }

    static func mac(_ listing: [String], schedule: MasterKeySchedule, vaultID: [UInt8]) throws -> [UInt8] {
        try BLAKE2b.hash(Array("bg.key-manifest.v1|".utf8) + vaultID + Array(("|" + listing.joined(separator: ",")).utf8), key: schedule.checkKey)
    }

    /// Records the table as it is now, inside the transaction that changed it.
    static func record(_ db: Database, schedule: MasterKeySchedule, vaultID: [UInt8]) throws {
        let keys = try listing(db)
        let value = keys.joined(separator: ",") + "\n" + (try mac(keys, schedule: schedule, vaultID: vaultID)).hexString
        try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", arguments: [name, Data(value.utf8)])
    }

    /// Compares the table with the record. A vault from before the record gets one, if it holds a
    /// key of every role; otherwise, and for any difference, throws ``BuyerGuardError/Code/vaultTampered``.
    static func check(_ database: DatabaseFile, schedule: MasterKeySchedule, vaultID: [UInt8], strict: Bool) async throws {
        let location = database.url.path
        let hasTable = try await database.read { db in try db.tableExists("keys") }
        guard hasTable else {
            throw BuyerGuardError(.vaultTampered, "the vault's key table is gone: \(Vault.databaseFileName) was altered outside BuyerGuard. Restore it from a backup; nothing was changed",
                                  location: location)
        }
        let (keys, stored) = try await database.read { db in
            (try listing(db), try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name]).map { String(decoding: $0, as: UTF8.self) })
        }
        guard let stored else {
            guard !strict else {
                throw BuyerGuardError(.vaultTampered, "the vault's record of its keys is missing from \(Vault.databaseFileName): it was removed. Restore it from a backup; nothing was changed",
                                      location: location)
            }
            let missing = KeyRole.allCases.filter { role in !keys.contains { $0.hasPrefix(role.rawValue + " v") } }
            guard missing.isEmpty else {
                throw BuyerGuardError(
                    .vaultTampered,
                    "the vault has no \(missing.map { "\($0.rawValue) key" }.joined(separator: ", ")): key rows were deleted. Restore \(Vault.databaseFileName) from a backup; nothing was changed",
                    location: location)
            }
            try await database.write { db in try record(db, schedule: schedule, vaultID: vaultID) }
            return
        }
        let parts = stored.split(separator: "\n", omittingEmptySubsequences: false)
        let recorded = parts.first.map { $0.isEmpty ? [] : $0.split(separator: ",").map(String.init) } ?? []
        guard parts.count == 2, let expected = [UInt8](hexString: String(parts[1])),
              constantTimeEquals(expected, try mac(recorded, schedule: schedule, vaultID: vaultID)) else {
            throw BuyerGuardError(.vaultTampered, "the vault's record of its keys was altered (its MAC does not verify)", location: location)
        }
        let gone = recorded.filter { !keys.contains($0) }
        let added = keys.filter { !recorded.contains($0) }
        guard gone.isEmpty && added.isEmpty else {
            var what: [String] = []
            if !gone.isEmpty { what.append("\(gone.joined(separator: ", ")) \(gone.count == 1 ? "is" : "are") missing") }
            if !added.isEmpty { what.append("\(added.joined(separator: ", ")) \(added.count == 1 ? "was" : "were") added outside BuyerGuard") }
            throw BuyerGuardError(
                .vaultTampered,
                "the vault's key table does not match its record: \(what.joined(separator: "; ")). Restore \(Vault.databaseFileName) from a backup; nothing was changed",
                location: location)
        }
    }
}
