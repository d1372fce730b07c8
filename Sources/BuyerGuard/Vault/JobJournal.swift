import Foundation
import GRDB

/// Every change to the vault and its audit event, all-or-nothing across a crash.
///
/// A change lives in `vault.sqlite` and its event in `audit.sqlite`: two files, two commits, and a
/// process killed between them used to leave the change with no event (an erasure with no `erase`
/// entry). So every job runs journaled:
///
/// 1. a row in `jobs` (vault.sqlite) names the job, its actor and an intent id, and the job holds
///    an exclusive `flock` on `vault.sqlite-job-<intent>` while it runs;
/// 2. a `job-started` event carrying the intent is made durable before anything changes;
/// 3. the job changes the vault;
/// 4. its own event (`erase`, `purge`, `import`, `order-shipped`, ...) carries the same intent;
/// 5. the row is deleted.
///
/// Whenever the vault is opened, a row whose lock nobody holds belongs to a job that died: if its
/// closing event is in the log, the row is just removed; otherwise a `job-interrupted` event says
/// which job it was and what the vault shows now. So every committed change has an event before
/// it (`job-started`) and one after it (its own, or `job-interrupted`), and the log says which.
enum JobJournal {
    static func lockPath(folder: URL, intent: String) -> String {
        Vault.databaseURL(in: folder).path + "-job-" + intent
    }

    /// Takes the job's lock (a live job holds it; recovery takes it to claim a dead one).
    static func lock(folder: URL, intent: String) -> Int32? {
        let fd = open(lockPath(folder: folder, intent: intent), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func unlock(_ fd: Int32, folder: URL, intent: String) {
        unlink(lockPath(folder: folder, intent: intent))
        close(fd)
    }
}

extension Vault {
    /// Runs `work` as one journaled job (see ``JobJournal``): `job-started` first, then the work,
    /// then `kind` with the details `work` returns. A job that fails (an error, not a kill) is closed
    /// by a `job-interrupted` event with the error's code.
    func journaled<T: Sendable>(
        _ kind: AuditEventKind, actor: String, orderID: OrderID? = nil, channel: AccessChannel,
        intentDetails: [String: String] = [:], _ work: () async throws -> (T, [String: String])
    ) async throws -> T {
        try AuditText.requirePrintable(actor, as: "actor")  // every job's actor, whichever command or API it came from
        let intent = randomBytes(8).hexString
        guard let lock = JobJournal.lock(folder: folder, intent: intent) else {
            throw BuyerGuardError(.io, "cannot create the job's lock file", location: JobJournal.lockPath(folder: folder, intent: intent))
        }
        defer { JobJournal.unlock(lock, folder: folder, intent: intent) }
        let detailsJSON = String(decoding: try JSONSerialization.data(withJSONObject: intentDetails, options: [.sortedKeys]), as: UTF8.self)
        let now = Int64((clock.now.timeIntervalSince1970 * 1000).rounded(.down))
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO jobs (intent, kind, actor, channel, order_id, details, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [intent, kind.rawValue, actor, channel.rawValue, orderID?.rawValue, detailsJSON, now])
        }
        try await auditLog.recordEvent(.jobStarted, actor: actor, orderID: orderID, channel: channel,
                                       details: intentDetails.merging(["job": kind.rawValue, "intent": intent]) { $1 })
        let result: T
        let details: [String: String]
        do {
            (result, details) = try await work()
        } catch {
            let code = (error as? BuyerGuardError)?.code.description ?? "error"
            _ = try? await auditLog.recordEvent(.jobInterrupted, actor: actor, orderID: orderID, channel: channel,
                                            details: ["job": kind.rawValue, "intent": intent, "error": code], reason: "failed")
            try? await database.write { db in try db.execute(sql: "DELETE FROM jobs WHERE intent = ?", arguments: [intent]) }
            throw error
        }
        try await auditLog.recordEvent(kind, actor: actor, orderID: orderID, channel: channel,
                                       details: details.merging(["intent": intent]) { $1 })
        try await database.write { db in try db.execute(sql: "DELETE FROM jobs WHERE intent = ?", arguments: [intent]) }
        return result
    }

    /// Closes the jobs whose process died (called when the vault is opened).
    func recoverInterruptedJobs() async throws {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT intent, kind, actor, channel, order_id, details, started_ms FROM jobs ORDER BY started_ms")
                .map { row in
                    (intent: row["intent"] as String, kind: row["kind"] as String, actor: row["actor"] as String,
                     channel: row["channel"] as String, orderID: row["order_id"] as String?, details: row["details"] as String?,
                     started: row["started_ms"] as Int64)
                }
        }
        for job in rows {
            guard let lock = JobJournal.lock(folder: folder, intent: job.intent) else { continue }  // still running
            defer { JobJournal.unlock(lock, folder: folder, intent: job.intent) }
            let needle = "%\"intent\":\"\(job.intent)\"%"
            let closed = try await auditLog.database.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entries WHERE time_ms >= ? AND kind IN (?, ?) AND details LIKE ?)",
                                  arguments: [job.started, job.kind, AuditEventKind.jobInterrupted.rawValue, needle]) ?? false
            }
            if !closed {
                var details = ["job": job.kind, "intent": job.intent, "found": "when the vault was next opened"]
                let orderID = job.orderID.flatMap { try? OrderID($0) }
                details.merge(try await interruptedJobState(kind: job.kind, orderID: orderID, details: job.details)) { $1 }
                try await auditLog.recordEvent(.jobInterrupted, actor: job.actor, orderID: orderID,
                                               channel: AccessChannel(rawValue: job.channel) ?? .library, details: details, reason: "interrupted")
            }
            try await database.write { db in try db.execute(sql: "DELETE FROM jobs WHERE intent = ?", arguments: [job.intent]) }
            logger.notice("closed a job that was interrupted", metadata: ["job": "\(job.kind)", "intent": "\(job.intent)"])
        }
        // A job killed just before its row was written, or just after it was deleted, leaves only
        // its lock file: nothing to record (nothing changed without a row), only a file to remove.
        let prefix = Vault.databaseFileName + "-job-"
        let known = Set(rows.map(\.intent))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
            let intent = String(name.dropFirst(prefix.count))
            guard !known.contains(intent), let lock = JobJournal.lock(folder: folder, intent: intent) else { continue }
            JobJournal.unlock(lock, folder: folder, intent: intent)
        }
    }

    /// What the vault shows of an interrupted job: the order's status now, how many of an erased
    /// buyer's orders still hold PII, whether a rotation waits to be resumed.
    private func interruptedJobState(kind: String, orderID: OrderID?, details: String?) async throws -> [String: String] {
        let recorded = details.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] } ?? [:]
        return try await database.read { db in
            var state: [String: String] = [:]
            if let orderID {
                state["order-status-now"] = try String.fetchOne(db, sql: "SELECT status FROM orders WHERE order_id = ?", arguments: [orderID.rawValue])
            }
            if kind == AuditEventKind.erase.rawValue, let list = recorded["orders"] {
                let ids = list.split(separator: ",").map(String.init)
                let left = try ids.reduce(0) { count, id in
                    count + (try Int.fetchOne(db, sql: "SELECT count(*) FROM orders WHERE order_id = ? AND pii_removed_at IS NULL", arguments: [id]) ?? 0)
                }
                state["orders-with-pii-left"] = "\(left) of \(ids.count)"
            }
            if kind.hasPrefix("key-rotation") {
                state["rotation-in-progress"] = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'rotation'") != nil ? "yes: run keys rotate --resume" : "no"
            }
            return state
        }
    }
}
