public import Foundation
public import Logging
import Dispatch
import GRDB
import Synchronization

/// The Ed25519 key that signs checkpoints, unwrapped from the vault.
struct AuditSigner: Sendable {
    let secretKey: SecureBytes
    let publicKey: [UInt8]
}

/// The append-only, tamper-evident audit log: `audit.sqlite` beside `vault.sqlite`.
///
/// Every entry hashes the previous one (BLAKE2b-256); every ``checkpointInterval`` entries, on the
/// first entry ``checkpointAge`` after the last checkpoint, and on demand, the log's size and head
/// hash are signed with Ed25519 by a key that lives, wrapped, in the vault. The file holds no personal data and can be handed to an auditor as it is. Several
/// processes may append at once: each batch is written in an immediate transaction that reads
/// the head first, so the chain stays one line.
public final class AuditLog: Sendable {
    /// The file name inside the vault folder.
    public static let fileName = "audit.sqlite"
    /// Entries between automatic checkpoints.
    public static let checkpointInterval: Int64 = 10_000
    /// An entry written this long after the last checkpoint (or the first entry) is followed by
    /// one: a quiet shop's log is signed at least daily while it is used.
    public static let checkpointAge: TimeInterval = 86_400

    /// The log file.
    public let url: URL
    let database: DatabaseFile
    /// The log's random id (hex); bound into every checkpoint signature.
    public let logID: String
    let signer: AuditSigner?
    let clock: any BuyerGuardClock
    let logger: Logger
    /// What the newest checkpoint covers and when it was taken (ms); before any checkpoint, the
    /// first entry's time (`.max` while the log is empty).
    let lastCheckpoint = Mutex<(count: Int64, timeMillis: Int64)>((0, .max))
    private let appender: AuditAppender
    /// Told of every checkpoint this log signs: the vault keeps the newest as its mark of the log.
    private let onCheckpoint: (@Sendable (AuditCheckpoint) async -> Void)?
    /// The metrics and tracer of the vault that opened the log.
    package let instruments: Instruments
    /// Told of every batch this process commits (``observeAppends(_:)``).
    private let observers: AppendObservers

    private init(
        url: URL, database: DatabaseFile, logID: String, signer: AuditSigner?, clock: any BuyerGuardClock,
        durability: Durability = .full, identity: AuthenticatedIdentity? = nil, telemetry: Telemetry = Telemetry(), logger: Logger, onCheckpoint: (@Sendable (AuditCheckpoint) async -> Void)? = nil
    ) {
        self.url = url
        self.onCheckpoint = onCheckpoint
        self.database = database
        self.logID = logID
        self.signer = signer
        self.clock = clock
        self.logger = logger
        let instruments = Instruments(telemetry)
        self.instruments = instruments
        let observers = AppendObservers()
        self.observers = observers
        // The appender's write reaches back to the log; the log owns the appender. A weak
        // reference would do, but the closure only needs the database and clock, captured here.
        let writer = AuditBatchWriter(database: database.pool, clock: clock, identity: identity?.description)
        var writeNow: AuditAppender.WriteNow?
        if durability == .normal {
            writeNow = { @Sendable drafts in
                let start = DispatchTime.now().uptimeNanoseconds
                let entries = try writer.writeBlocking(drafts)
                instruments.recordCommit(entries: entries.count, since: start)
                observers.notify(entries)
                return entries
            }
        }
        self.appender = AuditAppender(write: { drafts in
            let start = DispatchTime.now().uptimeNanoseconds
            let entries = try await writer.write(drafts)
            instruments.recordCommit(entries: entries.count, since: start)
            observers.notify(entries)
            return entries
        }, writeNow: writeNow)
    }

