import Foundation
import GRDB
import Synchronization

/// Writes an import's orders through its own connection, in transactions that each hold the
/// vault's write lock for about ``WriteLock/holdBudget`` when another writer waits, and up to
/// ``WriteLock/uncontendedHoldCap`` when none does.
///
/// A transaction spans as many orders as fit in its time (at full speed, thousands: each
/// random-key index page is then written once per transaction, not once per order); it is
/// committed between two whole orders, so a commit never splits one. Every ``slice`` orders the
/// writer looks at the clock and, once the budget is spent, at the `-waiters` file (see
/// ``WaiterProbe``). If the import stops early, what was written so far is committed (or, after a
/// database error, rolled back) by ``finish(commit:)``.
final class BulkOrderWriter: Sendable {
    private let queue: DatabaseQueue
    private let makeSealer: @Sendable () -> OrderSealer
    private let file: URL
    private let busyTimeout: Duration
    /// The connection's own wait signal, ended when its transaction begins (so the probe does not
    /// count this writer as a waiter).
    private let ownWait: LockWaiter
    private let probe: WaiterProbe
    /// How long a transaction may hold the lock while nobody waits (tests make it long).
    private let uncontendedHoldCap: Duration
    private let hold = Mutex(LockHold())
    /// Bumped when a write begins: an idle commit armed by an earlier write then stands down.
    private let writes = Atomic<Int>(0)
    /// Orders written between two looks at the clock.
    private static let slice = 128
    /// How often an idle writer looks whether to commit.
    private static let idlePoll: Duration = .milliseconds(10)

    init(
        queue: DatabaseQueue, ownWait: LockWaiter, uncontendedHoldCap: Duration, sealer: @escaping @Sendable () -> OrderSealer,
        file: URL, busyTimeout: Duration
    ) {
        self.queue = queue
        self.uncontendedHoldCap = uncontendedHoldCap
        self.ownWait = ownWait
        self.probe = WaiterProbe(database: file)
        self.makeSealer = sealer
        self.file = file
        self.busyTimeout = busyTimeout
    }

    /// The longest time one of this writer's transactions held the write lock.
    var longestHold: Duration { self.hold.withLock { $0.longest } }

    /// Writes `prepared` inside the open transaction (beginning one if needed), committing and
    /// yielding the lock whenever the transaction is due (``LockHold/isDue(held:cap:othersWait:)``).
    /// A database error rolls the open transaction back.
    func write(_ prepared: [PreparedOrder], now: Date) async throws -> StoreSummary {
        let sealer = makeSealer
        do {
            return try await queue.writeWithoutTransaction { db in
                self.writes.add(1, ordering: .sequentiallyConsistent)
                let writer = OrderWriter(sealer: sealer(), now: now)
                var summary = StoreSummary()
                var start = prepared.startIndex
                do {
                    while start < prepared.endIndex {
                        if !db.isInsideTransaction {
                            try db.beginTransaction(.immediate)
                            self.ownWait.transactionBegan()
                            self.hold.withLock { $0.begin() }
                        }
                        let end = min(start + Self.slice, prepared.endIndex)
                        summary.add(try writer.write(prepared[start..<end], in: db))
                        start = end
                        if let held = self.hold.withLock({ $0.held }), LockHold.isDue(held: held, cap: self.uncontendedHoldCap, othersWait: { self.probe.othersWait }) {
                            try db.commit()
                            self.hold.withLock { $0.end() }
                            WriteLock.letWaitersInBlocking(self.file, probe: self.probe)
                        }
                    }
                    // Armed here, on the database thread: after `await`, the caller resumes only
                    // when the task pool has a free thread, which on a loaded machine was seconds.
                    self.commitWhenIdle()
                    return summary
                } catch {
                    if db.isInsideTransaction { try? db.rollback() }
                    self.hold.withLock { $0.end() }
                    throw error
                }
            }
        } catch let error as DatabaseError {
            throw BuyerGuardError(database: error, file: file, busyTimeout: busyTimeout, doing: "store \(prepared.count) orders")
        }
    }

    /// The transaction stays open between two writes (the next chunk is sealed meanwhile), and is
    /// committed by the same rule as during a write: if it becomes due before the next write comes
    /// (another writer waits, or the cap is reached during a slow or starved sealing pass).
    ///
    /// The watch runs on a thread of its own, woken by the kernel: a task (or a Dispatch block)
    /// waits for a free thread of its pool, and on a loaded machine ran seconds late with the
    /// transaction still open (measured: 2-6 s holds during the test suite, against a 200 ms budget).
    private func commitWhenIdle() {
        guard hold.withLock({ $0.started }) != nil else { return }
        let armedBy = writes.load(ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: Double(Self.idlePoll / .microseconds(1)) / 1e6)
                guard writes.load(ordering: .sequentiallyConsistent) == armedBy, let held = hold.withLock({ $0.held }) else { return }
                if LockHold.isDue(held: held, cap: uncontendedHoldCap, othersWait: { probe.othersWait }) { break }
            }
            try? queue.writeWithoutTransaction { db in
                // A write that began meanwhile has its own watch.
                guard db.isInsideTransaction, self.writes.load(ordering: .sequentiallyConsistent) == armedBy else { return }
                try db.commit()
                self.hold.withLock { $0.end() }
            }
        }
        thread.name = "buyerguard.import-idle-commit"
        thread.start()
    }

    /// Ends the open transaction, if any: commits it, or rolls it back. Then closes the connection.
    func finish(commit: Bool) async throws {
        do {
            try await queue.writeWithoutTransaction { db in
                if db.isInsideTransaction {
                    if commit { try db.commit() } else { try db.rollback() }
                    self.hold.withLock { $0.end() }
                }
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw BuyerGuardError(database: error, file: file, busyTimeout: busyTimeout, doing: "finish the import")
        }
    }
}
