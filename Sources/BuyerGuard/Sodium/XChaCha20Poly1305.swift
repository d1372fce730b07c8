internal import CSodium

/// XChaCha20-Poly1305 (IETF), libsodium's `crypto_aead_xchacha20poly1305_ietf_*`.
///
/// Associated data is required: every caller states what the ciphertext is bound to.
/// The sealed form is `ciphertext || tag` (tag: 16 bytes); callers keep the 24-byte nonce
/// beside it. ``FieldCipher`` documents the on-disk layout that wraps this.
enum XChaCha20Poly1305 {
    static let keyByteCount = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// Fills `nonce` with fresh random bytes (24 bytes: random nonces never collide in practice).
    static func randomNonce(into nonce: UnsafeMutableRawBufferPointer) {
        precondition(nonce.count == nonceByteCount)
        randombytes_buf(nonce.baseAddress!, nonceByteCount)
    }

    /// Fills a whole block with random bytes, to be cut into nonces.
    static func randomNonceBlock(into block: UnsafeMutableRawBufferPointer) {
        randombytes_buf(block.baseAddress!, block.count)
    }

    /// Seals `message` into `output` (which must hold `message.count + tagByteCount` bytes).
    static func seal(
        _ message: UnsafeRawBufferPointer,
        key: SecureBytes,
        nonce: UnsafeRawBufferPointer,
        authenticating associatedData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws {
        guard nonce.count == nonceByteCount else {
            throw BuyerGuardError(.invalidArgument, "XChaCha20-Poly1305 needs a 24-byte nonce, got \(nonce.count)")
        }
        guard key.count == keyByteCount else {
            throw BuyerGuardError(.invalidArgument, "XChaCha20-Poly1305 needs a 32-byte key, got \(key.count)")
        }
        precondition(output.count == message.count + tagByteCount)
        var written: UInt64 = 0
        let status = key.withUnsafeBytes { key in
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
                nil,
                nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw BuyerGuardError(.sodium, "XChaCha20-Poly1305 encryption failed") }
    }

    /// Seals `message` with a given nonce and returns `ciphertext || tag`.
    static func seal(
        _ message: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating associatedData: [UInt8]
    ) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: message.count + tagByteCount)
        try message.withUnsafeBytes { (message) throws in
            try nonce.withUnsafeBytes { (nonce) throws in
                try associatedData.withUnsafeBytes { (ad) throws in
                    try output.withUnsafeMutableBytes { (out) throws in
                        try seal(message, key: key, nonce: nonce, authenticating: ad, into: out)
                    }
                }
            }
        }
        return output
    }

    /// Opens `ciphertext || tag`; the plaintext comes back in a buffer that wipes itself.
    ///
    /// - Throws: ``BuyerGuardError/Code/corruptCiphertext`` when the tag does not verify
    ///   (wrong key, altered bytes, other associated data, truncation).
    static func open(
        _ sealed: UnsafeRawBufferPointer,
        key: SecureBytes,
        nonce: UnsafeRawBufferPointer,
        authenticating associatedData: UnsafeRawBufferPointer,
        lockInMemory: Bool = false
    ) throws -> SecureBytes {
        guard nonce.count == nonceByteCount, key.count == keyByteCount else {
            throw BuyerGuardError(.invalidArgument, "XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce")
        }
        guard sealed.count >= tagByteCount else {
            throw BuyerGuardError(.corruptCiphertext, "ciphertext is shorter than its authentication tag")
        }
        let plaintextCount = sealed.count - tagByteCount
        return try SecureBytes(count: plaintextCount, lockInMemory: lockInMemory) { (plaintext) throws in
            var written: UInt64 = 0
            let status = key.withUnsafeBytes { key in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                    nil,
                    sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(sealed.count),
                    associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
                    nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard status == 0 else {
                throw BuyerGuardError(.corruptCiphertext, "ciphertext failed authentication")
            }
        }
    }

    /// Array convenience for ``open(_:key:nonce:authenticating:)``.
    static func open(
        _ sealed: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating associatedData: [UInt8], lockInMemory: Bool = false
    ) throws -> SecureBytes {
        try sealed.withUnsafeBytes { (sealed) throws in
            try nonce.withUnsafeBytes { (nonce) throws in
                try associatedData.withUnsafeBytes { (ad) throws in
                    try open(sealed, key: key, nonce: nonce, authenticating: ad, lockInMemory: lockInMemory)
                }
            }
        }
    }
}
