internal import CSodium

/// The audit chain's hash: `hash = BLAKE2b-256("bg.audit.v1" || prev_hash || canonical entry)`.
///
/// Canonical entry bytes, for the columns in ``AuditColumns/hashed`` order: `seq` and `time_ms`
/// as 8-byte big-endian integers; each text column as a 4-byte big-endian length and its UTF-8
/// bytes, or `FF FF FF FF` for NULL; each integer column as `01` and 8 bytes, or `00` for NULL;
/// then each optional trailing column (`identity`, `explanation`) as its position (`01`, `02`) and
/// its text when set, nothing when NULL.
/// Unkeyed, so anyone can recompute it; the signed checkpoints are what an attacker cannot redo.
struct AuditHasher {
    private let memory: UnsafeMutableRawPointer
    private var state: OpaquePointer { OpaquePointer(memory) }

    static let domain = Array("bg.audit.v1".utf8)
    static let genesis = [UInt8](repeating: 0, count: 32)

    init() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
    }

    func deallocate() { memory.deallocate() }

    func begin(previous: UnsafeRawBufferPointer) {
        crypto_generichash_init(state, nil, 0, 32)
        Self.domain.withUnsafeBytes { update($0) }
        update(previous)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        crypto_generichash_update(state, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    func integer(_ value: Int64) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { update($0) }
    }

    func optionalInteger(_ value: Int64?) {
        if let value {
            var bytes: (UInt8, Int64) = (1, value.bigEndian)
            withUnsafeBytes(of: &bytes.0) { update($0) }
            withUnsafeBytes(of: &bytes.1) { update($0) }
        } else {
            var zero: UInt8 = 0
            withUnsafeBytes(of: &zero) { update($0) }
        }
    }

    func text(_ bytes: UnsafeRawBufferPointer?) {
        if let bytes {
            var length = UInt32(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { update($0) }
            update(bytes)
        } else {
            var null = UInt32.max
            withUnsafeBytes(of: &null) { update($0) }
        }
    }

    func text(_ string: String?) {
        guard var string else { return text(nil as UnsafeRawBufferPointer?) }
        string.withUTF8 { text(UnsafeRawBufferPointer($0)) }
    }

    /// A column of ``AuditColumns/optionalTrailingText`` that is not NULL: its position (`01` for the
    /// first), then as a text column. A NULL one adds nothing, so entries written before the column
    /// existed hash as they did.
    func optionalTrailingText(_ string: String, position: Int) {
        var marker = UInt8(position + 1)
        withUnsafeBytes(of: &marker) { update($0) }
        text(string)
    }

    func finish(into output: UnsafeMutableRawBufferPointer) {
        crypto_generichash_final(state, output.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
    }

    func finish() -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        output.withUnsafeMutableBytes { finish(into: $0) }
        return output
    }

    /// The hash of one entry from its fields (the writer's, and ``AuditEntry/recomputedHash()``'s;
    /// the verifier hashes the stored column bytes directly). `texts`: the text columns in order.
    func entryHash(
        previous: [UInt8], sequence: Int64, timeMillis: Int64, texts: [String?], daysSincePurchase: Int?, daysSinceDelivery: Int?,
        details: String?, identity: String?, explanation: String?
    ) -> [UInt8] {
        previous.withUnsafeBytes { begin(previous: $0) }
        integer(sequence)
        integer(timeMillis)
        for value in texts { self.text(value) }
        optionalInteger(daysSincePurchase.map(Int64.init))
        optionalInteger(daysSinceDelivery.map(Int64.init))
        text(details)
        if let identity { optionalTrailingText(identity, position: 0) }
        if let explanation { optionalTrailingText(explanation, position: 1) }
        return finish()
    }
}

extension AuditEntry {
    /// The previous-hash of the first entry: 64 zeros.
    public static let genesisHash = AuditHasher.genesis.hexString

    /// This entry's hash computed again from its fields and ``previousHash`` (hex). Equal to
    /// ``hash`` for an entry as the log wrote it; a reader that is fed entries (a ``MisuseMonitor``)
    /// checks each against it and against the previous entry's hash.
    public func recomputedHash() -> String {
        let hasher = AuditHasher()
        defer { hasher.deallocate() }
        let texts: [String?] = [
            kind, actor, role, purpose, messageKind, caseID, orderID, buyer, fieldsAsked.joined(separator: ","),
            fieldsReleased.joined(separator: ","), decision.rawValue, reason, channel, requestID, orderStatus,
        ]
        let previous = [UInt8](hexString: previousHash) ?? []
        return hasher.entryHash(
            previous: previous, sequence: sequence, timeMillis: Int64((time.timeIntervalSince1970 * 1000).rounded()), texts: texts,
            daysSincePurchase: daysSincePurchase, daysSinceDelivery: daysSinceDelivery, details: details, identity: identity,
            explanation: explanation).hexString
    }
}
