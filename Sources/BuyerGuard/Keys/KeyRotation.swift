import Foundation
import GRDB

/// The data keys that can be rotated.
public enum RotatableKey: String, Sendable, CaseIterable, Codable {
    /// The key that seals contact fields: every sealed value is re-encrypted.
    case field
    /// The blind-index key: every buyer's email index (and change digest) is recomputed.
    case blindIndex = "blind-index"

    var role: KeyRole { self == .field ? .field : .blindIndex }
}

/// Where a rotation is.
public struct RotationProgress: Sendable {
    /// Rows (orders, then buyers) processed in this pass.
    public var rowsDone: Int
    /// Rows to process in this pass.
    public var rowsTotal: Int
}

/// What a rotation did.
public struct RotationSummary: Sendable, Codable, Equatable {
    /// The new primary version of each rotated key.
    public var newVersions: [String: Int] = [:]
    /// Sealed values re-encrypted under the new field key.
    public var valuesResealed = 0
    /// Email index entries recomputed under the new blind-index key.
    public var indexEntriesRebuilt = 0
    /// Passes over the data (more than one when other processes wrote with the old key meanwhile).
    public var passes = 0
}

private struct RotationState: Codable, Sendable {
    var keys: [RotatableKey]
    var ordersCursor: Int64 = 0
    var buyersCursor: Int64 = 0
    var summary = RotationSummary()
}

extension Vault {
    /// Whether a rotation was started and not finished (a killed one resumes with ``continueRotation(actor:batchSize:pause:progress:)``).
    public func rotationInProgress() async throws -> Bool {
        try await database.read { db in try Self.rotationState(db) != nil }
    }

    /// Makes a new version of each key primary, at once: new writes use it from the next batch on,
    /// in this and (after their next key check) other processes. Then re-encrypts the existing data
    /// in batches, in the background of normal use, saving its progress with each batch, so a
    /// killed rotation resumes where it stopped. The broker keeps serving from old and new versions.
    @discardableResult
    public func rotateKeys(
        _ keys: Set<RotatableKey> = [.field, .blindIndex], actor: String, batchSize: Int = 2000, pause: Duration = .zero,
        progress: @Sendable (RotationProgress) -> Void = { _ in }
    ) async throws -> RotationSummary {
        guard !keys.isEmpty else { throw BuyerGuardError(.invalidArgument, "name at least one key to rotate") }
        if try await rotationInProgress() {
            throw BuyerGuardError(.invalidArgument, "a rotation is already in progress: resume it (keys rotate --resume)")
        }
        let now = Int64(clock.now.timeIntervalSince1970)
        let vaultID = vaultIDBytes
        let schedule = self.schedule
        let ordered = RotatableKey.allCases.filter(keys.contains)
        try await journaled(.keyRotationStarted, actor: actor, channel: .rotation, intentDetails: ["keys": ordered.map(\.rawValue).joined(separator: ",")]) {
            let versions: [String: Int] = try await database.write { db in
            var versions: [String: Int] = [:]
            for key in ordered {
                let next = (try Int64.fetchOne(db, sql: "SELECT max(version) FROM keys WHERE role = ?", arguments: [key.role.rawValue]) ?? 0) + 1
                let fresh = DataKey(role: key.role, version: UInt32(next), secret: SecureBytes(randomCount: 32))
                try db.execute(sql: "UPDATE keys SET is_primary = 0 WHERE role = ?", arguments: [key.role.rawValue])
                try db.execute(sql: "INSERT INTO keys (role, version, wrapped, is_primary, created_at) VALUES (?, ?, ?, 1, ?)",
                               arguments: [key.role.rawValue, next, try schedule.wrap(fresh, vaultID: vaultID), now])
                versions[key.rawValue] = Int(next)
            }
            var state = RotationState(keys: ordered)
            state.summary.newVersions = versions
            try Self.saveRotationState(state, db)
            try KeyManifest.record(db, schedule: schedule, vaultID: vaultID)
            try Vault.bumpKeysGeneration(db)
            return versions
        }
            try reloadKeys()
            return ((), versions.mapValues { "v\($0)" })
        }
        return try await continueRotation(actor: actor, batchSize: batchSize, pause: pause, progress: progress)
    }

