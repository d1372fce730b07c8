import Synchronization

/// Group commit: callers queue their drafts; one drain task writes everything queued so far in a
/// single transaction (one fsync), then resumes every caller with its entry. Under load, many
/// callers share each commit; a lone caller pays one transaction, as it would anyway.
final class AuditAppender: Sendable {
    typealias Write = @Sendable ([AuditDraft]) async throws -> [AuditEntry]

    private struct State {
        var pending: [(AuditDraft, CheckedContinuation<AuditEntry, any Error>)] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let write: Write

    init(write: @escaping Write) {
        self.write = write
    }

    /// Appends one entry; returns once it is durably committed, or throws if it could not be.
    func append(_ draft: AuditDraft) async throws -> AuditEntry {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state -> Bool in
                state.pending.append((draft, continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain {
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state in
                if state.pending.isEmpty {
                    state.draining = false
                    return [(AuditDraft, CheckedContinuation<AuditEntry, any Error>)]()
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            if batch.isEmpty { return }
            do {
                let entries = try await write(batch.map(\.0))
                for (index, waiter) in batch.enumerated() { waiter.1.resume(returning: entries[index]) }
            } catch {
                for waiter in batch { waiter.1.resume(throwing: error) }
            }
        }
    }
}
