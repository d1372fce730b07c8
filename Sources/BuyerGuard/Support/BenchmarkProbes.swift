/// Entry points for this package's own benchmarks (`Benchmarks/`). Not API: they may change or
/// go away in any release, and return counts, never plaintext.
@_spi(Benchmarks)
public struct FieldSealingProbe: Sendable {
    private let cipher: FieldCipher
    private let record = RecordID.order(OrderID(validated: "402-1234567-1234567"))

    /// A probe with a fresh random field key, as a new vault would have.
    public init() throws {
        try Sodium.ensureInitialized()
        let ring = try KeyRing(
            keys: KeyRole.allCases.map { DataKey(role: $0, version: 1, secret: SecureBytes(randomCount: 32)) },
            primaries: [.field: 1, .blindIndex: 1])
        cipher = FieldCipher(keyRing: ring)
    }

    /// Seals `plaintext` as an address line, opens it again, and returns the opened byte count.
    public func sealThenOpen(_ plaintext: String) throws -> Int {
        let sealed = try cipher.seal(plaintext, field: .addressLine1, record: record)
        return try cipher.open(sealed, field: .addressLine1, record: record).count
    }
}