    /// Continues (or resumes) the rotation in progress until every value uses the new primaries.
    @discardableResult
    public func continueRotation(
        actor: String, batchSize: Int = 2000, pause: Duration = .zero, progress: @Sendable (RotationProgress) -> Void = { _ in }
    ) async throws -> RotationSummary {
        try reloadKeys()
        guard let state = try await database.read({ db in try Self.rotationState(db) }) else {
            throw BuyerGuardError(.invalidArgument, "no rotation in progress")
        }
        let started = state
        let finished = try await journaled(.keyRotationFinished, actor: actor, channel: .rotation) {
            var state = started
            let rotateField = state.keys.contains(.field)
            let rotateIndex = state.keys.contains(.blindIndex)
            var longestHold = Duration.zero
            while true {
                state.summary.passes += 1
                let total = try await database.read { db in
                    (try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") ?? 0) + (try Int.fetchOne(db, sql: "SELECT count(*) FROM buyers") ?? 0)
                }
                var done = 0
                // Orders, then buyers. A transaction takes at most `batchSize` rows, in steps, and
                // commits early once it has held the write lock for its budget; the cursor is saved in it.
                for table in ["orders", "buyers"] {
                    while true {
                        let cipher = self.cipher, indexer = self.indexer
                        let before = state
                        let (rows, complete, newState, held) = try await database.write { db -> (Int, Bool, RotationState, Duration) in
                            var state = before
                            var hold = LockHold()
                            hold.begin()
                            var rows = 0
                            var complete = false
                            repeat {
                                let step = min(Self.rotationStep, batchSize - rows)
                                let result = table == "orders"
                                    ? try Self.rotateOrders(after: state.ordersCursor, limit: step, field: rotateField, index: rotateIndex,
                                                            cipher: cipher, indexer: indexer, db: db)
                                    : try Self.rotateBuyers(after: state.buyersCursor, limit: step, field: rotateField, index: rotateIndex,
                                                            cipher: cipher, indexer: indexer, db: db)
                                if table == "orders" { state.ordersCursor = result.cursor } else { state.buyersCursor = result.cursor }
                                state.summary.valuesResealed += result.resealed
                                state.summary.indexEntriesRebuilt += result.rebuilt
                                rows += result.rows
                                complete = result.rows < step
                            } while !complete && rows < batchSize && !hold.isSpent
                            try Self.saveRotationState(state, db)
                            hold.end()
                            return (rows, complete, state, hold.longest)
                        }
                        state = newState
                        longestHold = max(longestHold, held)
                        done += rows
                        progress(RotationProgress(rowsDone: done, rowsTotal: total))
                        if complete { break }
                        await WriteLock.letWaitersIn(database.url)
                        if pause > .zero { try await Task.sleep(for: pause) }
                    }
                }
                // Processes that still had the old key may have written behind the cursor: check, and
                // go round again if they did.
                let left = try await valuesNotOnPrimary(field: rotateField, index: rotateIndex)
                if left == 0 || state.summary.passes >= 5 { break }
                state.ordersCursor = 0
                state.buyersCursor = 0
                let restart = state
                try await database.write { db in try Self.saveRotationState(restart, db) }
            }
            let finished = state.summary
            try await database.write { db in try db.execute(sql: "DELETE FROM meta WHERE name = 'rotation'") }
            logger.debug("rotation re-encrypted its rows", metadata: ["longest-lock-hold-ms": "\(longestHold / .milliseconds(1))"])
            return (finished, [
                "values-resealed": "\(finished.valuesResealed)", "index-entries-rebuilt": "\(finished.indexEntriesRebuilt)",
                "passes": "\(finished.passes)",
            ])
        }
        await checkpointAfterJob()
        return finished
    }

    /// Sealed values (or index entries) still under a non-primary version.
    func valuesNotOnPrimary(field: Bool, index: Bool) async throws -> Int {
        let status = try await keyStatus()
        return status.filter { !$0.isPrimary && (($0.role == "field" && field) || ($0.role == "blind-index" && index)) }
            .reduce(0) { $0 + ($1.valuesUsingIt ?? 0) }
    }

    /// Destroys a data key version that nothing uses any more: refuses (naming the count) while any
    /// stored value still needs it, and for primary keys. With `secure_delete` the wrapped key's
    /// bytes are gone from the file after the checkpoint that follows.
    public func retireKey(_ key: RotatableKey, version: Int, actor: String) async throws {
        if try await rotationInProgress() {
            throw BuyerGuardError(.invalidArgument, "a rotation is in progress: finish it first")
        }
        let status = try await keyStatus()
        guard let target = status.first(where: { $0.role == key.role.rawValue && $0.version == version }) else {
            throw BuyerGuardError(.invalidArgument, "no \(key.rawValue) key v\(version) in this vault")
        }
        guard !target.isPrimary else { throw BuyerGuardError(.invalidArgument, "\(key.rawValue) key v\(version) is primary; rotate first") }
        let using = target.valuesUsingIt ?? 0
        guard using == 0 else {
            throw BuyerGuardError(.invalidArgument, "\(key.rawValue) key v\(version) still protects \(using) stored values; finish the rotation first")
        }
        let (schedule, vaultID) = (self.schedule, vaultIDBytes)
        let name = ["key": "\(key.rawValue) v\(version)"]
        try await journaled(.keyRetired, actor: actor, channel: .rotation, intentDetails: name) {
            try await database.write { db in
                try db.execute(sql: "DELETE FROM keys WHERE role = ? AND version = ?", arguments: [key.role.rawValue, version])
                try KeyManifest.record(db, schedule: schedule, vaultID: vaultID)
                try Vault.bumpKeysGeneration(db)
            }
            try reloadKeys()
            return ((), name)
        }
        await checkpointAfterJob()
    }

    /// Rows read and re-sealed between two looks at the transaction's clock.
    private static let rotationStep = 250

    private static func rotationState(_ db: Database) throws -> RotationState? {
        guard let data = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'rotation'") else { return nil }
        return try JSONDecoder().decode(RotationState.self, from: data)
    }

    private static func saveRotationState(_ state: RotationState, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('rotation', ?)", arguments: [try JSONEncoder().encode(state)])
    }

    private static let orderUpdateSQL = "UPDATE orders SET "
        + ContactField.orderLevel.map { "\($0.column) = ?" }.joined(separator: ", ")
        + ", contact_digest = coalesce(?, contact_digest) WHERE id = ?"

    private struct BatchResult {
        var rows = 0
        var cursor: Int64
        var resealed = 0
        var rebuilt = 0
    }

    /// Re-seals one batch of orders' fields under the primary field key (and, for a blind-index
    /// rotation, recomputes their change digest, which that key also keys).
    private static func rotateOrders(
        after cursor: Int64, limit: Int, field: Bool, index: Bool, cipher: FieldCipher, indexer: BlindIndexer, db: Database
    ) throws -> BatchResult {
        let columns = ContactField.orderLevel.map(\.column).joined(separator: ", ")
        let rows = try Row.fetchAll(db, sql: "SELECT id, order_id, \(columns) FROM orders WHERE id > ? ORDER BY id LIMIT ?",
                                    arguments: [cursor, limit])
        var result = BatchResult(cursor: cursor)
        let primary = cipher.keyRing.primary(.field).version
        for row in rows {
            result.rows += 1
            result.cursor = row["id"]
            let id = try OrderID(row["order_id"] as String)
            let record = RecordID.order(id)
            var sealed: [ContactField: Data] = [:]
            for field in ContactField.orderLevel { if let data = row[field.column] as Data? { sealed[field] = data } }
            let stale = sealed.filter { FieldCipher.keyVersion(of: $0.value) != primary }
            guard (field && !stale.isEmpty) || (index && !sealed.isEmpty) else { continue }
            var plain: [ContactField: String] = [:]
            var updated: [ContactField: Data] = [:]
            for (contactField, data) in sealed {
                let opened = try cipher.open(data, field: contactField, record: record)
                let text = opened.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                plain[contactField] = text
                if field, FieldCipher.keyVersion(of: data) != primary {
                    updated[contactField] = try cipher.seal(text, field: contactField, record: record)
                }
            }
            // One statement shape for every row (cached): unchanged columns get their current value back.
            var arguments = StatementArguments()
            for contactField in ContactField.orderLevel {
                arguments += [updated[contactField] ?? sealed[contactField]]
            }
            arguments += [index ? try indexer.digest(record: record, fields: ContactField.orderLevel.map { ($0, plain[$0]) }) : nil]
            arguments += [row["id"] as Int64]
            try db.cachedStatement(sql: orderUpdateSQL).execute(arguments: arguments)
            result.resealed += updated.count
        }
        return result
    }

    /// Re-seals one batch of buyers' email and name, and rebuilds their blind index.
    private static func rotateBuyers(
        after cursor: Int64, limit: Int, field: Bool, index: Bool, cipher: FieldCipher, indexer: BlindIndexer, db: Database
    ) throws -> BatchResult {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, uid, email_index_version, buyer_email, buyer_name FROM buyers WHERE id > ? ORDER BY id LIMIT ?
            """, arguments: [cursor, limit])
        var result = BatchResult(cursor: cursor)
        let primary = cipher.keyRing.primary(.field).version
        for row in rows {
            result.rows += 1
            result.cursor = row["id"]
            let record = RecordID.buyer([UInt8](row["uid"] as Data))
            let email = row["buyer_email"] as Data?
            let name = row["buyer_name"] as Data?
            let staleField = field && [email, name].contains { $0 != nil && FieldCipher.keyVersion(of: $0!) != primary }
            let staleIndex = index && email != nil && (row["email_index_version"] as Int64?) != Int64(indexer.primaryVersion)
            guard staleField || staleIndex else { continue }
            let plainEmail = try email.map { try cipher.open($0, field: .buyerEmail, record: record).withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
            let plainName = try name.map { try cipher.open($0, field: .buyerName, record: record).withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
            var arguments: StatementArguments = [
                staleField ? try plainEmail.map { try cipher.seal($0, field: .buyerEmail, record: record) } : email,
                staleField ? try plainName.map { try cipher.seal($0, field: .buyerName, record: record) } : name,
            ]
            if staleField { result.resealed += [email, name].compactMap { $0 }.count }
            if index {
                arguments += [try indexer.digest(record: record, fields: [(.buyerEmail, plainEmail), (.buyerName, plainName)])]
                arguments += [try plainEmail.map { try indexer.index(email: $0) }, plainEmail == nil ? nil : Int64(indexer.primaryVersion)]
                if plainEmail != nil { result.rebuilt += 1 }
            } else {
                arguments += [nil, nil, nil]
            }
            arguments += [row["id"] as Int64]
            try db.cachedStatement(sql: """
                UPDATE buyers SET buyer_email = ?, buyer_name = ?, digest = coalesce(?, digest),
                    email_index = coalesce(?, email_index), email_index_version = coalesce(?, email_index_version)
                WHERE id = ?
                """).execute(arguments: arguments)
        }
        return result
    }
}
