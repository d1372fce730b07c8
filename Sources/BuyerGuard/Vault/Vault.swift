public import Foundation
public import Logging
import GRDB
import Synchronization
internal import CSodium

/// How hard the vault pushes writes to disk.
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous=FULL`: a committed write survives power loss. The default.
    case full
    /// `synchronous=NORMAL`: a committed write survives a crash of the process, and may be lost on
    /// power loss (the database stays consistent either way).
    case normal
}

/// Settings for opening a vault.
public struct VaultConfiguration: Sendable {
    /// How hard writes are pushed to disk.
    public var durability: Durability = .full
    /// How long to wait for another process's write lock before failing.
    public var busyTimeout: Duration = .seconds(10)
    /// Who opened the vault, as the app authenticated them: written beside the actor in every
    /// audit entry this vault writes, unless a request names its own
    /// (``AccessRequest/identity``). The `buyerguard` CLI sets the OS user that runs it.
    public var identity: AuthenticatedIdentity?
    /// Where metrics and spans go (``Telemetry``): the global swift-metrics and
    /// swift-distributed-tracing systems unless set, which do nothing until the app bootstraps them.
    public var telemetry = Telemetry()

    /// The defaults: FULL durability, 10 s lock wait, no identity, the global telemetry systems.
    public init() {}
}

extension VaultConfiguration {
    /// The vault's identity goes into every entry that names none: refuse one that would need
    /// escaping there, as a request's own identity is refused (`invalid-text`).
    func requirePrintableIdentity() throws {
        if let identity { try AuditText.requirePrintable(identity.description, as: "vault identity") }
    }
}

/// A buyer-PII vault: a folder holding `vault.sqlite`, where each contact field is sealed with
/// XChaCha20-Poly1305 under versioned data keys wrapped by the master key.
///
/// The vault stores and updates orders and their buyers. It has no API that returns plaintext:
/// reading personal data is the access broker's job, so that every read is checked and logged.
///
/// ```swift
/// let vault = try await Vault.create(at: folder, keyProvider: KeyFileProvider(path: keyPath), logger: logger)
/// try await vault.store([order], actor: "order-sync")
/// ```
///
/// `Vault` is safe to share between tasks, and several processes may open the same folder.
public final class Vault: Sendable {
    /// The file name of the vault database inside the folder.
    public static let databaseFileName = "vault.sqlite"

    /// The vault folder.
    public let folder: URL
    /// The vault's random identifier (hex).
    public let vaultID: String

    let database: DatabaseFile
    private let ring: Mutex<KeyRing>
    /// The master key's derived keys, kept to unwrap data keys another process adds (rotation).
    private let masterSchedule: ScheduleHolder
    /// The key generation the ring was loaded at (`meta.keys_generation`, bumped by every key change).
    private let loadedGeneration = Mutex<Int64>(-1)
    let vaultIDBytes: [UInt8]

    var schedule: MasterKeySchedule { masterSchedule.current }

    /// The data keys as last loaded. Immutable: a key operation loads a new ring and swaps it in.
    var keyRing: KeyRing { ring.withLock { $0 } }
    let logger: Logger

    var cipher: FieldCipher { FieldCipher(keyRing: keyRing) }
    var indexer: BlindIndexer { BlindIndexer(keyRing: keyRing) }

    let settings: VaultConfiguration
    /// The vault's audit log (`audit.sqlite` in the same folder).
    public let auditLog: AuditLog
    /// Where the vault and its broker get the time.
    public let clock: any BuyerGuardClock

    private init(
        folder: URL, vaultID: [UInt8], database: DatabaseFile, keyRing: KeyRing, schedule: ScheduleHolder,
        settings: VaultConfiguration, audit: AuditLog, clock: any BuyerGuardClock, logger: Logger
    ) {
        self.folder = folder
        self.settings = settings
        self.auditLog = audit
        self.clock = clock
        self.vaultID = vaultID.hexString
        self.database = database
        self.ring = Mutex(keyRing)
        self.masterSchedule = schedule
        self.vaultIDBytes = vaultID
        self.logger = logger
    }

    /// The path of `vault.sqlite` in `folder`.
    public static func databaseURL(in folder: URL) -> URL {
        folder.appendingPathComponent(databaseFileName)
    }

