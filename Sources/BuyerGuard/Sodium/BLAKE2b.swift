internal import CSodium

/// Keyed BLAKE2b (`crypto_generichash`), for blind indexes, pseudonyms, digests and the audit chain.
enum BLAKE2b {
    static let minimumOutputByteCount = Int(crypto_generichash_BYTES_MIN)
    static let maximumOutputByteCount = Int(crypto_generichash_BYTES_MAX)

    /// Hashes `message`, keyed when `key` is given, into `outputByteCount` bytes (16...64).
    static func hash(
        _ message: UnsafeRawBufferPointer, key: SecureBytes?, outputByteCount: Int = 32
    ) throws -> [UInt8] {
        guard (minimumOutputByteCount...maximumOutputByteCount).contains(outputByteCount) else {
            throw BuyerGuardError(.invalidArgument, "BLAKE2b output must be 16 to 64 bytes, got \(outputByteCount)")
        }
        var output = [UInt8](repeating: 0, count: outputByteCount)
        let status: Int32 = output.withUnsafeMutableBytes { out in
            let run = { (keyPointer: UnsafeRawBufferPointer?) -> Int32 in
                crypto_generichash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), outputByteCount,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    keyPointer?.baseAddress?.assumingMemoryBound(to: UInt8.self), keyPointer?.count ?? 0)
            }
            if let key { return key.withUnsafeBytes { run($0) } }
            return run(nil)
        }
        guard status == 0 else { throw BuyerGuardError(.sodium, "BLAKE2b failed (key of \(key?.count ?? 0) bytes)") }
        return output
    }

    /// Array convenience for ``hash(_:key:outputByteCount:)``.
    static func hash(_ message: [UInt8], key: SecureBytes?, outputByteCount: Int = 32) throws -> [UInt8] {
        try message.withUnsafeBytes { (message) throws in
            try hash(message, key: key, outputByteCount: outputByteCount)
        }
    }

    /// Feeds a hash in pieces, so callers need not concatenate (and later wipe) their input.
    struct Updater {
        fileprivate let state: OpaquePointer  // crypto_generichash_state *, 64-byte aligned (Swift cannot import the aligned struct)

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0 else { return }
            crypto_generichash_update(state, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }

        mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Feeds a string's UTF-8 bytes without copying them.
        mutating func update(utf8 text: String) {
            var text = text
            text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Keyed BLAKE2b over whatever `body` feeds in.
    static func hash(key: SecureBytes, outputByteCount: Int = 32, _ body: (inout Updater) throws -> Void) throws -> [UInt8] {
        guard (minimumOutputByteCount...maximumOutputByteCount).contains(outputByteCount) else {
            throw BuyerGuardError(.invalidArgument, "BLAKE2b output must be 16 to 64 bytes, got \(outputByteCount)")
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        defer {
            sodium_memzero(memory, crypto_generichash_statebytes())
            memory.deallocate()
        }
        let state = OpaquePointer(memory)
        let status = key.withUnsafeBytes { key in
            crypto_generichash_init(state, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count, outputByteCount)
        }
        guard status == 0 else { throw BuyerGuardError(.sodium, "BLAKE2b could not start (key of \(key.count) bytes)") }
        var updater = Updater(state: state)
        try body(&updater)
        var output = [UInt8](repeating: 0, count: outputByteCount)
        _ = output.withUnsafeMutableBytes { crypto_generichash_final(state, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), outputByteCount) }
        return output
    }
}