    /// Opens the audit log of a vault folder; with `creating`, makes it (only ``Vault/create(at:keyProvider:configuration:clock:logger:)``
    /// does: a missing log of an existing vault is never silently replaced by an empty one).
    ///
    /// - Throws: ``BuyerGuardError/Code/auditTampered`` when the log is missing or belongs to another vault.
    static func open(
        folder: URL, vaultID: String, signer: AuditSigner?, settings: VaultConfiguration,
        clock: any BuyerGuardClock, logger: Logger, creating: Bool = false,
        onCheckpoint: (@Sendable (AuditCheckpoint) async -> Void)? = nil
    ) throws -> AuditLog {
        let url = folder.appendingPathComponent(fileName)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard creating else {
                throw BuyerGuardError(
                    .auditTampered,
                    "the vault's audit log is missing: it was deleted or moved. BuyerGuard never starts a new log for an existing "
                        + "vault; restore \(fileName) (with its -wal file, if there is one) from a backup",
                    location: url.path)
            }
            try Vault.createPrivateFile(at: url)
        }
        var configuration = Vault.makeConfiguration(settings, label: "audit")
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(settings.durability == .full ? "FULL" : "NORMAL")")
        }
        do {
            SQLiteFiles.repairCompanionModes(of: url)
            let pool = DatabaseFile(pool: try DatabasePool(path: url.path, configuration: configuration), url: url,
                                    busyTimeout: settings.busyTimeout)
            try AuditSchema.migrator.migrate(pool.pool)
            let logID: String = try pool.write { db in
                if let existing = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'log_id'") {
                    let owner = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'vault_id'").map { String(decoding: $0, as: UTF8.self) }
                    guard owner == vaultID else {
                        throw BuyerGuardError(
                            .auditTampered,
                            "\(fileName) is the audit log of another vault (\(owner.map(AuditText.escaped) ?? "unknown")), not of this one (\(vaultID)): it was replaced. Restore this vault's own log from a backup",
                            location: url.path)
                    }
                    return [UInt8](existing).hexString
                }
                guard creating else {
                    throw BuyerGuardError(.auditTampered, "\(fileName) holds no log (it was emptied or replaced); restore it from a backup",
                                          location: url.path)
                }
                let id = randomBytes(16)
                try db.execute(sql: "INSERT INTO meta (name, value) VALUES ('log_id', ?), ('vault_id', ?), ('format', ?)",
                               arguments: [Data(id), Data(vaultID.utf8), Data("buyerguard-audit-1".utf8)])
                if let signer {
                    try db.execute(sql: "INSERT INTO meta (name, value) VALUES ('public_key', ?)", arguments: [Data(signer.publicKey)])
                }
                return id.hexString
            }
            let log = AuditLog(url: url, database: pool, logID: logID, signer: signer, clock: clock, durability: settings.durability,
                               identity: settings.identity, telemetry: settings.telemetry, logger: logger, onCheckpoint: onCheckpoint)
            let signed = try pool.read { db -> (Int64, Int64) in
                if let row = try Row.fetchOne(db, sql: "SELECT entry_count, time_ms FROM checkpoints ORDER BY entry_count DESC LIMIT 1") {
                    return (row[0], row[1])
                }
                return (0, try Int64.fetchOne(db, sql: "SELECT time_ms FROM entries ORDER BY seq LIMIT 1") ?? .max)
            }
            log.lastCheckpoint.withLock { $0 = signed }
            return log
        } catch let error as DatabaseError {
            let cause = BuyerGuardError(database: error, file: url, busyTimeout: settings.busyTimeout)
            throw BuyerGuardError(.auditUnavailable, "cannot open the audit log: \(cause.message)", location: url.path,
                                  underlying: error.redactedDescription)
        } catch let error as BuyerGuardError where error.code == .storage || error.code == .busy {
            throw BuyerGuardError(.auditUnavailable, "cannot open the audit log: \(error.message)", location: url.path,
                                  underlying: error.underlying)
        }
    }

    /// Opens an audit log file on its own, for reading and verifying (an auditor's copy).
    public static func openForReading(at url: URL, logger: Logger = Logger(label: "buyerguard", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> AuditLog {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw BuyerGuardError(.inputNotFound, "no audit log here", location: url.path)
        }
        if isFolder.boolValue {  // a vault folder, or a copy of one: its log
            let inside = url.appendingPathComponent(fileName)
            guard FileManager.default.fileExists(atPath: inside.path) else {
                throw BuyerGuardError(.inputNotFound, "a folder without an \(fileName): give the audit log file itself", location: url.path)
            }
            return try openForReading(at: inside, logger: logger)
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "buyerguard.audit-read"
        do {
            let pool = DatabaseFile(pool: try DatabasePool(path: url.path, configuration: configuration), url: url, busyTimeout: .seconds(10))
            let id = try pool.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'log_id'") }
            guard let id else { throw BuyerGuardError(.unsupportedFormat, "not a BuyerGuard audit log", location: url.path) }
            return AuditLog(url: url, database: pool, logID: [UInt8](id).hexString, signer: nil, clock: SystemClock(), logger: logger)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw BuyerGuardError(.unsupportedFormat, "not a BuyerGuard audit log (not an SQLite database)", location: url.path)
        } catch let error as DatabaseError {
            throw BuyerGuardError(.auditUnavailable, "cannot read the audit log", location: url.path, underlying: error.redactedDescription)
        }
    }

    // MARK: Appending

    /// Appends an entry and returns it once it is durably committed.
    /// - Throws: ``BuyerGuardError/Code/auditUnavailable`` if it could not be written.
    func append(_ draft: AuditDraft) async throws -> AuditEntry {
        let entry: AuditEntry
        do {
            entry = try await appender.append(draft)
        } catch let error as DatabaseError {
            let cause = BuyerGuardError(database: error, file: url, busyTimeout: database.busyTimeout)
            throw BuyerGuardError(
                .auditUnavailable, "the audit log could not be written, so nothing was released: \(cause.message)", location: url.path,
                underlying: error.redactedDescription)
        } catch let error as BuyerGuardError {
            throw error
        } catch {
            throw BuyerGuardError(.auditUnavailable, "the audit log could not be written, so nothing was released", location: url.path)
        }
        let written = Int64((entry.time.timeIntervalSince1970 * 1000).rounded(.down))
        let signed = lastCheckpoint.withLock { state in
            if state.timeMillis == .max { state.timeMillis = written }
            return state
        }
        if entry.sequence - signed.count >= Self.checkpointInterval
            || (entry.sequence > signed.count && written - signed.timeMillis >= Int64(Self.checkpointAge * 1000)) {
            _ = try? await checkpoint()
        }
        return entry
    }

    /// Records one of the library's own events (import, key operation, purge, erasure, order change).
    /// `package` access: apps cannot write these kinds, see ``recordAppEvent(_:actor:orderID:details:)``.
    @discardableResult
    package func recordEvent(
        _ kind: AuditEventKind, actor: String, orderID: OrderID? = nil, channel: AccessChannel = .library,
        details: [String: String] = [:], reason: String? = nil, identity: AuthenticatedIdentity? = nil
    ) async throws -> AuditEntry {
        var draft = try Self.eventDraft(kind.rawValue, actor: actor, orderID: orderID, channel: channel, details: details, reason: reason)
        draft.identity = identity?.description
        return try await append(draft)
    }

    /// Records an event the app defines (a staff login, a report printed, ...), as kind
    /// `app:<name>`. No misuse rule trusts these as the library's own events.
    ///
    /// - Parameter name: lowercase letters, digits and `-`, at most 64 characters.
    /// - Throws: ``BuyerGuardError/Code/invalidArgument`` for another name or text with control characters.
    @discardableResult
    public func recordAppEvent(
        _ name: String, actor: String, orderID: OrderID? = nil, details: [String: String] = [:]
    ) async throws -> AuditEntry {
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw BuyerGuardError(.invalidArgument, "an app event name is lowercase letters, digits and '-' (at most 64)")
        }
        try AuditText.requirePrintable(actor, as: "actor")
        for (key, value) in details {
            try AuditText.requirePrintable(key, as: "detail name")
            try AuditText.requirePrintable(value, as: "detail \(key)")
        }
        return try await append(Self.eventDraft(AuditEventKind.appPrefix + name, actor: actor, orderID: orderID, channel: .library,
                                                details: details, reason: nil))
    }

    static func eventDraft(
        _ kind: String, actor: String, orderID: OrderID?, channel: AccessChannel, details: [String: String], reason: String?
    ) throws -> AuditDraft {
        let json = details.isEmpty ? nil : String(decoding: try JSONSerialization.data(withJSONObject: details, options: [.sortedKeys]), as: UTF8.self)
        return AuditDraft(kind: kind, actor: actor, orderID: orderID?.rawValue, decision: .event, reason: reason, channel: channel.rawValue, details: json)
    }

    // MARK: Checkpoints

    /// Whether this log holds the vault's signing key (it does unless opened for reading).
    var canSign: Bool { signer != nil }

    /// Signs the log's current size and head hash, stores the checkpoint and returns it.
    /// - Throws: ``BuyerGuardError/Code/auditUnavailable`` without a signing key (a log opened for reading).
    @discardableResult
    public func checkpoint() async throws -> AuditCheckpoint {
        try await checkpoint(at: clock.now)
    }

    /// A checkpoint dated `now` (a synthetic log's writer dates it by its own entries).
    @discardableResult
    package func checkpoint(at now: Date) async throws -> AuditCheckpoint {
        guard let signer else {
            throw BuyerGuardError(.auditUnavailable, "this log was opened for reading; checkpoints need the vault's signing key")
        }
        let logID = self.logID
        let checkpoint: AuditCheckpoint = try await database.writeWithoutTransaction { db in
            var result: AuditCheckpoint?
            try db.inTransaction(.immediate) {
                let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
                let count: Int64 = head?["seq"] ?? 0
                let hash = head.map { [UInt8]($0["hash"] as Data) } ?? AuditHasher.genesis
                let time = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
                let message = AuditCheckpoint.signedMessage(logID: logID, entryCount: count, headHash: hash, timeMillis: time)
                let signature = try Ed25519.sign(message, secretKey: signer.secretKey)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO checkpoints (entry_count, head_hash, time_ms, public_key, signature) VALUES (?, ?, ?, ?, ?)",
                    arguments: [count, Data(hash), time, Data(signer.publicKey), Data(signature)])
                result = AuditCheckpoint(
                    logID: logID, entryCount: count, headHash: hash.hexString, timeMillis: time,
                    publicKey: signer.publicKey.hexString, signature: signature.hexString)
                return .commit
            }
            return result!
        }
        lastCheckpoint.withLock { state in
            if checkpoint.entryCount >= state.count { state = (checkpoint.entryCount, checkpoint.timeMillis) }
        }
        await onCheckpoint?(checkpoint)
        return checkpoint
    }

    /// The stored hash of entry `sequence` (hex), or `nil` if the log has no such entry.
    func entryHash(at sequence: Int64) throws -> String? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT hash FROM entries WHERE seq = ?", arguments: [sequence]).map { [UInt8]($0).hexString }
        }
    }

    /// Entries in the log (the highest sequence number), read on the caller's thread.
    func headSequence() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM entries") ?? 0 }
    }

    /// Calls `observer` with every batch of entries this process commits to the log, in sequence
    /// order, once they are durable and before the callers that wrote them go on (so before the
    /// broker releases anything an entry records). For live alerts: a ``MisuseMonitor`` in the app.
    ///
    /// Only this process's appends arrive here; entries other processes write show as a gap in
    /// the sequence numbers, which the observer can read from the log (``forEachEntry(matching:_:)``
    /// with ``AuditFilter/afterSequence``). `observer` runs on the writer's path: keep it short and
    /// hand slow work (a webhook) to a task of its own.
    public func observeAppends(_ observer: @escaping @Sendable ([AuditEntry]) -> Void) {
        observers.add(observer)
    }

    /// The public key that signs this log's checkpoints (hex), as the vault holds it.
    public var signingPublicKey: String? { signer?.publicKey.hexString }

    // MARK: Reading

    /// The entry count of the newest stored checkpoint, if any (for `status`).
    public func lastCheckpointEntryCount() throws -> Int64? {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT max(entry_count) FROM checkpoints") }
    }

    /// Number of entries.
    public func count() async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT count(*) FROM entries") ?? 0 }
    }

    /// Calls `body` with each entry matching `filter`, in sequence order.
    public func forEachEntry(matching filter: AuditFilter = AuditFilter(), _ body: (AuditEntry) throws -> Void) throws {
        let (whereClause, values) = filter.sqlCondition
        var arguments: StatementArguments = []
        for value in values {
            switch value {
            case .text(let text): arguments += [text]
            case .integer(let integer): arguments += [integer]
            }
        }
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM entries \(whereClause) ORDER BY seq", arguments: arguments)
            while let row = try rows.next() { try body(Self.entry(from: row)) }
        }
    }

    static func entry(from row: Row) -> AuditEntry {
        func list(_ text: String?) -> [String] { text.map { $0.isEmpty ? [] : $0.components(separatedBy: ",") } ?? [] }
        return AuditEntry(
            sequence: row["seq"], time: Date(timeIntervalSince1970: TimeInterval(row["time_ms"] as Int64) / 1000),
            kind: row["kind"], actor: row["actor"], role: row["role"], purpose: row["purpose"],
            messageKind: row["message_kind"], caseID: row["case_id"], orderID: row["order_id"], buyer: row["buyer"],
            fieldsAsked: list(row["fields_asked"]), fieldsReleased: list(row["fields_released"]),
            decision: AuditDecision(rawValue: row["decision"]) ?? .failed, reason: row["reason"], channel: row["channel"],
            requestID: row["request_id"], orderStatus: row["order_status"],
            daysSincePurchase: row["days_since_purchase"], daysSinceDelivery: row["days_since_delivery"],
            details: row["details"], identity: row["identity"], explanation: row["explanation"],
            previousHash: [UInt8](row["prev_hash"] as Data).hexString,
            hash: [UInt8](row["hash"] as Data).hexString)
    }
}

