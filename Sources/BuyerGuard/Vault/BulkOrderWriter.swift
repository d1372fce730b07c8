import Foundation
import GRDB

/// Writes an import's orders through its own connection, committing every so many orders.
///
/// Every batch holds whole orders, so a commit never splits one; if the import stops early, what
/// was written so far is committed (or, after a database error, rolled back) by ``finish(commit:)``.
final class BulkOrderWriter: Sendable {
    private let queue: DatabaseQueue
    private let makeSealer: @Sendable () -> OrderSealer
    private let folder: URL

    init(queue: DatabaseQueue, sealer: @escaping @Sendable () -> OrderSealer, folder: URL) {
        self.queue = queue
        self.makeSealer = sealer
        self.folder = folder
    }

    /// Writes `prepared` inside the open transaction (beginning one if needed); commits afterwards
    /// when `commit` is set. A database error rolls the open transaction back.
    func write(_ prepared: [PreparedOrder], commit: Bool, now: Date = Date()) async throws -> StoreSummary {
        let sealer = makeSealer
        do {
            return try await queue.writeWithoutTransaction { db in
                if !db.isInsideTransaction { try db.beginTransaction(.immediate) }
                do {
                    let summary = try OrderWriter(sealer: sealer(), now: now).write(prepared, in: db)
                    if commit { try db.commit() }
                    return summary
                } catch {
                    if db.isInsideTransaction { try? db.rollback() }
                    throw error
                }
            }
        } catch let error as DatabaseError {
            throw BuyerGuardError(.storage, "could not store \(prepared.count) orders", location: folder.path,
                                  underlying: error.redactedDescription)
        }
    }

    /// Ends the open transaction, if any: commits it, or rolls it back. Then closes the connection.
    func finish(commit: Bool) async throws {
        try await queue.writeWithoutTransaction { db in
            if db.isInsideTransaction {
                if commit { try db.commit() } else { try db.rollback() }
            }
        }
        try queue.close()
    }
}
