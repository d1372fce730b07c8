/// Free text that reaches the audit log (actor, request id, case id, an unrecognised purpose's
/// name): refused on input when it holds characters that could forge output (a newline and tabs
/// make a whole new row in `audit log`'s table, ESC drives the terminal, bidirectional overrides
/// reorder what a reader sees); escaped on output in every text format.
package enum AuditText {
    /// Whether `scalar` is unsafe to print: C0 and C1 controls, DEL, line and paragraph
    /// separators, and the format characters that reorder or hide text.
    package static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse: true
        default: false
        }
    }

    /// The first unsafe character of `text`, if any.
    package static func firstUnprintable(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first(where: isUnprintable)
    }

    /// Throws ``BuyerGuardError/Code/invalidArgument`` when `text` holds an unsafe character.
    package static func requirePrintable(_ text: String, as what: String) throws {
        if let scalar = firstUnprintable(in: text) {
            throw BuyerGuardError(
                .invalidArgument,
                "the \(what) contains a control or formatting character (U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4))); use printable text only")
        }
    }

    /// `text` with every unsafe character written as `\u{XXXX}` (and `\` as `\\`), for terminals,
    /// tables and reports. Printable text comes back unchanged.
    package static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isUnprintable($0) || $0 == "\\" }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                result += "\\\\"
            } else if isUnprintable(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