/// Which entries to list.
public struct AuditFilter: Sendable {
    /// Only this actor.
    public var actor: String?
    /// Only this purpose family.
    public var purpose: String?
    /// Only this order.
    public var orderID: String?
    /// Only this buyer pseudonym.
    public var buyer: String?
    /// Only this outcome.
    public var decision: AuditDecision?
    /// From this time on.
    public var from: Date?
    /// Before this time.
    public var to: Date?
    /// Only entries after this sequence number: what was written since the last poll.
    public var afterSequence: Int64?

    /// Everything.
    public init(actor: String? = nil, purpose: String? = nil, orderID: String? = nil, buyer: String? = nil,
                decision: AuditDecision? = nil, from: Date? = nil, to: Date? = nil, afterSequence: Int64? = nil) {
        self.actor = actor
        self.purpose = purpose
        self.orderID = orderID
        self.buyer = buyer
        self.decision = decision
        self.from = from
        self.to = to
        self.afterSequence = afterSequence
    }
}

/// Writes batches of drafts: reads the head, chains each entry onto it, commits once.
struct AuditBatchWriter: Sendable {
    let database: DatabasePool
    let clock: any BuyerGuardClock
    /// Who opened the log (``VaultConfiguration/identity``), for drafts that name nobody.
    var identity: String? = nil

