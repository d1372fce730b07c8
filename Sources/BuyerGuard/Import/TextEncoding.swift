/// Character encodings of downloaded reports. EU marketplaces often serve Windows-1252.
public enum ReportEncoding: String, Sendable, CaseIterable, Codable {
    /// UTF-8 (a leading byte order mark is skipped).
    case utf8 = "utf-8"
    /// Windows-1252 (Western European), a superset of ISO-8859-1 for printable text.
    case windows1252 = "windows-1252"
    /// ISO-8859-1 (Latin-1).
    case latin1 = "iso-8859-1"

    /// Decodes `bytes`; `nil` only when UTF-8 is asked for and the bytes are not valid UTF-8.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        switch self {
        case .utf8:
            return Self.isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        case .latin1:
            return Self.isASCII(bytes) ? String(decoding: bytes, as: UTF8.self)
                : String(decoding: bytes.lazy.map { UInt16($0) }, as: UTF16.self)
        case .windows1252:
            return Self.isASCII(bytes) ? String(decoding: bytes, as: UTF8.self)
                : String(decoding: bytes.lazy.map(Self.windows1252Scalar), as: UTF16.self)
        }
    }

    /// Whether `bytes` decode as this encoding: every encoding but UTF-8 accepts any bytes.
    func accepts(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        self != .utf8 || Self.isASCII(bytes) || String(validating: bytes, as: UTF8.self) != nil
    }

    /// What a line's bytes are, to tell a file in one encoding from a file that mixes two.
    enum LineKind {
        /// Only ASCII: the same text in every encoding here.
        case ascii
        /// Valid UTF-8 with non-ASCII characters.
        case utf8
        /// Not valid UTF-8 (Windows-1252 or ISO-8859-1, most likely).
        case notUTF8
    }

    static func kind(of bytes: UnsafeBufferPointer<UInt8>) -> LineKind {
        if isASCII(bytes) { return .ascii }
        return String(validating: bytes, as: UTF8.self) != nil ? .utf8 : .notUTF8
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    /// The five bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined in Windows-1252; they map to
    /// the C1 controls of the same value, as browsers and iconv do.
    private static let highTable: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    private static func windows1252Scalar(_ byte: UInt8) -> UInt16 {
        (0x80...0x9F).contains(byte) ? highTable[Int(byte - 0x80)] : UInt16(byte)
    }
}
