/// A message prepared for checking: plain text (tags removed from HTML), its folded form
/// (lowercase, accents removed, one scalar for one scalar) and its words.
struct MessageText {
    struct Word {
        var text: String
        var start: Int  // scalar offset in `plain`
        var sentence: Int
        /// Where the vocabulary keeps this word (`-1`: unknown) and what kind of word it is.
        var slot: Int32 = -1
        var classes: PhraseIndex.WordClass = []

        init(text: String, start: Int, sentence: Int) {
            self.text = text
            self.start = start
            self.sentence = sentence
            (slot, classes) = PhraseIndex.shared.lookup(text)
        }
    }

    /// The checked source (the HTML itself, for HTML).
    let source: String
    let isHTML: Bool
    /// The text a buyer reads.
    let plain: [Unicode.Scalar]
    /// `plain`, folded for matching.
    let folded: [Unicode.Scalar]
    let words: [Word]
    /// Link targets from `href` attributes, with their offset in the source.
    let hrefs: [(target: String, offset: Int)]
    /// Offsets in the source of links that wrap an image (a logo).
    let imageLinks: [Int]

    init(_ source: String) {
        self.source = source
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.utf8.count)
        for scalar in source.unicodeScalars { scalars.append(scalar) }
        isHTML = MessageText.looksLikeHTML(scalars)
        var hrefs: [(String, Int)] = []
        var imageLinks: [Int] = []
        if isHTML {
            plain = MessageText.stripTags(scalars, hrefs: &hrefs, imageLinks: &imageLinks)
        } else {
            plain = scalars
        }
        self.hrefs = hrefs
        self.imageLinks = imageLinks
        var folded: [Unicode.Scalar] = []
        folded.reserveCapacity(plain.count)
        for scalar in plain { folded.append(MessageText.fold(scalar)) }
        self.folded = folded
        var words: [Word] = []
        var sentence = 0
        var wordStart: Int?
        var bytes: [UInt8] = []
        // A line that starts with ">" quotes the buyer: its words are not the seller's, and no
        // phrase rule reads them (a quoted question about discounts is not a promotion).
        var lineQuoted = false
        var atLineStart = true
        func endWord(at end: Int) {
            guard let start = wordStart else { return }
            if lineQuoted { wordStart = nil; return }
            // Words are mostly ASCII: build them from bytes (building from scalars is much slower).
            bytes.removeAll(keepingCapacity: true)
            for scalar in folded[start..<end] {
                if scalar.value < 0x80 { bytes.append(UInt8(scalar.value)) } else { bytes.append(contentsOf: Array(String(scalar).utf8)) }
            }
            words.append(Word(text: String(decoding: bytes, as: UTF8.self), start: start, sentence: sentence))
            wordStart = nil
        }
        for (index, scalar) in folded.enumerated() {
            if atLineStart, scalar != " ", scalar != "\t" {
                lineQuoted = scalar == ">"
                atLineStart = false
            }
            if scalar == "\n" { atLineStart = true }
            if MessageText.isWordScalar(scalar) {
                if wordStart == nil { wordStart = index }
            } else {
                endWord(at: index)
                if scalar == "." || scalar == "!" || scalar == "?" || scalar == "\n" || scalar == ";" {
                    // A dot inside a domain or a number does not end a sentence.
                    let next = index + 1 < folded.count ? folded[index + 1] : " "
                    if scalar != "." || next == " " || next == "\n" { sentence += 1 }
                }
            }
        }
        endWord(at: folded.count)
        self.words = words
    }

    /// Letters and digits; the Unicode property lookup only for non-ASCII (it is slow).
    @inline(__always)
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x61...0x7A).contains(value) || (0x41...0x5A).contains(value) || (0x30...0x39).contains(value)
        }
        return scalar.properties.isAlphabetic
    }

    /// Whether the text contains an HTML tag a message would use (`<p>`, `<br`, `<a `, `<div`, ...).
    static func looksLikeHTML(_ scalars: [Unicode.Scalar]) -> Bool {
        for index in scalars.indices where scalars[index] == "<" && index + 1 < scalars.count {
            var name = ""
            var cursor = index + 1
            if scalars[cursor] == "/" { cursor += 1 }
            while cursor < scalars.count, name.unicodeScalars.count < 8, isWordScalar(scalars[cursor]) {
                name.unicodeScalars.append(fold(scalars[cursor]))
                cursor += 1
            }
            guard cursor < scalars.count, !name.isEmpty else { continue }
            let next = scalars[cursor]
            if htmlTags.contains(name), next == ">" || next == " " || next == "/" || next == "\n" { return true }
        }
        return false
    }

    private static let htmlTags: Set<String> = ["html", "body", "p", "br", "div", "a", "table", "span", "img", "strong", "b", "i", "em", "ul", "li", "h1", "h2", "h3"]

    /// Text content of HTML: tags removed (block tags become line breaks), a few entities decoded;
    /// collects `href` targets and anchors that contain an image.
    static func stripTags(_ scalars: [Unicode.Scalar], hrefs: inout [(String, Int)], imageLinks: inout [Int]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var index = 0
        var openAnchor: Int?
        var anchorHasImage = false
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", let end = scalars[index...].firstIndex(of: ">") {
                let tag = String(String.UnicodeScalarView(scalars[(index + 1)..<end])).lowercased()
                let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\n" || $0 == "\t" }).first.map(String.init) ?? ""
                if tag.hasPrefix("/a") && (tag.count == 2 || tag.dropFirst(2).first == " ") {
                    if let anchor = openAnchor, anchorHasImage { imageLinks.append(anchor) }
                    openAnchor = nil
                } else if name == "a" {
                    openAnchor = index
                    anchorHasImage = false
                    if let target = attribute("href", in: String(String.UnicodeScalarView(scalars[(index + 1)..<end]))) {
                        hrefs.append((target, index))
                    }
                } else if name == "img", openAnchor != nil {
                    anchorHasImage = true
                }
                if ["br", "p", "/p", "div", "/div", "tr", "/tr", "li", "h1", "h2", "h3", "/h1", "/h2", "/h3"].contains(name) || tag.hasPrefix("/p") || tag.hasPrefix("/div") {
                    output.append("\n")
                } else {
                    output.append(" ")
                }
                index = end + 1
                continue
            }
            if scalar == "&", let semicolon = scalars[index...].prefix(10).firstIndex(of: ";") {
                let entity = String(String.UnicodeScalarView(scalars[(index + 1)..<semicolon])).lowercased()
                let decoded: Unicode.Scalar? = switch entity {
                case "amp": "&"
                case "nbsp": " "
                case "euro": "€"
                case "lt": "<"
                case "gt": ">"
                case "quot": "\""
                case "apos", "#39": "'"
                case "egrave": "è"
                case "eacute": "é"
                case "agrave": "à"
                case "ograve": "ò"
                case "ugrave": "ù"
                case "igrave": "ì"
                default: entity.hasPrefix("#") ? UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init) : nil
                }
                if let decoded {
                    output.append(decoded)
                    index = semicolon + 1
                    continue
                }
            }
            output.append(scalar)
            index += 1
        }
        return output
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        let lower = tag.lowercased()
        guard let range = lower.range(of: name + "=") else { return nil }
        var value = tag[range.upperBound...]
        if let quote = value.first, quote == "\"" || quote == "'" {
            value = value.dropFirst()
            return String(value.prefix { $0 != quote })
        }
        return String(value.prefix { $0 != " " && $0 != ">" })
    }

    /// Lowercase, without the accents of Western European letters; one scalar stays one scalar.
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        if value < 0x80 {
            return (0x41...0x5A).contains(value) ? Unicode.Scalar(value + 0x20)! : scalar
        }
        switch scalar {
        case "À", "Á", "Â", "Ã", "Ä", "Å", "à", "á", "â", "ã", "ä", "å": return "a"
        case "È", "É", "Ê", "Ë", "è", "é", "ê", "ë": return "e"
        case "Ì", "Í", "Î", "Ï", "ì", "í", "î", "ï": return "i"
        case "Ò", "Ó", "Ô", "Õ", "Ö", "ò", "ó", "ô", "õ", "ö": return "o"
        case "Ù", "Ú", "Û", "Ü", "ù", "ú", "û", "ü": return "u"
        case "Ç", "ç": return "c"
        case "Ñ", "ñ": return "n"
        case "’", "‘", "`", "´": return "'"
        case "\u{00A0}": return " "
        default:
            return scalar.properties.lowercaseMapping.unicodeScalars.count == 1
                ? scalar.properties.lowercaseMapping.unicodeScalars.first! : scalar
        }
    }

    /// Line and column (1-based) of a scalar offset in the source.
    func location(ofSourceOffset offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        var index = 0
        for scalar in source.unicodeScalars {
            if index >= offset { break }
            if scalar == "\n" { line += 1; lineStart = index + 1 }
            index += 1
        }
        return (line, offset - lineStart + 1)
    }

    /// The source offset of a plain-text offset: the same for text; for HTML, where the words
    /// starting there occur in the source.
    func sourceOffset(ofPlainOffset offset: Int, length: Int) -> Int {
        guard isHTML else { return offset }
        let needle = String(String.UnicodeScalarView(plain[offset..<min(plain.count, offset + max(length, 1))]))
        let scalars = Array(source.unicodeScalars)
        let target = Array(needle.unicodeScalars)
        guard !target.isEmpty, target.count <= scalars.count else { return 0 }
        for start in 0...(scalars.count - target.count) where scalars[start] == target[0] {
            if Array(scalars[start..<(start + target.count)]) == target { return start }
        }
        return 0
    }

    func excerpt(_ offset: Int, _ length: Int) -> String {
        let end = min(plain.count, offset + min(length, 60))
        return String(String.UnicodeScalarView(plain[offset..<end])).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension String {
    /// Without leading and trailing characters from `set` (ASCII punctuation and spaces only).
    func trimmingCharacters(in set: Set<Character>) -> String {
        let ascii = set.compactMap { $0.asciiValue }
        let view = utf8
        guard let first = view.firstIndex(where: { !ascii.contains($0) }) else { return "" }
        let last = view.lastIndex(where: { !ascii.contains($0) })!
        return String(self[first...last])
    }
}

extension Set where Element == Character {
    static let whitespacesAndNewlines: Set<Character> = [" ", "\n", "\t", "\r", "\r\n"]
}
