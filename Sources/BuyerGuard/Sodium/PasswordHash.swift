internal import CSodium

/// Argon2id (`crypto_pwhash`), to turn a passphrase into a master key.
enum PasswordHash {
    static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// Work factors. Changing them changes the derived key: a vault keeps the strength it was made with.
    struct Strength: Sendable, Equatable {
        var operations: UInt64
        var memoryBytes: Int

        /// libsodium's MODERATE limits (256 MiB, about a second): the default for real vaults.
        static let moderate = Strength(
            operations: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memoryBytes: Int(crypto_pwhash_MEMLIMIT_MODERATE))
        /// libsodium's INTERACTIVE limits (64 MiB): for tests and constrained hosts.
        static let interactive = Strength(
            operations: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memoryBytes: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
    }

    /// Derives `byteCount` bytes from `passphrase` and `salt` with Argon2id v1.3.
    static func deriveKey(
        passphrase: SecureBytes, salt: [UInt8], strength: Strength, byteCount: Int = 32
    ) throws -> SecureBytes {
        guard salt.count == saltByteCount else {
            throw BuyerGuardError(.invalidArgument, "an Argon2id salt is \(saltByteCount) bytes, got \(salt.count)")
        }
        return try SecureBytes(count: byteCount, lockInMemory: true) { (output) throws in
            let status = passphrase.withUnsafeBytes { password in
                salt.withUnsafeBytes { salt in
                    crypto_pwhash(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(byteCount),
                        password.baseAddress!.assumingMemoryBound(to: CChar.self),
                        UInt64(password.count),
                        salt.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        strength.operations, strength.memoryBytes, crypto_pwhash_ALG_ARGON2ID13)
                }
            }
            guard status == 0 else {
                throw BuyerGuardError(.sodium, "Argon2id ran out of memory (needs \(strength.memoryBytes >> 20) MiB)")
            }
        }
    }
}

/// Fresh random bytes from libsodium (`randombytes_buf`), for salts and identifiers (not secrets).
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
    return bytes
}
