/// A marketplace order id in the form `NNN-NNNNNNN-NNNNNNN` (for example `402-1234567-1234567`).
///
/// Order ids are not personal data: they appear in the audit log and in messages to buyers.
public struct OrderID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The id as the marketplace writes it.
    public let rawValue: String

    /// Validates `text` (surrounding white space is ignored).
    /// - Throws: ``BuyerGuardError/Code/invalidOrderID``.
    public init(_ text: some StringProtocol) throws {
        let trimmed = text.trimmingASCIIWhitespace()
        guard Self.isValid(trimmed.utf8) else {
            // The text might be anything a file held: show its length only, never its content.
            throw BuyerGuardError(
                .invalidOrderID, "order id is not in the form NNN-NNNNNNN-NNNNNNN (\(trimmed.utf8.count) characters)")
        }
        rawValue = String(trimmed)
    }

    /// An id whose text was already checked with ``isValid(_:)``.
    init(validated text: String) {
        rawValue = text
    }

    static func isValid(_ utf8: some Collection<UInt8>) -> Bool {
        guard utf8.count == 19 else { return false }
        for (offset, byte) in utf8.enumerated() {
            if offset == 3 || offset == 11 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            }
        }
        return true
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: OrderID, rhs: OrderID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CR and LF (ASCII only, so it works on
    /// UTF-8 code units and never splits a character).
    func trimmingASCIIWhitespace() -> Substring {
        let base = Substring(self)
        let utf8 = base.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return base[base.endIndex...] }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        return base[first...last]
    }
}
