import Foundation
internal import CSodium

/// The vault's master key (key-encryption key): 32 secret bytes that wrap the data keys.
///
/// It never encrypts buyer data itself; it only wraps the versioned data keys stored in the vault,
/// so replacing it (``Vault/rewrap(to:actor:)``, `buyerguard keys rewrap`) touches a handful of rows, not every record.
/// Its bytes live in a buffer that is wiped when the last copy of the key goes away, and no
/// description of it ever shows them.
public struct MasterKey: Sendable, CustomStringConvertible {
    /// Length of a master key in bytes.
    public static let byteCount = 32

    let secret: SecureBytes

    init(secret: SecureBytes) {
        self.secret = secret
    }

    /// A new random master key.
    public static func generate() throws -> MasterKey {
        try Sodium.ensureInitialized()
        return MasterKey(secret: SecureBytes(randomCount: byteCount))
    }

    /// Reads a key written as 64 hexadecimal digits or as 44 characters of standard base64.
    /// Surrounding white space is ignored. The text itself is not kept.
    ///
    /// - Throws: ``BuyerGuardError/Code/invalidKey`` for anything else.
    public init(encoded text: String, source: String = "master key") throws {
        var utf8 = Array(text.utf8)
        defer { wipe(&utf8) }
        try self.init(encodedBytes: utf8, source: source)
    }

    /// ``init(encoded:source:)`` from the text's bytes (a key file's), which never pass through a `String`.
    init(encodedBytes utf8: [UInt8], source: String) throws {
        try Sodium.ensureInitialized()
        let trimmed = utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
            .reversed().drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }).reversed()
        var input = Array(trimmed)
        defer { wipe(&input) }
        let decoded: SecureBytes? = try? SecureBytes(count: Self.byteCount, lockInMemory: true) { (out) throws in
            var written = 0
            let status: Int32 = input.withUnsafeBytes { raw in
                let chars = raw.bindMemory(to: CChar.self)
                if input.count == 2 * Self.byteCount {
                    return sodium_hex2bin(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                        chars.baseAddress, chars.count, nil, &written, nil)
                }
                return sodium_base642bin(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                    chars.baseAddress, chars.count, nil, &written, nil, sodium_base64_VARIANT_ORIGINAL)
            }
            guard status == 0, written == Self.byteCount else {
                throw BuyerGuardError(.invalidKey, "")
            }
        }
        guard let decoded else {
            throw BuyerGuardError(
                .invalidKey,
                "\(source) is not a BuyerGuard master key (expected 32 bytes as 64 hex digits or base64)")
        }
        self.secret = decoded
    }

    /// The key as 64 lowercase hexadecimal digits plus a newline, in a wiped buffer: what a key file holds.
    func withKeyFileText<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let text = secret.withUnsafeBytes { bytes in
            SecureBytes(count: bytes.count * 2 + 1, lockInMemory: true) { out in
                var hex = [CChar](repeating: 0, count: bytes.count * 2 + 1)
                defer { hex.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
                sodium_bin2hex(&hex, hex.count, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
                for index in 0..<(bytes.count * 2) { out[index] = UInt8(bitPattern: hex[index]) }
                out[bytes.count * 2] = 0x0A
            }
        }
        return try text.withUnsafeBytes(body)
    }

    /// The key as 64 lowercase hexadecimal digits. `package` access (tests): a `String` cannot be
    /// wiped, so the library never hands one out; key files are written from a wiped buffer.
    package func hexEncoded() -> String {
        secret.withUnsafeBytes { bytes in
            var hex = [CChar](repeating: 0, count: bytes.count * 2 + 1)
            defer { hex.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
            sodium_bin2hex(&hex, hex.count, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
            return String(decoding: hex.prefix(bytes.count * 2).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var description: String { "MasterKey(<redacted>)" }
}
