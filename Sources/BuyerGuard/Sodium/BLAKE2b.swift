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
}
