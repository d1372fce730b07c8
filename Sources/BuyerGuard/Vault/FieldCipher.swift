import Foundation

/// The record a sealed field belongs to; part of every field's associated data.
struct RecordID: Sendable, Hashable {
    /// The canonical bytes bound into associated data: `b/<32 hex>` or `o/<order id>`.
    let canonicalBytes: [UInt8]

    /// A buyer, by its random 16-byte id.
    static func buyer(_ uid: [UInt8]) -> RecordID {
        RecordID(canonicalBytes: Array("b/".utf8) + Array(uid.hexString.utf8))
    }

    /// An order, by its marketplace id.
    static func order(_ id: OrderID) -> RecordID {
        RecordID(canonicalBytes: Array("o/".utf8) + Array(id.rawValue.utf8))
    }

    /// "a buyer record" or "an order record", for error messages (which never name the record).
    var kindDescription: String { canonicalBytes.first == UInt8(ascii: "b") ? "a buyer record" : "an order record" }
}

/// Random bytes (nonces, buyer ids) drawn from libsodium in blocks rather than one `getrandom`
/// call per field. Each byte is handed out once. Not shared between tasks: each sealer makes its own.
final class RandomBytePool {
    private var pool = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceByteCount * 256)
    private var offset: Int

    init() { offset = pool.count }

    /// Fills `nonce` (at most 24 bytes) with fresh random bytes.
    func fill(_ nonce: UnsafeMutableRawBufferPointer) {
        precondition(nonce.count <= XChaCha20Poly1305.nonceByteCount)
        if offset + nonce.count > pool.count {
            pool.withUnsafeMutableBytes { XChaCha20Poly1305.randomNonceBlock(into: $0) }
            offset = 0
        }
        pool.withUnsafeBytes { nonce.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + nonce.count)])) }
        offset += nonce.count
    }

    /// `count` fresh random bytes (at most 24).
    func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fill($0) }
        return bytes
    }
}

/// Seals and opens contact fields. The only code in BuyerGuard that turns field ciphertext into
/// plaintext; the access broker owns it, and nothing public returns what ``open(_:field:record:)`` gives.
///
/// Layout of a sealed field (see `docs/formats.md`):
///
/// | bytes | content |
/// |---|---|
/// | 0 | format, `0x01` |
/// | 1–4 | field key version, big-endian |
/// | 5–28 | XChaCha20 nonce, 24 random bytes |
/// | 29– | ciphertext (as long as the UTF-8 plaintext), then the 16-byte Poly1305 tag |
///
/// Associated data: `format || version (4, BE) || len(record) || record || len(field) || field`,
/// where `record` is `b/<buyer id hex>` or `o/<order id>` and `field` the ``ContactField`` raw value,
/// lengths as one byte. A ciphertext copied to another record, field or key version fails to open.
struct FieldCipher: Sendable {
    static let format: UInt8 = 0x01
    static let headerByteCount = 1 + 4 + XChaCha20Poly1305.nonceByteCount
    static let overheadByteCount = headerByteCount + XChaCha20Poly1305.tagByteCount

    let keyRing: KeyRing
    /// The key new fields are sealed with, looked up once.
    private let primary: DataKey

    init(keyRing: KeyRing) {
        self.keyRing = keyRing
        self.primary = keyRing.primary(.field)
    }

    static func associatedData(format: UInt8, version: UInt32, record: RecordID, field: ContactField) -> [UInt8] {
        withAssociatedData(format: format, version: version, record: record, field: field) { Array($0) }
    }

