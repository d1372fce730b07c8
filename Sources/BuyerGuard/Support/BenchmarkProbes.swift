package import Foundation

/// Entry points for this package's own benchmarks (`Benchmarks/`) and tests. `package` access:
/// nothing outside this package can call them (they bypass the broker or write the log directly).
package struct FieldSealingProbe: Sendable {
    private let cipher: FieldCipher
    private let record = RecordID.order(OrderID(validated: "402-1234567-1234567"))

    /// A probe with a fresh random field key, as a new vault would have.
    package init() throws {
        try Sodium.ensureInitialized()
        let ring = try KeyRing(
            keys: KeyRole.allCases.map { DataKey(role: $0, version: 1, secret: SecureBytes(randomCount: 32)) },
            primaries: [.field: 1, .blindIndex: 1])
        cipher = FieldCipher(keyRing: ring)
    }

    /// Seals `plaintext` as an address line, opens it again, and returns the opened byte count.
    package func sealThenOpen(_ plaintext: String) throws -> Int {
        let sealed = try cipher.seal(plaintext, field: .addressLine1, record: record)
        return try cipher.open(sealed, field: .addressLine1, record: record).count
    }
}

extension Vault {
    /// The baseline for the broker benchmarks: one order's shipping fields read and opened, with no
    /// purpose check and no audit entry. Returns the opened byte count.
    package func readShippingFieldsWithoutBroker(_ orderID: OrderID) async throws -> Int {
        guard let state = try accessState(for: orderID) else { return 0 }
        var bytes = 0
        for field in Purpose.shipping.allowedFields {
            guard let stored = state.sealed[field], let sealed = stored else { continue }
            bytes += try cipher.open(sealed, field: field, record: .order(orderID)).count
        }
        return bytes
    }
}

extension AuditLog {
    /// Fills the log with `count` synthetic access entries, in transactions of `batch`, as fast as
    /// the writer allows (for the verify benchmark).
    package func appendSyntheticEntries(_ count: Int, batch: Int = 50_000) async throws {
        var written = 0
        while written < count {
            let size = min(batch, count - written)
            let drafts = (0..<size).map { index in
                AuditDraft(
                    actor: "worker-\(index % 16)", role: "warehouse", purpose: "shipping", orderID: "402-1234567-\(String(format: "%07d", index % 10_000_000))",
                    buyer: "0123456789abcdef0123456789abcdef", fieldsAsked: ["recipient-name", "address-line-1", "city"],
                    fieldsReleased: ["recipient-name", "address-line-1", "city"], decision: .granted, channel: "library",
                    requestID: "r-\(written + index)", orderStatus: "unshipped", daysSincePurchase: 1)
            }
            try await appendCheckpointed(drafts)
            written += size
        }
    }
}

/// An audit entry for a synthetic log (benchmarks, simulations), written with its own time.
package struct SyntheticAuditEntry: Sendable {
    var draft: AuditDraft

    /// An access entry (`decision` granted, denied or failed) or, with `kind` other than
    /// `access`, an event.
    package init(
        time: Date, kind: String = "access", actor: String, role: String? = nil, purpose: String? = nil, messageKind: String? = nil,
        caseID: String? = nil, orderID: String? = nil, buyer: String? = nil, fieldsAsked: [String] = [], fieldsReleased: [String] = [],
        decision: AuditDecision, reason: String? = nil, channel: String? = nil, orderStatus: String? = nil,
        daysSincePurchase: Int? = nil, daysSinceDelivery: Int? = nil, details: String? = nil, explanation: String? = nil
    ) {
        draft = AuditDraft(
            kind: kind, actor: actor, role: role, purpose: purpose, messageKind: messageKind, caseID: caseID, orderID: orderID,
            buyer: buyer, fieldsAsked: fieldsAsked, fieldsReleased: fieldsReleased, decision: decision, reason: reason,
            channel: channel, orderStatus: orderStatus, daysSincePurchase: daysSincePurchase, daysSinceDelivery: daysSinceDelivery,
            details: details, explanation: explanation, time: time)
    }
}

extension AuditLog {
    /// Appends `entries`, chained and hashed like any others, in one transaction.
    package func appendSynthetic(_ entries: [SyntheticAuditEntry]) async throws {
        try await appendCheckpointed(entries.map(\.draft))
    }

    /// Appends in transactions that end where the log's own writer would checkpoint (every
    /// ``checkpointInterval`` entries), and checkpoints there, dated by the last entry: a synthetic
    /// log looks like one the library wrote, to the verifier and the scanner.
    private func appendCheckpointed(_ drafts: [AuditDraft]) async throws {
        let writer = AuditBatchWriter(database: database.pool, clock: clock)
        var start = drafts.startIndex
        while start < drafts.endIndex {
            let signed = lastCheckpoint.withLock { $0.count }
            let room = Int(max(1, Self.checkpointInterval - (try headSequence() - signed)))
            let end = min(drafts.endIndex, start + room)
            let written = try await writer.write(Array(drafts[start..<end]))
            if let last = written.last, last.sequence - signed >= Self.checkpointInterval {
                try await checkpoint(at: last.time)
            }
            start = end
        }
    }
}
