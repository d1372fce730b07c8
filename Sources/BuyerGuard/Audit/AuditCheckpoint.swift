public import Foundation

/// A signed statement that the log had ``entryCount`` entries ending in ``headHash``.
/// Exported as JSON so an auditor can keep copies away from the host and later prove that the
/// log was not rewritten or cut short.
public struct AuditCheckpoint: Sendable, Codable, Equatable {
    /// Always `buyerguard-audit-checkpoint-v1`.
    public var format = "buyerguard-audit-checkpoint-v1"
    /// The log's id (hex).
    public var logID: String
    /// Entries in the log at that moment.
    public var entryCount: Int64
    /// The hash of entry ``entryCount`` (hex; zeros for an empty log).
    public var headHash: String
    /// When it was signed, in milliseconds since 1970.
    public var timeMillis: Int64
    /// The Ed25519 public key (hex).
    public var publicKey: String
    /// The Ed25519 signature (hex) over ``signedMessage(logID:entryCount:headHash:timeMillis:)``.
    public var signature: String

    /// Creates a checkpoint value.
    public init(logID: String, entryCount: Int64, headHash: String, timeMillis: Int64, publicKey: String, signature: String) {
        self.logID = logID
        self.entryCount = entryCount
        self.headHash = headHash
        self.timeMillis = timeMillis
        self.publicKey = publicKey
        self.signature = signature
    }

    /// The signed bytes: `"buyerguard audit checkpoint v1" || log id (16) || entry count (8, BE) ||
    /// head hash (32) || time in ms (8, BE)`.
    static func signedMessage(logID: String, entryCount: Int64, headHash: [UInt8], timeMillis: Int64) -> [UInt8] {
        var message = Array("buyerguard audit checkpoint v1".utf8)
        message += [UInt8](hexString: logID) ?? []
        message += withUnsafeBytes(of: entryCount.bigEndian) { Array($0) }
        message += headHash
        message += withUnsafeBytes(of: timeMillis.bigEndian) { Array($0) }
        return message
    }

    /// Whether the signature is valid for the stated values under `publicKey` (or the embedded key).
    public func hasValidSignature(publicKey expected: String? = nil) -> Bool {
        guard let key = [UInt8](hexString: expected ?? publicKey), let hash = [UInt8](hexString: headHash),
              let signature = [UInt8](hexString: signature) else { return false }
        let message = Self.signedMessage(logID: logID, entryCount: entryCount, headHash: hash, timeMillis: timeMillis)
        return Ed25519.isValidSignature(signature, for: message, publicKey: key)
    }

    /// The checkpoint as pretty JSON, for `audit checkpoint --out`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads an exported checkpoint file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BuyerGuardError(.inputNotFound, "cannot read the checkpoint file", location: url.path)
        }
        do {
            self = try JSONDecoder().decode(AuditCheckpoint.self, from: data)
        } catch {
            throw BuyerGuardError(.malformedInput, "not a BuyerGuard checkpoint file", location: url.path)
        }
        guard format == "buyerguard-audit-checkpoint-v1" else {
            throw BuyerGuardError(.unsupportedFormat, "unknown checkpoint format \(format)", location: url.path)
        }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from lowercase or uppercase hexadecimal; `nil` for anything else.
    init?(hexString: String) {
        let digits = Array(hexString.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            case 0x41...0x46: digit - 0x41 + 10
            default: nil
            }
        }
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