    /// Builds the associated data in a temporary buffer (no heap allocation) and hands it to `body`.
    static func withAssociatedData<R>(
        format: UInt8, version: UInt32, record: RecordID, field: ContactField, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let recordBytes = record.canonicalBytes
        let fieldBytes = field.nameBytes
        let count = 7 + recordBytes.count + fieldBytes.count
        return try withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { buffer in
            buffer[0] = format
            buffer[1] = UInt8(truncatingIfNeeded: version >> 24)
            buffer[2] = UInt8(truncatingIfNeeded: version >> 16)
            buffer[3] = UInt8(truncatingIfNeeded: version >> 8)
            buffer[4] = UInt8(truncatingIfNeeded: version)
            buffer[5] = UInt8(recordBytes.count)
            recordBytes.withUnsafeBytes { buffer.baseAddress!.advanced(by: 6).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            buffer[6 + recordBytes.count] = UInt8(fieldBytes.count)
            fieldBytes.withUnsafeBytes {
                buffer.baseAddress!.advanced(by: 7 + recordBytes.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Seals `plaintext` for `field` of `record` with the primary field key.
    func seal(_ plaintext: String, field: ContactField, record: RecordID, nonces: RandomBytePool? = nil) throws -> Data {
        let key = primary
        var text = plaintext
        return try text.withUTF8 { (message) throws -> Data in
            var output = Data(count: Self.overheadByteCount + message.count)
            try output.withUnsafeMutableBytes { (out) throws in
                out[0] = Self.format
                out[1] = UInt8(truncatingIfNeeded: key.version >> 24)
                out[2] = UInt8(truncatingIfNeeded: key.version >> 16)
                out[3] = UInt8(truncatingIfNeeded: key.version >> 8)
                out[4] = UInt8(truncatingIfNeeded: key.version)
                let nonce = UnsafeMutableRawBufferPointer(rebasing: out[5..<Self.headerByteCount])
                if let nonces { nonces.fill(nonce) } else { XChaCha20Poly1305.randomNonce(into: nonce) }
                try Self.withAssociatedData(format: Self.format, version: key.version, record: record, field: field) { ad in
                    try XChaCha20Poly1305.seal(
                        UnsafeRawBufferPointer(message), key: key.secret, nonce: UnsafeRawBufferPointer(nonce),
                        authenticating: ad, into: UnsafeMutableRawBufferPointer(rebasing: out[Self.headerByteCount...]))
                }
            }
            return output
        }
    }

    /// The field key version a ciphertext was sealed with, read from its header (no decryption).
    static func keyVersion(of ciphertext: Data) -> UInt32? {
        guard ciphertext.count >= overheadByteCount, ciphertext.first == format else { return nil }
        let start = ciphertext.startIndex
        return ciphertext[(start + 1)..<(start + 5)].reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// Opens a sealed field. The plaintext comes back in a buffer that wipes itself.
    ///
    /// Errors name the field and the kind of record (`buyer` or `order`), never its content.
    ///
    /// - Throws: ``BuyerGuardError/Code/unsupportedFormat`` for an unknown ciphertext format or a
    ///   field key version this vault lacks, ``BuyerGuardError/Code/corruptCiphertext`` for
    ///   anything that fails authentication.
    func open(_ ciphertext: Data, field: ContactField, record: RecordID) throws -> SecureBytes {
        let what = "sealed \(field.rawValue) of \(record.kindDescription)"
        guard ciphertext.count >= Self.overheadByteCount else {
            throw BuyerGuardError(
                .corruptCiphertext, "\(what) is truncated (\(ciphertext.count) bytes, at least \(Self.overheadByteCount) needed)")
        }
        guard ciphertext.first == Self.format else {
            throw BuyerGuardError(
                .unsupportedFormat, "\(what): unknown ciphertext format \(ciphertext.first!) (this version reads format \(Self.format))")
        }
        let version = Self.keyVersion(of: ciphertext)!
        let key: DataKey
        if version == primary.version {
            key = primary
        } else {
            do { key = try keyRing.key(.field, version: version) } catch {
                throw BuyerGuardError(
                    .unsupportedFormat, "\(what): no field key version \(version) in this vault (retired or never made)")
            }
        }
        do {
            return try ciphertext.withUnsafeBytes { (bytes) throws in
                try Self.withAssociatedData(format: Self.format, version: version, record: record, field: field) { ad in
                    try XChaCha20Poly1305.open(
                        UnsafeRawBufferPointer(rebasing: bytes[Self.headerByteCount...]), key: key.secret,
                        nonce: UnsafeRawBufferPointer(rebasing: bytes[5..<Self.headerByteCount]), authenticating: ad)
                }
            }
        } catch {
            throw BuyerGuardError(
                .corruptCiphertext,
                "\(what) failed authentication: altered, truncated, or copied from another record or field")
        }
    }
}

/// Keyed BLAKE2b values computed from plaintext: the blind index of emails and change digests.
struct BlindIndexer: Sendable {
    let keyRing: KeyRing
    private let primary: DataKey

    init(keyRing: KeyRing) {
        self.keyRing = keyRing
        self.primary = keyRing.primary(.blindIndex)
    }

    /// The version of the index key new entries use.
    var primaryVersion: UInt32 { primary.version }

    /// How an email is normalised before indexing: white space trimmed, Unicode NFC, lowercased.
    /// Dots and `+tags` are kept: marketplace relay addresses are exact.
    static func normalize(email: String) -> String {
        let trimmed = String(email.trimmingASCIIWhitespace())
        if trimmed.utf8.allSatisfy({ $0 < 0x80 }) { return trimmed.lowercased() }
        return trimmed.precomposedStringWithCanonicalMapping.lowercased()
    }

    /// The blind index of `email` under the primary index key.
    func index(email: String) throws -> Data {
        try index(email: email, key: primary)
    }

    /// The blind index of `email` under a given index key version: 16 bytes of keyed BLAKE2b
    /// (128 bits: no two buyers of a seller collide, and the index stays small).
    func index(email: String, key: DataKey) throws -> Data {
        Data(try BLAKE2b.hash(key: key.secret, outputByteCount: 16) { hash in
            hash.update(Self.emailLabel)
            hash.update(utf8: Self.normalize(email: email))
        })
    }

    private static let emailLabel = Array("bg.email.v1|".utf8)

    /// The email's index under every non-primary blind-index version (empty outside a rotation).
    func olderIndexes(email: String) throws -> [Data] {
        try keyRing.versions(.blindIndex).filter { $0 != primary.version }.map {
            try index(email: email, key: try keyRing.key(.blindIndex, version: $0))
        }
    }

    /// Every index the email may be stored under (primary first).
    func allIndexes(email: String) throws -> [Data] {
        [try index(email: email)] + (try olderIndexes(email: email))
    }

    /// A digest of a record's plaintext fields, to tell an unchanged re-import from a change
    /// without opening any ciphertext. Bound to the record so equal contacts give unequal digests.
    /// The plaintext is fed to BLAKE2b in place: no copy of it is made.
    func digest(record: RecordID, fields: [(ContactField, String?)]) throws -> Data {
        Data(try BLAKE2b.hash(key: primary.secret, outputByteCount: 16) { hash in
            hash.update(Self.digestLabel)
            hash.update(record.canonicalBytes)
            for (field, value) in fields {
                hash.update([0x7C] + field.nameBytes)  // "|" name
                if let value {
                    hash.update(UInt32(value.utf8.count).bigEndianBytes)
                    hash.update(utf8: value)
                } else {
                    hash.update([0xFF])
                }
            }
        })
    }

    private static let digestLabel = Array("bg.digest.v1|".utf8)
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
