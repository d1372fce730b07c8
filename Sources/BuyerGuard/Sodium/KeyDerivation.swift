internal import CSodium

/// libsodium's `crypto_kdf` (BLAKE2b-based): independent subkeys from one master key.
enum KeyDerivation {
    /// An 8-character context string, as libsodium requires.
    struct Context: Sendable {
        let bytes: [CChar]
        init(_ text: StaticString) {
            precondition(text.utf8CodeUnitCount == Int(crypto_kdf_CONTEXTBYTES), "a KDF context is 8 bytes")
            bytes = text.withUTF8Buffer { Array($0).map { CChar(bitPattern: $0) } } + [0]
        }
    }

    /// Derives subkey number `id` of `byteCount` bytes for `context`.
    static func deriveKey(
        from key: SecureBytes, id: UInt64, context: Context, byteCount: Int = 32
    ) throws -> SecureBytes {
        guard key.count == Int(crypto_kdf_KEYBYTES) else {
            throw BuyerGuardError(.invalidArgument, "crypto_kdf needs a 32-byte key, got \(key.count)")
        }
        return try SecureBytes(count: byteCount, lockInMemory: true) { (subkey) throws in
            let status = key.withUnsafeBytes { key in
                context.bytes.withUnsafeBufferPointer { context in
                    crypto_kdf_derive_from_key(
                        subkey.baseAddress!.assumingMemoryBound(to: UInt8.self), byteCount, id,
                        context.baseAddress!, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard status == 0 else { throw BuyerGuardError(.sodium, "key derivation failed") }
        }
    }
}