    /// Whether `folder` holds a vault.
    public static func exists(at folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: databaseURL(in: folder).path)
    }

    // MARK: Creating and opening

    /// Creates a new vault in `folder` (made with mode 0700 if missing) with fresh data keys
    /// wrapped by the key `keyProvider` supplies.
    ///
    /// - Throws: ``BuyerGuardError/Code/alreadyExists`` if the folder already holds a vault.
    public static func create(
        at folder: URL,
        keyProvider: some KeyProvider,
        configuration: VaultConfiguration = VaultConfiguration(),
        clock: any BuyerGuardClock = SystemClock(),
        logger: Logger = Logger(label: "buyerguard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> Vault {
        try Sodium.ensureInitialized()
        try configuration.requirePrintableIdentity()
        let fileManager = FileManager.default
        let target = databaseURL(in: folder)
        if fileManager.fileExists(atPath: target.path) {
            throw BuyerGuardError(.alreadyExists, "a vault already exists here; refusing to overwrite it", location: folder.path)
        }
        do {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BuyerGuardError(.io, "cannot create the vault folder", location: folder.path, underlying: "\(error)")
        }

        // Build the database under a temporary name and rename it into place, so that an
        // interrupted `create` never leaves something that looks like a vault.
        let staging = folder.appendingPathComponent(databaseFileName + ".creating")
        try? fileManager.removeItem(at: staging)
        try createPrivateFile(at: staging)
        let vaultID = randomBytes(16)
        let salt = randomBytes(PasswordHash.saltByteCount)
        do {
            let master = try await keyProvider.masterKey(for: VaultKeyContext(vaultID: vaultID.hexString, passphraseSalt: salt))
            let schedule = try MasterKeySchedule(master)
            let queue = try DatabaseQueue(path: staging.path, configuration: makeConfiguration(configuration, label: "vault-create"))
            try VaultSchema.migrator.migrate(queue)
            let now = Int64(clock.now.timeIntervalSince1970)
            try await queue.write { db in
                for (name, value) in [
                    ("format", Data("buyerguard-vault-1".utf8)),
                    ("vault_id", Data(vaultID)),
                    ("passphrase_salt", Data(salt)),
                    ("master_key_check", Data(try schedule.keyCheckValue(vaultID: vaultID))),
                    ("created_at", Data(String(now).utf8)),
                ] {
                    try db.execute(sql: "INSERT INTO meta (name, value) VALUES (?, ?)", arguments: [name, value])
                }
                for role in KeyRole.allCases {
                    let key = DataKey(role: role, version: 1, secret: SecureBytes(randomCount: 32))
                    try db.execute(
                        sql: "INSERT INTO keys (role, version, wrapped, is_primary, created_at) VALUES (?, 1, ?, 1, ?)",
                        arguments: [role.rawValue, try schedule.wrap(key, vaultID: vaultID), now])
                }
                try KeyManifest.record(db, schedule: schedule, vaultID: vaultID)
            }
            try queue.close()
            try fileManager.moveItem(at: staging, to: target)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        logger.info("created vault", metadata: ["vault": "\(folder.path)", "vault-id": "\(vaultID.hexString)"])
        let vault = try await open(at: folder, keyProvider: keyProvider, configuration: configuration, clock: clock, logger: logger,
                                   creatingLog: true)
        try await vault.auditLog.recordEvent(.vaultCreated, actor: "buyerguard", details: [
            "vault-id": vaultID.hexString,
            "keys": KeyRole.allCases.map { "\($0.rawValue) v1" }.joined(separator: ", "),
            "signing-public-key": vault.auditLog.signingPublicKey ?? "",
        ])
        try await vault.auditLog.checkpoint()  // the vault's first mark of its log
        return vault
    }

    /// Opens the vault in `folder`, checking the master key before anything else.
    ///
    /// - Throws: ``BuyerGuardError/Code/vaultNotFound``; ``BuyerGuardError/Code/wrongMasterKey``
    ///   if the key is not this vault's (nothing is read or changed); ``BuyerGuardError/Code/storage``.
    ///   ``BuyerGuardError/Code/auditTampered`` if its audit log is missing, another vault's, shorter
    ///   than the vault saw it, or rewritten (see `docs/threat-model.md`).
    public static func open(
        at folder: URL,
        keyProvider: some KeyProvider,
        configuration: VaultConfiguration = VaultConfiguration(),
        clock: any BuyerGuardClock = SystemClock(),
        logger: Logger = Logger(label: "buyerguard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> Vault {
        try await open(at: folder, keyProvider: keyProvider, configuration: configuration, clock: clock, logger: logger, creatingLog: false)
    }

    private static func open(
        at folder: URL, keyProvider: some KeyProvider, configuration: VaultConfiguration, clock: any BuyerGuardClock,
        logger: Logger, creatingLog: Bool
    ) async throws -> Vault {
        try Sodium.ensureInitialized()
        try configuration.requirePrintableIdentity()
        let url = databaseURL(in: folder)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw BuyerGuardError(.vaultNotFound, "no vault here (run `buyerguard init` first)", location: folder.path)
        }
        let pool: DatabaseFile
        do {
            SQLiteFiles.repairCompanionModes(of: url)
            pool = DatabaseFile(
                pool: try DatabasePool(path: url.path, configuration: makeConfiguration(configuration, label: "vault")), url: url,
                busyTimeout: configuration.busyTimeout)
            try VaultSchema.migrator.migrate(pool.pool)
        } catch let error as DatabaseError {
            throw BuyerGuardError(database: error, file: url, busyTimeout: configuration.busyTimeout, doing: "open the vault database")
        }
        let meta = try await pool.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT name, value FROM meta").map {
                ($0["name"] as String, $0["value"] as Data)
            })
        }
        guard let vaultIDData = meta["vault_id"], let salt = meta["passphrase_salt"], let check = meta["master_key_check"] else {
            throw BuyerGuardError(.unsupportedFormat, "the vault has no key metadata (damaged, or not a BuyerGuard vault)", location: url.path)
        }
        let vaultID = [UInt8](vaultIDData)
        let master = try await keyProvider.masterKey(for: VaultKeyContext(vaultID: vaultID.hexString, passphraseSalt: [UInt8](salt)))
        
        let schedule = try MasterKeySchedule(master)
        // Generation 2 keeps records of its log, keys and order links; a vault of generation 1
        // adopts them once, below. The check value says which, and only the key can make it.
        let strict: Bool
        if constantTimeEquals(try schedule.keyCheckValue(vaultID: vaultID), [UInt8](check)) {
            strict = true
        } else if constantTimeEquals(try schedule.keyCheckValue(vaultID: vaultID, generation: 1), [UInt8](check)) {
            strict = false
        } else {
            throw BuyerGuardError(
                .wrongMasterKey, "wrong master key: this key does not belong to the vault (nothing was read or changed)",
                location: folder.path)
        }
        try await KeyManifest.check(pool, schedule: schedule, vaultID: vaultID, strict: strict)
        let wrapped = try pool.read { db -> [Row] in
            try Row.fetchAll(db, sql: "SELECT role, version, wrapped, is_primary, created_at FROM keys WHERE retired_at IS NULL")
        }
        let (keys, primaries) = try unwrapKeys(wrapped, schedule: schedule, vaultID: vaultID)
        if let role = KeyRole.allCases.first(where: { primaries[$0] == nil }) {
            throw BuyerGuardError(.vaultTampered, "the vault has no primary \(role.rawValue) key: the key table was altered. Restore \(databaseFileName) from a backup",
                                  location: url.path)
        }
        let ring = try KeyRing(keys: keys, primaries: primaries)
        let signing = try Ed25519.keyPair(seed: ring.primary(.auditSigning).secret)
        let marks = pool
        let holder = ScheduleHolder(schedule)
        let audit = try AuditLog.open(
            folder: folder, vaultID: vaultID.hexString, signer: AuditSigner(secretKey: signing.secretKey, publicKey: signing.publicKey),
            settings: configuration, clock: clock, logger: logger, creating: creatingLog,
            onCheckpoint: { checkpoint in
                do { try await AuditLogMark.raise(to: checkpoint, in: marks, schedule: holder.current, vaultID: vaultID) } catch {
                    logger.warning("could not record the audit log's checkpoint in the vault", metadata: ["error": "\(error)"])
                }
            })
        if creatingLog {
            try AuditLogMark.recordLogID(audit.logID, in: pool)
        } else if try AuditLogMark.check(audit, against: pool, schedule: schedule, vaultID: vaultID, strict: strict) {
            // A vault from before it kept a record of its log: adopt the log it has, as it is now.
            try AuditLogMark.recordLogID(audit.logID, in: pool)
            try await audit.checkpoint()
        }
        if !strict {
            try await OrderBuyerLink.backfill(pool, keyRing: ring)
            let upgraded = try schedule.keyCheckValue(vaultID: vaultID)
            try await pool.write { db in
                try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'master_key_check'", arguments: [Data(upgraded)])
            }
            logger.notice("vault upgraded: it now keeps signed records of its log, keys and order links", metadata: ["vault": "\(folder.path)"])
        }
        logger.debug("opened vault", metadata: ["vault": "\(folder.path)"])
        let vault = Vault(folder: folder, vaultID: vaultID, database: pool, keyRing: ring, schedule: holder, settings: configuration,
                          audit: audit, clock: clock, logger: logger)
        try await vault.recoverInterruptedJobs()  // a job killed earlier gets its closing event
        return vault
    }

    /// Unwraps stored key rows; returns the keys and the primary version of each role.
    static func unwrapKeys(_ rows: [Row], schedule: MasterKeySchedule, vaultID: [UInt8]) throws -> ([DataKey], [KeyRole: UInt32]) {
        var keys: [DataKey] = []
        var primaries: [KeyRole: UInt32] = [:]
        for row in rows {
            guard let role = KeyRole(rawValue: row["role"]) else { continue }
            let stored = WrappedKey(
                role: role, version: UInt32(row["version"] as Int64), wrapped: row["wrapped"], isPrimary: row["is_primary"],
                createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)))
            keys.append(try schedule.unwrap(stored, vaultID: vaultID))
            if stored.isPrimary { primaries[role] = stored.version }
        }
        return (keys, primaries)
    }

    /// Reloads the data keys from the vault (after a key operation here or in another process).
    func reloadKeys() throws {
        let (rows, generation) = try database.read { db in
            (try Row.fetchAll(db, sql: "SELECT role, version, wrapped, is_primary, created_at FROM keys WHERE retired_at IS NULL"),
             try Self.keysGeneration(db))
        }
        let (keys, primaries) = try Self.unwrapKeys(rows, schedule: schedule, vaultID: vaultIDBytes)
        let fresh = try KeyRing(keys: keys, primaries: primaries)
        ring.withLock { $0 = fresh }
        loadedGeneration.withLock { $0 = generation }
    }

    /// Reloads the data keys if another process (or this one) changed them since they were loaded.
    func refreshKeysIfChanged() throws {
        let current = try database.read { db in try Self.keysGeneration(db) }
        if current != loadedGeneration.withLock({ $0 }) { try reloadKeys() }
    }

    static func keysGeneration(_ db: Database) throws -> Int64 {
        (try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'keys_generation'"))
            .flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? 0
    }

    /// Marks a key change, inside the transaction that makes it, so other processes reload.
    static func bumpKeysGeneration(_ db: Database) throws {
        let next = try keysGeneration(db) + 1
        try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('keys_generation', ?)", arguments: [Data(String(next).utf8)])
    }

    /// Swaps in a new master key schedule (after a rewrap).
    func replaceSchedule(_ new: MasterKeySchedule) {
        masterSchedule.replace(new)
    }

    /// `lockWaiter`: the connection's own ``LockWaiter``, for a caller that needs it (an import's
    /// writer); a queue's single connection only.
    static func makeConfiguration(_ settings: VaultConfiguration, label: String, lockWaiter: LockWaiter? = nil) -> Configuration {
        var configuration = Configuration()
        configuration.label = "buyerguard.\(label)"
        let (seconds, attoseconds) = settings.busyTimeout.components
        configuration.busyMode = .timeout(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)  // readers; writers below
        let timeout = settings.busyTimeout
        configuration.publicStatementArguments = false  // never put bound values (ciphertext, digests) in errors
        let synchronous = settings.durability == .full ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            WriteLock.install(on: db, timeout: timeout, waiter: lockWaiter)
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Imports insert into random-keyed unique indexes (blind index, buyer uid): a larger
            // page cache (64 MiB) keeps them off the disk. An upper bound, not an allocation.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoint the WAL every ~64 MiB rather than every 4 MiB: an index page dirtied by
            // several commits is then copied into the database once. The WAL is cut back to that size.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        return configuration
    }

    /// Creates an empty file readable by its owner only, so SQLite's files (which copy the
    /// database's mode for `-wal` and `-shm`) are private too.
    static func createPrivateFile(at url: URL) throws {
        let fd = Foundation.open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BuyerGuardError(.io, "cannot create file: \(String(cString: strerror(errno)))", location: url.path)
        }
        closeDescriptor(fd)
    }

    // MARK: Storing

    /// Stores or updates orders and their buyers in one transaction: all of them or none, and logs
    /// an `orders-stored` event naming `actor`, the counts and the ids of the orders it changed.
    ///
    /// Re-storing an order that is already there unchanged writes nothing. Reports can move an
    /// order's status forward, never back. An order whose PII was removed is not refilled.
    ///
    /// - Parameter actor: who stores them, as the app authenticated them (a staff login, a service).
    @discardableResult
    public func store(_ orders: [MarketplaceOrder], actor: String) async throws -> StoreSummary {
        try AuditText.requirePrintable(actor, as: "actor")
        let prepared = try prepare(orders)
        return try await journaled(.ordersStored, actor: actor, orderID: orders.count == 1 ? orders[0].id : nil, channel: .library,
                                   intentDetails: ["orders": "\(orders.count)"]) {
            let summary = try await write(prepared, keepingUpdatedIDs: true)
            let shown = summary.updatedOrderIDs.prefix(Self.updatedIDsLogged)
            var details = [
                "orders": "\(orders.count)", "orders-new": "\(summary.ordersInserted)", "orders-updated": "\(summary.ordersUpdated)",
                "orders-unchanged": "\(summary.ordersUnchanged)",
            ]
            if !shown.isEmpty { details["updated"] = shown.joined(separator: ",") }
            if summary.updatedOrderIDs.count > shown.count { details["updated-not-listed"] = "\(summary.updatedOrderIDs.count - shown.count)" }
            return (summary, details)
        }
    }

    /// Updated order ids named in one `orders-stored` event.
    static let updatedIDsLogged = 1000

    /// Seals orders ahead of their write: CPU work that needs no database lock.
    func prepare(_ orders: [MarketplaceOrder]) throws -> [PreparedOrder] {
        try refreshKeysIfChanged()  // a rotation elsewhere: seal with the new primary from now on
        let sealer = OrderSealer(cipher: cipher, indexer: indexer)
        return try orders.map { try sealer.prepare($0) }
    }

    /// A separate write connection for a bulk import, whose transactions span many orders so that
    /// each random-key index page is written once per transaction, not once per order. While
    /// other writers (an app, another CLI) wait, each transaction holds the lock for about
    /// ``WriteLock/holdBudget``, so they wait at most about that long (see ``BulkOrderWriter``).
    func makeBulkWriter(uncontendedHoldCap: Duration = WriteLock.uncontendedHoldCap) throws -> BulkOrderWriter {
        let url = Self.databaseURL(in: folder)
        let ownWait = LockWaiter(path: WriteLock.waitersFile(of: url), timeout: settings.busyTimeout)
        var configuration = Self.makeConfiguration(settings, label: "vault-import", lockWaiter: ownWait)
        configuration.allowsUnsafeTransactions = true  // a transaction stays open across batches
        do {
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            return BulkOrderWriter(queue: queue, ownWait: ownWait, uncontendedHoldCap: uncontendedHoldCap, sealer: { OrderSealer(cipher: self.cipher, indexer: self.indexer) }, file: url,
                                   busyTimeout: settings.busyTimeout)
        } catch let error as DatabaseError {
            throw BuyerGuardError(database: error, file: url, busyTimeout: settings.busyTimeout, doing: "open an import connection")
        }
    }

    /// Writes prepared orders in one transaction.
    func write(_ prepared: [PreparedOrder], keepingUpdatedIDs: Bool = false) async throws -> StoreSummary {
        let (cipher, indexer, now) = (cipher, indexer, clock.now)
        return try await database.write { db in
            try OrderWriter(sealer: OrderSealer(cipher: cipher, indexer: indexer), now: now, keepsUpdatedIDs: keepingUpdatedIDs)
                .write(prepared, in: db)
        }
    }

    /// Stores or updates one order, logged like ``store(_:actor:)``.
    @discardableResult
    public func store(_ order: MarketplaceOrder, actor: String) async throws -> StoreSummary {
        try await store([order], actor: actor)
    }

    // MARK: Status

    /// Counts and key versions, without any personal data.
    public func statistics() async throws -> VaultStatistics {
        try await database.read { db in
            var byStatus: [OrderStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM orders GROUP BY status") {
                if let status = OrderStatus(rawValue: row["status"]) { byStatus[status] = row["n"] }
            }
            let keys = try Row.fetchAll(db, sql: "SELECT role, version, is_primary, created_at, retired_at FROM keys ORDER BY role, version")
                .map { row in
                    VaultStatistics.KeyVersion(
                        role: row["role"], version: Int(row["version"] as Int64), isPrimary: row["is_primary"],
                        createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)),
                        retiredAt: (row["retired_at"] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) })
                }
            return VaultStatistics(
                orders: try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") ?? 0,
                buyers: try Int.fetchOne(db, sql: "SELECT count(*) FROM buyers") ?? 0,
                items: try Int.fetchOne(db, sql: "SELECT count(*) FROM order_items") ?? 0,
                ordersWithPIIRemoved: try Int.fetchOne(db, sql: "SELECT count(*) FROM orders WHERE pii_removed_at IS NOT NULL") ?? 0,
                ordersByStatus: byStatus,
                keys: keys,
                vaultID: vaultID,
                sodiumVersion: Sodium.version)
        }
    }

    /// Writes the WAL back into the database file and truncates it (a checkpoint).
    public func checkpoint() async throws {
        try await database.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
    }

    /// Closes the vault at the end of the app's life (a service lifecycle's shutdown): signs a
    /// checkpoint of the audit log's head, so that its end is attested, writes both WALs back into
    /// their files, and closes the connections. Call it once every access has returned; the vault
    /// and its broker refuse work afterwards (``BuyerGuardError/Code/storage``).
    ///
    /// - Throws: what the checkpoint throws; the connections are closed even then.
    public func close() async throws {
        var failure: (any Error)?
        do {
            if auditLog.canSign { try await auditLog.checkpoint() }
            try await checkpoint()
            try await auditLog.database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch { failure = error }
        for file in [database, auditLog.database] {  // each closed, whatever the other did
            do { try file.pool.close() } catch let error as DatabaseError { failure = failure ?? file.mapped(error) }
        }
        if let failure { throw failure }
    }

    /// After a job that removed or re-encrypted data: a truncating checkpoint, so that with
    /// `secure_delete` the old ciphertext is gone from the WAL too. Best effort: the job and its
    /// event are done, and under steady traffic a truncating checkpoint can wait out the busy
    /// timeout; then a passive one copies what it can and the rest goes at a later checkpoint.
    func checkpointAfterJob() async {
        do {
            try await checkpoint()
        } catch {
            _ = try? await database.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            logger.warning("the WAL could not be truncated after the job (the vault is busy); old ciphertext leaves it at a later checkpoint",
                           metadata: ["vault": "\(folder.path)"])
        }
    }
}

