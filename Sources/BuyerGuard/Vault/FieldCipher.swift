import Foundation

/// The record a sealed field belongs to; part of every field's associated data.
enum RecordID: Sendable, Hashable {
    /// A buyer, by its random 16-byte id.
    case buyer([UInt8])
    /// An order, by its marketplace id.
    case order(OrderID)

    /// The canonical bytes bound into associated data: `b/<32 hex>` or `o/<order id>`.
    var canonicalBytes: [UInt8] {
        switch self {
        case .buyer(let uid): Array("b/".utf8) + Array(uid.hexString.utf8)
        case .order(let id): Array("o/".utf8) + Array(id.rawValue.utf8)
        }
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

    static func associatedData(format: UInt8, version: UInt32, record: RecordID, field: ContactField) -> [UInt8] {
        let recordBytes = record.canonicalBytes
        let fieldBytes = Array(field.rawValue.utf8)
        var ad = [UInt8]()
        ad.reserveCapacity(7 + recordBytes.count + fieldBytes.count)
        ad.append(format)
        ad += version.bigEndianBytes
        ad.append(UInt8(recordBytes.count))
        ad += recordBytes
        ad.append(UInt8(fieldBytes.count))
        ad += fieldBytes
        return ad
    }

    /// Seals `plaintext` for `field` of `record` with the primary field key.
    func seal(_ plaintext: String, field: ContactField, record: RecordID) throws -> Data {
        let key = keyRing.primary(.field)
        let ad = Self.associatedData(format: Self.format, version: key.version, record: record, field: field)
        var text = plaintext
        return try text.withUTF8 { (message) throws -> Data in
            var output = Data(count: Self.overheadByteCount + message.count)
            try output.withUnsafeMutableBytes { (out) throws in
                out[0] = Self.format
                for (offset, byte) in key.version.bigEndianBytes.enumerated() { out[1 + offset] = byte }
                let nonce = UnsafeMutableRawBufferPointer(rebasing: out[5..<Self.headerByteCount])
                XChaCha20Poly1305.randomNonce(into: nonce)
                try ad.withUnsafeBytes { (ad) throws in
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
    /// - Throws: ``BuyerGuardError/Code/unsupportedFormat`` for an unknown format byte or key
    ///   version, ``BuyerGuardError/Code/corruptCiphertext`` for anything that fails authentication.
    func open(_ ciphertext: Data, field: ContactField, record: RecordID) throws -> SecureBytes {
        guard ciphertext.count >= Self.overheadByteCount else {
            throw BuyerGuardError(
                .corruptCiphertext, "sealed \(field.rawValue) is truncated (\(ciphertext.count) bytes, at least \(Self.overheadByteCount) needed)")
        }
        guard ciphertext.first == Self.format else {
            throw BuyerGuardError(.unsupportedFormat, "sealed \(field.rawValue) has unknown format byte \(ciphertext.first!)")
        }
        let version = Self.keyVersion(of: ciphertext)!
        let key = try keyRing.key(.field, version: version)
        let ad = Self.associatedData(format: Self.format, version: version, record: record, field: field)
        do {
            return try ciphertext.withUnsafeBytes { (bytes) throws in
                try ad.withUnsafeBytes { (ad) throws in
                    try XChaCha20Poly1305.open(
                        UnsafeRawBufferPointer(rebasing: bytes[Self.headerByteCount...]), key: key.secret,
                        nonce: UnsafeRawBufferPointer(rebasing: bytes[5..<Self.headerByteCount]), authenticating: ad)
                }
            }
        } catch {
            throw BuyerGuardError(
                .corruptCiphertext,
                "sealed \(field.rawValue) failed authentication: altered, truncated, or copied from another record or field")
        }
    }
}

/// Keyed BLAKE2b values computed from plaintext: the blind index of emails and change digests.
struct BlindIndexer: Sendable {
    let keyRing: KeyRing

    /// How an email is normalised before indexing: white space trimmed, Unicode NFC, lowercased.
    /// Dots and `+tags` are kept: marketplace relay addresses are exact.
    static func normalize(email: String) -> String {
        String(email.trimmingASCIIWhitespace()).precomposedStringWithCanonicalMapping.lowercased()
    }

    /// The blind index of `email` under the primary index key: 32 bytes.
    func index(email: String) throws -> Data {
        try index(email: email, key: keyRing.primary(.blindIndex))
    }

    /// The blind index of `email` under a given index key version.
    func index(email: String, key: DataKey) throws -> Data {
        Data(try BLAKE2b.hash(Array(("bg.email.v1|" + Self.normalize(email: email)).utf8), key: key.secret))
    }

    /// A digest of a record's plaintext fields, to tell an unchanged re-import from a change
    /// without opening any ciphertext. Bound to the record so equal contacts give unequal digests.
    func digest(record: RecordID, fields: [(ContactField, String?)], extra: [String] = []) throws -> Data {
        var message = Array("bg.digest.v1|".utf8) + record.canonicalBytes
        for (field, value) in fields {
            message += Array("|\(field.rawValue)=".utf8)
            if let value {
                let bytes = Array(value.utf8)
                message += UInt32(bytes.count).bigEndianBytes + bytes
            } else {
                message += [0xFF]
            }
        }
        for value in extra { message += Array("|\(value)".utf8) }
        defer { wipe(&message) }
        return Data(try BLAKE2b.hash(message, key: keyRing.primary(.blindIndex).secret, outputByteCount: 16))
    }
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
