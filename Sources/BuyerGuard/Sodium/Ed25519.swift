internal import CSodium

/// Ed25519 signatures (`crypto_sign_detached`), for signed audit checkpoints.
enum Ed25519 {
    static let publicKeyByteCount = Int(crypto_sign_PUBLICKEYBYTES)
    static let secretKeyByteCount = Int(crypto_sign_SECRETKEYBYTES)
    static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    static let signatureByteCount = Int(crypto_sign_BYTES)

    /// A key pair from a 32-byte seed: the secret key wipes itself, the public key is plain bytes.
    static func keyPair(seed: SecureBytes) throws -> (secretKey: SecureBytes, publicKey: [UInt8]) {
        guard seed.count == seedByteCount else {
            throw BuyerGuardError(.invalidArgument, "an Ed25519 seed is 32 bytes, got \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: publicKeyByteCount)
        let secretKey = try SecureBytes(count: secretKeyByteCount, lockInMemory: true) { (secret) throws in
            let status = seed.withUnsafeBytes { seed in
                publicKey.withUnsafeMutableBytes { pk in
                    crypto_sign_seed_keypair(
                        pk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard status == 0 else { throw BuyerGuardError(.sodium, "Ed25519 key generation failed") }
        }
        return (secretKey, publicKey)
    }

    /// A detached 64-byte signature of `message`.
    static func sign(_ message: [UInt8], secretKey: SecureBytes) throws -> [UInt8] {
        guard secretKey.count == secretKeyByteCount else {
            throw BuyerGuardError(.invalidArgument, "an Ed25519 secret key is 64 bytes, got \(secretKey.count)")
        }
        var signature = [UInt8](repeating: 0, count: signatureByteCount)
        let status = secretKey.withUnsafeBytes { sk in
            message.withUnsafeBytes { m in
                signature.withUnsafeMutableBytes { sig in
                    crypto_sign_detached(
                        sig.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                        m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                        sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw BuyerGuardError(.sodium, "Ed25519 signing failed") }
        return signature
    }

    /// Whether `signature` is a valid signature of `message` by `publicKey`.
    /// Wrong lengths are simply invalid; libsodium rejects non-canonical and small-order encodings.
    static func isValidSignature(_ signature: [UInt8], for message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureByteCount, publicKey.count == publicKeyByteCount else { return false }
        guard (try? Sodium.ensureInitialized()) != nil else { return false }
        return signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { m in
                publicKey.withUnsafeBytes { pk in
                    crypto_sign_verify_detached(
                        sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                        pk.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }
}