    /// Writes on GRDB's writer thread, outside the task pool: during an fsync the pool's threads
    /// keep serving requests.
    func write(_ drafts: [AuditDraft]) async throws -> [AuditEntry] {
        let now = clock.now
        return try await database.writeWithoutTransaction { db in
            var entries: [AuditEntry] = []
            try db.inTransaction(.immediate) {
                entries = try Self.append(drafts, at: now, defaultIdentity: identity, in: db)
                return .commit
            }
            return entries
        }
    }

    /// Writes on the calling thread: for a lone caller, cheaper than two thread hops.
    func writeBlocking(_ drafts: [AuditDraft]) throws -> [AuditEntry] {
        let now = clock.now
        return try database.writeWithoutTransaction { db in
            var entries: [AuditEntry] = []
            try db.inTransaction(.immediate) {
                entries = try Self.append(drafts, at: now, defaultIdentity: identity, in: db)
                return .commit
            }
            return entries
        }
    }

    /// - Parameter defaultIdentity: written for drafts that name no identity of their own.
    static func append(_ drafts: [AuditDraft], at now: Date, defaultIdentity: String? = nil, in db: Database) throws -> [AuditEntry] {
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"))
        var sequence: Int64 = head?["seq"] ?? 0
        var previous = head.map { [UInt8]($0["hash"] as Data) } ?? AuditHasher.genesis
        let batchTime = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let hasher = AuditHasher()
        defer { hasher.deallocate() }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO entries (seq, time_ms, kind, actor, role, purpose, message_kind, case_id, order_id, buyer,
                fields_asked, fields_released, decision, reason, channel, request_id, order_status,
                days_since_purchase, days_since_delivery, details, identity, explanation, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var entries: [AuditEntry] = []
        entries.reserveCapacity(drafts.count)
        for var draft in drafts {
            sequence += 1
            let time = draft.time.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) } ?? batchTime
            if let limits = draft.unexplainedLimits, draft.decision == .granted,
               let reached = try limits.reached(actor: draft.actor, atMillis: time, in: db) {
                draft.decision = .denied
                draft.reason = AccessBroker.DenialReason.unexplainedLimit.rawValue
                draft.fieldsReleased = []
                draft.explanation = nil
                draft.details = reached
            }
            let asked = draft.fieldsAsked.joined(separator: ",")
            let released = draft.fieldsReleased.joined(separator: ",")
            let texts: [String?] = [
                draft.kind, draft.actor, draft.role, draft.purpose, draft.messageKind, draft.caseID, draft.orderID, draft.buyer,
                asked, released, draft.decision.rawValue, draft.reason, draft.channel, draft.requestID, draft.orderStatus,
            ]
            let identity = draft.identity ?? defaultIdentity
            let hash = hasher.entryHash(
                previous: previous, sequence: sequence, timeMillis: time, texts: texts, daysSincePurchase: draft.daysSincePurchase,
                daysSinceDelivery: draft.daysSinceDelivery, details: draft.details, identity: identity, explanation: draft.explanation)
            var values: [DirectBinding] = [.integer(sequence), .integer(time)]
            values += texts.map { DirectBinding($0) }
            values += [DirectBinding(draft.daysSincePurchase.map(Int64.init)), DirectBinding(draft.daysSinceDelivery.map(Int64.init)),
                       DirectBinding(draft.details), DirectBinding(identity), DirectBinding(draft.explanation),
                       .blob(Data(previous)), .blob(Data(hash))]
            try insert.run(values)
            entries.append(AuditEntry(
                sequence: sequence, time: Date(timeIntervalSince1970: TimeInterval(time) / 1000), kind: draft.kind,
                actor: draft.actor, role: draft.role, purpose: draft.purpose, messageKind: draft.messageKind,
                caseID: draft.caseID, orderID: draft.orderID, buyer: draft.buyer, fieldsAsked: draft.fieldsAsked,
                fieldsReleased: draft.fieldsReleased, decision: draft.decision, reason: draft.reason, channel: draft.channel,
                requestID: draft.requestID, orderStatus: draft.orderStatus, daysSincePurchase: draft.daysSincePurchase,
                daysSinceDelivery: draft.daysSinceDelivery, details: draft.details, identity: identity, explanation: draft.explanation,
                previousHash: previous.hexString,
                hash: hash.hexString))
            previous = hash
        }
        return entries
    }
}

/// The observers of ``AuditLog/observeAppends(_:)``.
final class AppendObservers: Sendable {
    private let observers = Mutex<[@Sendable ([AuditEntry]) -> Void]>([])

    func add(_ observer: @escaping @Sendable ([AuditEntry]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func notify(_ entries: [AuditEntry]) {
        let current = observers.withLock { $0 }
        for observer in current { observer(entries) }
    }
}
