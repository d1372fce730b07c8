import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// One SQLite file of a vault folder (`vault.sqlite` or `audit.sqlite`), as BuyerGuard uses it:
/// every database error comes out as a ``BuyerGuardError`` that names the file, and a writer
/// that finds the write lock taken waits for it fairly (see ``WriteLock``).
struct DatabaseFile: Sendable {
    let pool: DatabasePool
    let url: URL
    let busyTimeout: Duration

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.writeWithoutTransaction(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.writeWithoutTransaction(body) } catch let error as DatabaseError { throw mapped(error) }
    }

    func mapped(_ error: DatabaseError) -> BuyerGuardError {
        BuyerGuardError(database: error, file: url, busyTimeout: busyTimeout)
    }
}

extension BuyerGuardError {
    /// A database failure of `file`: ``Code/busy`` when another connection kept the write lock past
    /// the timeout, ``Code/storage`` otherwise. The message never carries bound values.
    init(database error: DatabaseError, file: URL, busyTimeout: Duration, doing action: String? = nil) {
        let name = file.lastPathComponent
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            let seconds = Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18
            self.init(
                .busy,
                "\(name) is busy: another process or connection held its write lock for more than \(seconds.formatted()) s, "
                    + "so \(action ?? "this request") changed nothing. Try again; if it keeps happening, look for a stuck "
                    + "process that has this vault open (a BuyerGuard job lets a waiting writer in within about "
                    + "\(WriteLock.holdBudget / .milliseconds(1)) ms)",
                location: file.path, underlying: error.redactedDescription)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            self.init(
                .storage,
                "\(action.map { "could not \($0): " } ?? "")\(name) cannot be written: \(SQLiteFiles.blockingFiles(of: file))",
                location: file.path, underlying: error.redactedDescription)
        default:
            self.init(.storage, action.map { "could not \($0)" } ?? "the database \(name) failed", location: file.path,
                      underlying: error.redactedDescription)
        }
    }
}

/// How BuyerGuard shares SQLite's single write lock between long jobs (import, rotation, purge,
/// erasure) and everyone else (the app's broker and stores, the CLI's order commands).
///
/// A long job commits once a transaction has held the lock for ``holdBudget``. Then, before it
/// takes the lock again, it lets every waiting writer in first: a writer that finds the lock taken
/// holds a shared `flock` on the database's `-waiters` file until its own transaction ends, and
/// the job waits until it can lock that file exclusively (at most ``waiterBound``). So another
/// writer waits about one budget, at any load and any vault size; timing alone (a pause after each
/// commit) is not enough on a loaded machine, where a sleeping waiter can miss every pause.
enum WriteLock {
    /// How long a long job's transaction may hold the write lock before it commits (an import:
    /// before it commits if another writer waits).
    static let holdBudget: Duration = .milliseconds(200)
    /// How long an import's transaction may hold the write lock while no other writer signals a
    /// wait. Longer transactions rewrite each random-key index page less often (a 600k-row import
    /// wrote 3.8 GB at 200 ms per transaction); a writer that does not signal (a foreign SQLite
    /// client) waits at most this long.
    static let uncontendedHoldCap: Duration = .seconds(1)
    /// How long a long job leaves the lock free after each commit even when nobody waits.
    static let yield: Duration = .milliseconds(2)
    /// The longest a long job waits for waiting writers to finish before it goes on.
    static let waiterBound: Duration = .seconds(2)

    static func waitersFile(of database: URL) -> String { database.path + "-waiters" }

    /// Installs, on a connection that writes, the busy handler that polls every millisecond and
    /// signals its wait, and the observer that ends the signal with the transaction.
    /// `waiter` is the connection's own, when its owner needs it (see ``LockWaiter/transactionBegan()``).
    static func install(on db: Database, timeout: Duration, waiter given: LockWaiter? = nil) {
        guard !db.configuration.readonly, let connection = db.sqliteConnection,
              let name = sqlite3_db_filename(connection, "main"), name.pointee != 0 else { return }
        let waiter = given ?? LockWaiter(path: waitersFile(of: URL(fileURLWithPath: String(cString: name))), timeout: timeout)
        db.add(transactionObserver: waiter, extent: .databaseLifetime)
        sqlite3_busy_handler(connection, { context, tries in
            Unmanaged<LockWaiter>.fromOpaque(context!).takeUnretainedValue().busy(tries: Int(tries)) ? 1 : 0
        }, Unmanaged.passUnretained(waiter).toOpaque())
    }

