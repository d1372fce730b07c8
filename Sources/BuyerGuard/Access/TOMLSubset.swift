/// The part of TOML that policy and rules files use: `[table]` and `[dotted.table]` headers,
/// `key = value` with bare or quoted keys, and values that are strings, whole or decimal numbers,
/// booleans or one-line arrays of strings; `#` comments. Anything else is an error naming the
/// line. Shared (as SPI) with `BuyerGuardDetect`, whose rules file uses the same subset.
///
/// (TOMLKit, the Swift TOML library, depends on a package this project cannot fetch; this subset
/// covers every file BuyerGuard reads and refuses the rest rather than misreading it.)
package struct TOMLSubset: Sendable {
    /// One value.
    package enum Value: Equatable, Sendable {
        case string(String)
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case strings([String])

        package func string(_ key: String, file: String) throws -> String {
            guard case .string(let value) = self else { throw mismatch(key, "a string", file) }
            return value
        }
        package func integer(_ key: String, file: String) throws -> Int {
            guard case .integer(let value) = self else { throw mismatch(key, "a whole number", file) }
            return value
        }
        package func bool(_ key: String, file: String) throws -> Bool {
            guard case .bool(let value) = self else { throw mismatch(key, "true or false", file) }
            return value
        }
        package func strings(_ key: String, file: String) throws -> [String] {
            guard case .strings(let value) = self else { throw mismatch(key, "an array of strings", file) }
            return value
        }
        /// A whole or decimal number.
        package func number(_ key: String, file: String) throws -> Double {
            if case .integer(let value) = self { return Double(value) }
            guard case .number(let value) = self else { throw mismatch(key, "a number", file) }
            return value
        }
        private func mismatch(_ key: String, _ expected: String, _ file: String) -> BuyerGuardError {
            BuyerGuardError(.malformedInput, "\(key) must be \(expected)", location: file)
        }
    }

    /// Keys and values in file order, by table name ("" for the top level).
    package private(set) var tables: [String: [(String, Value)]] = ["": []]
    /// Table names in file order.
    package private(set) var tableNames: [String] = []

    /// The keys and values of table `name` ("" for the top level), in file order.
    package func table(_ name: String) -> [(String, Value)] { tables[name] ?? [] }

    /// Parses `text`; errors name `file` and the line.
    package static func parse(_ text: String, file: String) throws -> TOMLSubset {
        var document = TOMLSubset()
        var current = ""
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = "\(file):\(offset + 1)"
            var scanner = Scanner(String(rawLine), location: location)
            scanner.skipSpaces()
            if scanner.atEnd || scanner.peek == "#" { continue }
            if scanner.peek == "[" {
                scanner.advance()
                var name = ""
                while !scanner.atEnd, scanner.peek != "]" { name.append(scanner.next()) }
                guard scanner.consume("]") else { throw scanner.error("a table header must end with ]") }
                scanner.skipSpaces()
                guard scanner.atEnd || scanner.peek == "#" else { throw scanner.error("unexpected text after the table header") }
                current = name.trimmingASCIIWhitespace().split(separator: ".").map {
                    String($0.trimmingASCIIWhitespace()).trimmingCharacters(in: ["\""])
                }.joined(separator: ".")
                guard !current.isEmpty, document.tables[current] == nil else {
                    throw scanner.error("table [\(current)] is empty or defined twice")
                }
                document.tables[current] = []
                document.tableNames.append(current)
                continue
            }
            let key = try scanner.key()
            scanner.skipSpaces()
            guard scanner.consume("=") else { throw scanner.error("expected = after \(key)") }
            scanner.skipSpaces()
            let value = try scanner.value()
            scanner.skipSpaces()
            guard scanner.atEnd || scanner.peek == "#" else { throw scanner.error("unexpected text after the value of \(key)") }
            guard !(document.tables[current]!.contains { $0.0 == key }) else { throw scanner.error("\(key) is set twice") }
            document.tables[current]!.append((key, value))
        }
        return document
    }

    private struct Scanner {
        let characters: [Character]
        var index = 0
        let location: String

        init(_ line: String, location: String) {
            var line = line
            if line.hasSuffix("\r") { line.removeLast() }
            characters = Array(line)
            self.location = location
        }

        var atEnd: Bool { index >= characters.count }
        var peek: Character? { atEnd ? nil : characters[index] }
        mutating func advance() { index += 1 }
        mutating func next() -> Character { defer { index += 1 }; return characters[index] }
        mutating func consume(_ character: Character) -> Bool {
            guard peek == character else { return false }
            index += 1
            return true
        }
        mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { index += 1 } }
        func error(_ message: String) -> BuyerGuardError { BuyerGuardError(.malformedInput, message, location: location) }

        mutating func key() throws -> String {
            if peek == "\"" { return try quoted() }
            var key = ""
            while let c = peek, c.isLetter || c.isNumber || c == "-" || c == "_" { key.append(c); index += 1 }
            guard !key.isEmpty else { throw error("expected a key") }
            return key
        }

        mutating func quoted() throws -> String {
            guard consume("\"") else { throw error("expected a string") }
            var text = ""
            while let c = peek, c != "\"" {
                index += 1
                if c == "\\" {
                    guard let escaped = peek else { break }
                    index += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\"": text.append("\"")
                    case "\\": text.append("\\")
                    default: throw error("unsupported escape \\\(escaped)")
                    }
                } else {
                    text.append(c)
                }
            }
            guard consume("\"") else { throw error("unterminated string") }
            return text
        }

        mutating func value() throws -> Value {
            switch peek {
            case "\"":
                return .string(try quoted())
            case "[":
                index += 1
                var items: [String] = []
                while true {
                    skipSpaces()
                    if consume("]") { return .strings(items) }
                    items.append(try quoted())
                    skipSpaces()
                    if consume(",") { continue }
                    guard consume("]") else { throw error("expected , or ] in the array") }
                    return .strings(items)
                }
            default:
                var word = ""
                while let c = peek, !(c == " " || c == "\t" || c == "#") { word.append(c); index += 1 }
                if word == "true" { return .bool(true) }
                if word == "false" { return .bool(false) }
                let digits = word.replacingOccurrences(of: "_", with: "")
                if let number = Int(digits) { return .integer(number) }
                if digits.contains("."), let number = Double(digits), number.isFinite { return .number(number) }
                throw error("unsupported value '\(word.prefix(20))' (strings, numbers, true/false and string arrays only)")
            }
        }
    }
}
