import Foundation
import GRDB
import Synchronization

/// Writes an import's orders through its own connection, in transactions that each hold the
/// vault's write lock for about ``WriteLock/holdBudget``.
///
/// A transaction spans as many orders as fit in its budget (at full speed, thousands: each
/// random-key index page is then written once per transaction, not once per order); it is
/// committed between two whole orders, so a commit never splits one. If the import stops early,
/// what was written so far is committed (or, after a database error, rolled back) by
/// ``finish(commit:)``.
final class BulkOrderWriter: Sendable {
    private let queue: DatabaseQueue
    private let makeSealer: @Sendable () -> OrderSealer
    private let file: URL
    private let busyTimeout: Duration
    private let hold = Mutex(LockHold())
    /// Orders written between two looks at the clock.
    private static let slice = 128

    init(queue: DatabaseQueue, sealer: @escaping @Sendable () -> OrderSealer, file: URL, busyTimeout: Duration) {
        self.queue = queue
        self.makeSealer = sealer
        self.file = file
        self.busyTimeout = busyTimeout
    }

    /// The longest time one of this writer's transactions held the write lock.
    var longestHold: Duration { self.hold.withLock { $0.longest } }

    /// Writes `prepared` inside the open transaction (beginning one if needed), committing and
    /// yielding the lock whenever the transaction's budget is spent. A database error rolls the open
    /// transaction back.
    func write(_ prepared: [PreparedOrder], now: Date) async throws -> StoreSummary {
        let sealer = makeSealer
        do {
            return try await queue.writeWithoutTransaction { db in
                let writer = OrderWriter(sealer: sealer(), now: now)
                var summary = StoreSummary()
                var start = prepared.startIndex
                do {
                    while start < prepared.endIndex {
                        if !db.isInsideTransaction {
                            try db.beginTransaction(.immediate)
                            self.hold.withLock { $0.begin() }
                        }
                        let end = min(start + Self.slice, prepared.endIndex)
                        summary.add(try writer.write(prepared[start..<end], in: db))
                        start = end
                        if self.hold.withLock({ $0.isSpent }) {
                            try db.commit()
                            self.hold.withLock { $0.end() }
                            WriteLock.letWaitersInBlocking(self.file)
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

    /// The transaction stays open between two writes (the next chunk is sealed meanwhile), but not
    /// while nothing is written: if the budget runs out before the next write comes (a slow or
    /// starved sealing pass), the open transaction is committed then.
    ///
    /// The deadline is armed on the database thread and runs on a thread of its own, woken by the
    /// kernel: a task (or a Dispatch block) waits for a free thread of its pool, and on a loaded
    /// machine ran seconds late with the transaction still open (measured: 2-6 s holds during the
    /// test suite, against a 200 ms budget).
    private func commitWhenIdle() {
        guard let started = hold.withLock({ $0.started }) else { return }
        let remaining = WriteLock.holdBudget - (ContinuousClock.now - started)
        let thread = Thread { [self] in
            if remaining > .zero { Thread.sleep(forTimeInterval: Double(remaining / .microseconds(1)) / 1e6) }
            try? queue.writeWithoutTransaction { db in
                guard db.isInsideTransaction, self.hold.withLock({ $0.started == started }) else { return }
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
