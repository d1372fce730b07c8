import Foundation
import GRDB
import Synchronization
import Testing
@testable import BuyerGuard

/// How an import decides to end a transaction: at the budget if another writer signals a wait,
/// at the cap in any case; and the signal it reads, on real SQLite connections.
@Suite struct WriteLockTests {
    @Test func aTransactionIsDueAtTheBudgetIfSomeoneWaitsAndAtTheCapAlways() {
        let cap = Duration.seconds(1)
        #expect(!LockHold.isDue(held: WriteLock.holdBudget / 2, cap: cap, othersWait: { true }))
        #expect(LockHold.isDue(held: WriteLock.holdBudget, cap: cap, othersWait: { true }))
        #expect(!LockHold.isDue(held: WriteLock.holdBudget * 2, cap: cap, othersWait: { false }))
        #expect(LockHold.isDue(held: cap, cap: cap, othersWait: { false }))
    }

    /// Waits (without a time limit that depends on the machine's speed, only a generous bound)
    /// until `condition` holds.
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        let started = ContinuousClock.now
        while !condition() {
            if ContinuousClock.now - started > .seconds(60) { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// A job's own connection waited for the lock too (and signalled): once its transaction has
    /// begun, that signal must end, or the job would take itself for a waiter and commit every
    /// 200 ms. Another writer that waits while the job holds the lock is seen.
    @Test func theProbeSeesAnotherWriterWaitingButNotTheJobItself() async throws {
        let test = try await TestVault.make()
        let url = Vault.databaseURL(in: test.vaultFolder)
        let probe = WaiterProbe(database: url)
        #expect(!probe.othersWait)

        var holding = Vault.makeConfiguration(VaultConfiguration(), label: "test-holder")
        holding.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: url.path, configuration: holding)
        let ownWait = LockWaiter(path: WriteLock.waitersFile(of: url), timeout: .seconds(60))
        var jobs = Vault.makeConfiguration(VaultConfiguration(), label: "test-job", lockWaiter: ownWait)
        jobs.allowsUnsafeTransactions = true
        let job = try DatabaseQueue(path: url.path, configuration: jobs)

        // Someone else holds the lock; the job's BEGIN waits, and signals.
        try await holder.writeWithoutTransaction { try $0.beginTransaction(.immediate) }
        let begun = Mutex(false)
        let jobBegins = Task.detached {
            try await job.writeWithoutTransaction { db in
                try db.beginTransaction(.immediate)
                ownWait.transactionBegan()
            }
            begun.withLock { $0 = true }
        }
        #expect(try await eventually { probe.othersWait })
        try await holder.writeWithoutTransaction { try $0.commit() }
        try await jobBegins.value
        #expect(begun.withLock { $0 })
        #expect(!probe.othersWait, "the job counts its own, finished wait")

        // An app's write while the job holds the lock: seen; gone once the app has written.
        let storing = Task { try await test.vault.store([try .sample("409-0000001-0000001")], actor: "test") }
        #expect(try await eventually { probe.othersWait })
        try await job.writeWithoutTransaction { try $0.commit() }
        _ = try await storing.value
        #expect(!probe.othersWait)
    }
}