/// The vault's current master key schedule, shared with the audit log's checkpoint hook (which
/// MACs the vault's mark of the log): a rewrap replaces it for both.
final class ScheduleHolder: Sendable {
    private let value: Mutex<MasterKeySchedule>
    init(_ schedule: MasterKeySchedule) { value = Mutex(schedule) }
    var current: MasterKeySchedule { value.withLock { $0 } }
    func replace(_ schedule: MasterKeySchedule) { value.withLock { $0 = schedule } }
}

/// What `buyerguard status` shows: counts and keys, never personal data.
public struct VaultStatistics: Sendable, Codable, Equatable {
    /// One data key version.
    public struct KeyVersion: Sendable, Codable, Equatable {
        /// `field` or `blind-index`.
        public var role: String
        /// The version number.
        public var version: Int
        /// Whether new data is written with it.
        public var isPrimary: Bool
        /// When it was made.
        public var createdAt: Date
        /// When it was retired, if it was.
        public var retiredAt: Date?
    }

    /// Orders held.
    public var orders: Int
    /// Distinct buyers held.
    public var buyers: Int
    /// Order lines held.
    public var items: Int
    /// Orders whose PII was purged or erased.
    public var ordersWithPIIRemoved: Int
    /// Orders per status.
    public var ordersByStatus: [OrderStatus: Int]
    /// Data key versions.
    public var keys: [KeyVersion]
    /// The vault's identifier.
    public var vaultID: String
    /// The libsodium in use.
    public var sodiumVersion: String
}

extension DatabaseError {
    /// The error without SQL arguments (which may be ciphertext or digests): code and message only.
    var redactedDescription: String {
        "SQLite error \(resultCode.rawValue): \(message ?? "unknown")"
    }
}

/// The C library's `close(2)` (inside `Vault`, `close` is ``Vault/close()``).
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