    /// After a long job's commit: a short pause, then wait (bounded) until no writer signals a wait.
    static func letWaitersIn(_ database: URL) async {
        try? await Task.sleep(for: yield)
        let probe = WaiterProbe(database: database)
        let started = ContinuousClock.now
        while probe.othersWait, ContinuousClock.now - started < waiterBound {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// ``letWaitersIn(_:)`` for a caller on a database thread (`probe`: the caller's own, if it keeps one).
    static func letWaitersInBlocking(_ database: URL, probe given: WaiterProbe? = nil) {
        usleep(UInt32(yield / .microseconds(1)))
        let probe = given ?? WaiterProbe(database: database)
        let started = ContinuousClock.now
        while probe.othersWait, ContinuousClock.now - started < waiterBound { usleep(1000) }
    }
}

/// One writing connection's wait for the lock: polls every millisecond until its timeout, holding
/// a shared lock on the `-waiters` file from its first busy call until its transaction ends.
final class LockWaiter: TransactionObserver, @unchecked Sendable {
    private let path: String
    private let timeout: Duration
    private var fd: Int32 = -1
    private var signalled = false
    private var started = ContinuousClock.now

    init(path: String, timeout: Duration) {
        self.path = path
        self.timeout = timeout
    }

    deinit { if fd >= 0 { close(fd) } }

    /// SQLite's busy callback (on the connection's thread): `true` to try again.
    func busy(tries: Int) -> Bool {
        if tries == 0 { started = ContinuousClock.now }
        if !signalled {
            if fd < 0 { fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }
            // Fails only while a job looks for waiters (an instant): then signal on the next try.
            if fd >= 0, flock(fd, LOCK_SH | LOCK_NB) == 0 { signalled = true }
        }
        if ContinuousClock.now - started >= timeout {
            end()
            return false
        }
        usleep(1000)
        return true
    }

    /// The connection's transaction has the lock: its wait is over. A long job that looks for
    /// waiters during its own transaction calls this, so as not to count itself.
    func transactionBegan() { end() }

    private func end() {
        if signalled {
            flock(fd, LOCK_UN)
            signalled = false
        }
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { end() }
    func databaseDidRollback(_ db: Database) { end() }
}

/// Tells a long job whether another writer waits for the lock: a waiter holds a shared `flock` on
/// the database's `-waiters` file (see ``LockWaiter``), so an exclusive try fails. Safe to use
/// from several threads: its file descriptor is only used under a lock.
final class WaiterProbe: Sendable {
    private let fd: Mutex<Int32>

    init(database: URL) {
        fd = Mutex(open(WriteLock.waitersFile(of: database), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600))
    }

    deinit { fd.withLock { if $0 >= 0 { close($0) } } }

    /// Whether some other connection signals a wait right now (a file that cannot be opened: no).
    var othersWait: Bool {
        fd.withLock { fd in
            guard fd >= 0 else { return false }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
            flock(fd, LOCK_UN)
            return false
        }
    }
}

/// A long job's clock for the transaction it holds open: says when the budget is spent, and keeps
/// the longest hold (reported in the job's log line and benchmarks).
struct LockHold: Sendable {
    private(set) var started: ContinuousClock.Instant?
    /// The longest time one transaction of this job held the write lock.
    private(set) var longest: Duration = .zero

    /// A transaction began.
    mutating func begin() { started = ContinuousClock.now }

    /// Whether the open transaction has used its budget.
    var isSpent: Bool { held.map { $0 >= WriteLock.holdBudget } ?? false }

    /// How long the open transaction has held the lock (`nil`: none is open).
    var held: Duration? { started.map { ContinuousClock.now - $0 } }

    /// Whether an import commits a transaction that has held the lock for `held`: once the budget is
    /// spent if another writer waits, and at `cap` (``WriteLock/uncontendedHoldCap``) in any case.
    static func isDue(held: Duration, cap: Duration, othersWait: () -> Bool) -> Bool {
        held >= cap || (held >= WriteLock.holdBudget && othersWait())
    }

    /// The transaction ended.
    mutating func end() {
        if let started { longest = max(longest, ContinuousClock.now - started) }
        started = nil
    }

    /// Folds another hold's longest into this one.
    mutating func merge(_ other: LockHold) { longest = max(longest, other.longest) }
}

/// The files SQLite keeps beside a database, and which of them this process may not write.
enum SQLiteFiles {
    static func companions(of file: URL) -> [URL] {
        [file, URL(fileURLWithPath: file.path + "-wal"), URL(fileURLWithPath: file.path + "-shm")]
    }

    /// Before opening: a `-wal` or `-shm` that SQLite created read-only (it copies the database's
    /// mode, so a database once at 0444 leaves them at 0444) is made 0600 again when the database
    /// itself is writable and this user owns them, so fixing the database's mode is enough.
    static func repairCompanionModes(of file: URL) {
        guard access(file.path, W_OK) == 0 else { return }
        for companion in companions(of: file).dropFirst() {
            var info = stat()
            guard lstat(companion.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid(),
                  access(companion.path, W_OK) != 0 else { continue }
            chmod(companion.path, 0o600)
        }
    }

    /// A sentence naming every file of the database this process cannot write, and what to do.
    static func blockingFiles(of file: URL) -> String {
        var blocked: [String] = []
        let folder = file.deletingLastPathComponent().path
        if access(folder, W_OK) != 0 { blocked.append("\(folder)/ (the folder)") }
        for companion in companions(of: file) where FileManager.default.fileExists(atPath: companion.path) {
            if access(companion.path, W_OK) != 0 { blocked.append(companion.lastPathComponent) }
        }
        if blocked.isEmpty { return "the disk may be full or read-only" }
        return "no write permission on \(blocked.joined(separator: ", ")); give the vault's user write access to each (chmod u+w)"
    }
}
