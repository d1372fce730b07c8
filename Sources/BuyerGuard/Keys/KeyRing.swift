import Foundation

/// What a data key is used for. Each role has its own versions and its own primary.
enum KeyRole: String, Sendable, CaseIterable {
    /// Seals contact fields (XChaCha20-Poly1305).
    case field
    /// Keys the blind index of buyer emails and the change digests (keyed BLAKE2b).
    case blindIndex = "blind-index"
    /// Keys the buyer pseudonyms written to the audit log (keyed BLAKE2b of the buyer id).
    case auditPseudonym = "audit-pseudonym"
    /// The Ed25519 seed that signs audit checkpoints.
    case auditSigning = "audit-signing"
}

/// One unwrapped data key: a role, a version and 32 secret bytes.
struct DataKey: Sendable {
    let role: KeyRole
    let version: UInt32
    let secret: SecureBytes
}

/// A data key as stored: wrapped by the master key.
struct WrappedKey: Sendable, Equatable {
    var role: KeyRole
    var version: UInt32
    /// `nonce (24) || ciphertext (32) || tag (16)`.
    var wrapped: Data
    var isPrimary: Bool
    var createdAt: Date
}

/// Keys derived from the master key. The master key itself is used for nothing else.
struct MasterKeySchedule: Sendable {
    /// Wraps and unwraps data keys.
    let wrappingKey: SecureBytes
    /// Proves, without revealing anything, that a master key is the vault's own.
    let checkKey: SecureBytes

    private static let context = KeyDerivation.Context("BGmaster")

    init(_ master: MasterKey) throws {
        try Sodium.ensureInitialized()
        wrappingKey = try KeyDerivation.deriveKey(from: master.secret, id: 1, context: Self.context)
        checkKey = try KeyDerivation.deriveKey(from: master.secret, id: 2, context: Self.context)
    }

    /// The 32-byte key-check value stored in the vault: keyed BLAKE2b over a label and the vault id.
    ///
    /// The label carries the vault's generation: 2 for a vault that keeps records of its log, its
    /// keys and its order links (every vault made or opened by this version), 1 for one from before.
    /// Only the master key makes either, so deleting those records cannot pass a vault off as an
    /// older one that would adopt whatever it finds.
    func keyCheckValue(vaultID: [UInt8], generation: Int = 2) throws -> [UInt8] {
        try BLAKE2b.hash(Array("buyerguard master key check v\(generation)".utf8) + vaultID, key: checkKey)
    }

    /// Keyed BLAKE2b under the check key, for the vault's own records (the audit log's mark).
    func recordMAC(_ label: String, vaultID: [UInt8], _ message: [UInt8]) throws -> [UInt8] {
        try BLAKE2b.hash(Array("bg.\(label).v1|".utf8) + vaultID + [0x7C] + message, key: checkKey)
    }

    /// Associated data binding a wrapped key to its vault, role and version.
    private func wrapAD(vaultID: [UInt8], role: KeyRole, version: UInt32) -> [UInt8] {
        var ad = Array("buyerguard/key/v1|".utf8) + vaultID
        ad += Array("|\(role.rawValue)|".utf8)
        ad += version.bigEndianBytes
        return ad
    }

    func wrap(_ key: DataKey, vaultID: [UInt8]) throws -> Data {
        var nonce = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceByteCount)
        nonce.withUnsafeMutableBytes { XChaCha20Poly1305.randomNonce(into: $0) }
        let ad = wrapAD(vaultID: vaultID, role: key.role, version: key.version)
        var sealed = [UInt8](repeating: 0, count: key.secret.count + XChaCha20Poly1305.tagByteCount)
        try key.secret.withUnsafeBytes { (secret) throws in
            try nonce.withUnsafeBytes { (nonce) throws in
                try ad.withUnsafeBytes { (ad) throws in
                    try sealed.withUnsafeMutableBytes { (out) throws in
                        try XChaCha20Poly1305.seal(secret, key: wrappingKey, nonce: nonce, authenticating: ad, into: out)
                    }
                }
            }
        }
        return Data(nonce + sealed)
    }

    func unwrap(_ stored: WrappedKey, vaultID: [UInt8]) throws -> DataKey {
        let bytes = [UInt8](stored.wrapped)
        let nonceCount = XChaCha20Poly1305.nonceByteCount
        guard bytes.count == nonceCount + 32 + XChaCha20Poly1305.tagByteCount else {
            throw BuyerGuardError(
                .corruptCiphertext, "wrapped \(stored.role.rawValue) key v\(stored.version) has the wrong length (\(bytes.count) bytes)")
        }
        let ad = wrapAD(vaultID: vaultID, role: stored.role, version: stored.version)
        do {
            let secret = try XChaCha20Poly1305.open(
                Array(bytes[nonceCount...]), key: wrappingKey, nonce: Array(bytes[..<nonceCount]), authenticating: ad,
                lockInMemory: true)  // a data key stays in memory for the vault's lifetime: keep it out of swap
            return DataKey(role: stored.role, version: stored.version, secret: secret)
        } catch {
            throw BuyerGuardError(
                .corruptCiphertext,
                "wrapped \(stored.role.rawValue) key v\(stored.version) failed authentication although the master key is right: the key table was altered or damaged")
        }
    }
}

/// The unwrapped data keys of a vault, by role and version, and which version is primary.
///
/// Immutable: a key operation builds a new ring and swaps it in.
struct KeyRing: Sendable {
    private let keys: [KeyRole: [UInt32: DataKey]]
    private let primaryVersions: [KeyRole: UInt32]

    init(keys: [DataKey], primaries: [KeyRole: UInt32]) throws {
        var table: [KeyRole: [UInt32: DataKey]] = [:]
        for key in keys { table[key.role, default: [:]][key.version] = key }
        for role in KeyRole.allCases {
            guard let primary = primaries[role], table[role]?[primary] != nil else {
                throw BuyerGuardError(.corruptCiphertext, "the vault has no primary \(role.rawValue) key")
            }
        }
        self.keys = table
        self.primaryVersions = primaries
    }

    /// The key new data is written with.
    func primary(_ role: KeyRole) -> DataKey {
        keys[role]![primaryVersions[role]!]!
    }

    /// A given version, or an error naming it.
    func key(_ role: KeyRole, version: UInt32) throws -> DataKey {
        guard let key = keys[role]?[version] else {
            throw BuyerGuardError(.unsupportedFormat, "no \(role.rawValue) key v\(version) in this vault (retired or never made)")
        }
        return key
    }

    /// All versions held for `role`, ascending.
    func versions(_ role: KeyRole) -> [UInt32] {
        (keys[role]?.keys).map { $0.sorted() } ?? []
    }
}

extension UInt32 {
    /// The four bytes, most significant first.
    var bigEndianBytes: [UInt8] {
        [UInt8(truncatingIfNeeded: self >> 24), UInt8(truncatingIfNeeded: self >> 16),
         UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)]
    }
}
