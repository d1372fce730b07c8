public import BuyerGuard

/// Checks an outgoing buyer message against the marketplace's communication rules.
///
/// Works on plain text and HTML (detected from the content), in Italian, English, German, French
/// and Spanish. Each violation carries its rule, its place in the text and an explanation. The
/// approach (phrase lists over folded words, sentence context for reviews, a carrier allow-list
/// for links) and its known limits are in `docs/messaging.md`.
public struct MessageChecker: Sendable {
    /// Domains whose links are allowed (carrier tracking pages, the marketplace's own order pages).
    /// A link is allowed when its host is one of these or a subdomain of one.
    public var allowedLinkDomains: [String]

    /// A checker with the default allow-list of carriers used in the EU.
    public init(allowedLinkDomains: [String] = MessageChecker.defaultAllowedLinkDomains) {
        self.allowedLinkDomains = allowedLinkDomains.map { $0.lowercased() }
        allowedSuffixes = self.allowedLinkDomains.map { "." + $0 }
    }

    private let allowedSuffixes: [String]

    /// BRT, Poste Italiane, SDA, GLS, DHL, UPS, DPD, TNT, FedEx, InPost, Correos, Colissimo, ... and
    /// the marketplace's own domains.
    public static let defaultAllowedLinkDomains = Vocabulary.defaultCarrierDomains

    /// The violations in `message`, a message of `purpose` about `orderID`, in text order.
    ///
    /// - Parameters:
    ///   - channel: where it goes; ``MessageChannel/marketplaceAPI`` adds that API's limits.
    ///   - buyerLanguage: the buyer's language of preference (`it`, `de-DE`, ...), for the API's
    ///     rule that a message be written in it; `nil` skips that check.
    public func check(
        _ message: String, purpose: MessagePurpose, orderID: OrderID, channel: MessageChannel = .email, buyerLanguage: String? = nil
    ) -> [MessageViolation] {
        let text = MessageText(message)
        let found = PhraseIndex.shared.scan(text.words)
        func matches(_ category: PhraseIndex.Category, in words: [MessageText.Word]? = nil) -> [Match] {
            found[category.rawValue]
        }
        var violations: [(offset: Int, sourceOffset: Int?, length: Int, rule: MessageRule, explanation: String)] = []
        func add(_ rule: MessageRule, at offset: Int, length: Int, _ explanation: String, sourceOffset: Int? = nil) {
            violations.append((offset, sourceOffset, length, rule, explanation))
        }

        // Order ids.
        let ids = orderIDs(in: text.plain)
        if ids.isEmpty {
            add(.missingOrderID, at: 0, length: 0, "the message must name its order id (\(orderID))")
        }
        for (offset, id) in ids where id != orderID.rawValue {
            add(.wrongOrderID, at: offset, length: 19, "order id \(id) is not this message's order (\(orderID))")
        }

        // Links.
        for link in links(in: text) {
            if link.isMailto {
                add(.link, at: link.offset, length: link.length, "mailto links are not allowed", sourceOffset: link.sourceOffset)
            } else if !isAllowed(host: link.host) {
                add(.link, at: link.offset, length: link.length,
                    "links are allowed only when needed to fulfil the order (carrier tracking); \(link.host) is not", sourceOffset: link.sourceOffset)
            }
        }
        for offset in text.imageLinks {
            add(.logoLink, at: 0, length: 0, "an image that links to a website (a logo link) is not allowed", sourceOffset: offset)
        }

        // Phrases.
        for match in matches(.optOut) {
            add(.optOut, at: text.words[match.first].start, length: match.length(text), "opt-out or unsubscribe wording is not allowed")
        }
        for match in matches(.marketing) {
            add(.marketing, at: text.words[match.first].start, length: match.length(text), "marketing or promotional content is not allowed")
        }
        let future = matches(.futurePurchase)
        for (index, word) in text.words.enumerated() where word.classes.contains(.discount) {
            if future.contains(where: { abs($0.first - index) <= 8 && text.words[$0.first].sentence == word.sentence }) {
                add(.marketing, at: word.start, length: 40, "a discount on a future purchase is a promotion")
            }
        }
        for sentence in reviewSentences(in: text, found: found) {
            add(.reviewManipulation, at: sentence.offset, length: sentence.length, sentence.reason)
        }

        // What each kind of message must say.
        if case .order(let kind) = purpose {
            switch kind {
            case .orderUnavailable:
                var missing: [String] = []
                if matches(.adjusted).isEmpty { missing.append("that the order amount was adjusted or refunded") }
                if matches(.unavailableReason).isEmpty { missing.append("the reason (no inventory, or could not ship)") }
                if !missing.isEmpty {
                    add(.orderUnavailableContent, at: 0, length: 0, "an Order Unavailable message must confirm " + missing.joined(separator: " and "))
                }
            case .returnConfirmation:
                var missing: [String] = []
                if matches(.returned).isEmpty { missing.append("the products returned") }
                if !hasAmount(text) { missing.append("the amount refunded") }
                if !hasDate(text) { missing.append("the refund date") }
                if !missing.isEmpty {
                    add(.returnConfirmationContent, at: 0, length: 0, "a Return Confirmation must name " + missing.joined(separator: ", "))
                }
            default:
                break
            }
        }

        if channel == .marketplaceAPI {
            if text.isHTML { add(.apiHTML, at: 0, length: 0, "the marketplace's Messaging API takes plain text, not HTML", sourceOffset: 0) }
            for offset in emailAddresses(in: text.plain) {
                add(.apiEmailAddress, at: offset, length: 30, "the marketplace's Messaging API does not accept email addresses in a message")
            }
            let limit = MessageChannel.textLimit(for: purpose)
            let length = message.unicodeScalars.count
            if length > limit {
                add(.apiLength, at: 0, length: 0, limit == 0
                    ? "a review request through the Messaging API carries no text of the seller's: the marketplace words it"
                    : "the Messaging API takes at most \(limit) characters for this message; this one has \(length)")
            }
            if let buyerLanguage, let wanted = buyerLanguage.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first,
               let written = MessageLanguage.guess(text.words), written.rawValue != wanted {
                add(.apiLanguage, at: 0, length: 0,
                    "the Messaging API needs the buyer's language (\(wanted)); this message reads as \(written.rawValue)")
            }
        }

        return violations.sorted { ($0.sourceOffset ?? text.sourceOffset(ofPlainOffset: $0.offset, length: $0.length)) < ($1.sourceOffset ?? text.sourceOffset(ofPlainOffset: $1.offset, length: $1.length)) }
            .map { item in
                let sourceOffset = item.sourceOffset ?? text.sourceOffset(ofPlainOffset: item.offset, length: min(item.length, 20))
                let (line, column) = text.location(ofSourceOffset: sourceOffset)
                return MessageViolation(rule: item.rule, line: line, column: column,
                                        excerpt: item.length > 0 ? text.excerpt(item.offset, item.length) : "",
                                        explanation: item.explanation)
            }
    }

    // MARK: Email addresses

    /// Offsets of `local@domain.tld` in the plain text.
    private func emailAddresses(in scalars: [Unicode.Scalar]) -> [Int] {
        func isLocal(_ s: Unicode.Scalar) -> Bool { MessageText.isWordScalar(s) || ".+-_".unicodeScalars.contains(s) }
        func isDomain(_ s: Unicode.Scalar) -> Bool { MessageText.isWordScalar(s) || s == "." || s == "-" }
        var found: [Int] = []
        for (index, scalar) in scalars.enumerated() where scalar == "@" {
            var start = index
            while start > 0, isLocal(scalars[start - 1]) { start -= 1 }
            var end = index + 1
            while end < scalars.count, isDomain(scalars[end]) { end += 1 }
            let domain = String(String.UnicodeScalarView(scalars[(index + 1)..<end])).trimmingCharacters(in: ["."])
            if start < index, domain.contains("."), !domain.hasPrefix(".") { found.append(start) }
        }
        return found
    }

    // MARK: Order ids

    private func orderIDs(in scalars: [Unicode.Scalar]) -> [(Int, String)] {
        var result: [(Int, String)] = []
        var index = 0
        func digit(_ i: Int) -> Bool { i < scalars.count && ("0"..."9").contains(scalars[i]) }
        while index + 19 <= scalars.count {
            if (index == 0 || !digit(index - 1)) && (0..<19).allSatisfy({ offset in
                offset == 3 || offset == 11 ? scalars[index + offset] == "-" : digit(index + offset)
            }) && !digit(index + 19) {
                result.append((index, String(String.UnicodeScalarView(scalars[index..<(index + 19)]))))
                index += 19
            } else {
                index += 1
            }
        }
        return result
    }

    // MARK: Links

    private struct Link {
        var host: String
        var offset: Int
        var length: Int
        var isMailto = false
        var sourceOffset: Int?
    }

    private static let https = Array("https://".unicodeScalars)
    private static let http = Array("http://".unicodeScalars)
    private static let mailto = Array("mailto:".unicodeScalars)
    private static let www = Array("www.".unicodeScalars)

    private func isAllowed(host: String) -> Bool {
        let host = host.hasPrefix("www.") ? String(host.dropFirst(4)) : host
        return allowedLinkDomains.contains(host) || allowedSuffixes.contains { host.hasSuffix($0) }
    }

    private func links(in text: MessageText) -> [Link] {
        var links: [Link] = []
        let folded = text.folded
        var index = 0
        func startsWith(_ prefix: [Unicode.Scalar], at i: Int) -> Bool {
            guard i + prefix.count <= folded.count else { return false }
            for (offset, scalar) in prefix.enumerated() where folded[i + offset] != scalar { return false }
            return true
        }
        func isHostScalar(_ s: Unicode.Scalar) -> Bool { MessageText.isWordScalar(s) || s == "." || s == "-" }
        var covered: [Range<Int>] = []
        while index < folded.count {
            var schemeLength = 0
            var mailto = false
            let first = folded[index]
            guard first == "h" || first == "m" || first == "w" else { index += 1; continue }
            if startsWith(Self.https, at: index) { schemeLength = 8 }
            else if startsWith(Self.http, at: index) { schemeLength = 7 }
            else if startsWith(Self.mailto, at: index) { schemeLength = 7; mailto = true }
            else if startsWith(Self.www, at: index) && (index == 0 || !isHostScalar(folded[index - 1])) { schemeLength = 0 }
            else { index += 1; continue }
            var end = index + schemeLength
            while end < folded.count, !(folded[end] == " " || folded[end] == "\n" || folded[end] == "\"" || folded[end] == "'"
                                        || folded[end] == "<" || folded[end] == ">" || folded[end] == ")") { end += 1 }
            let rest = String(String.UnicodeScalarView(folded[(index + schemeLength)..<end]))
            let host = mailto ? String(rest.split(separator: "@").last ?? "") : String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != ":" })
            links.append(Link(host: host.trimmingCharacters(in: [".", ","]), offset: index, length: end - index, isMailto: mailto))
            covered.append(index..<end)
            index = end
        }
        // Bare domains: word.tld, not part of an email address or a link found above.
        var start = 0
        while start < folded.count {
            guard isHostScalar(folded[start]), folded[start] != ".", folded[start] != "-" else { start += 1; continue }
            var end = start
            var innerDot = false
            while end < folded.count, isHostScalar(folded[end]) {
                // A dot followed by a letter or digit: "shop.it", not the full stop of "Bologna."
                if folded[end] == ".", end + 1 < folded.count, MessageText.isWordScalar(folded[end + 1]) { innerDot = true }
                end += 1
            }
            guard innerDot else { start = end + 1; continue }
            let candidate = String(String.UnicodeScalarView(folded[start..<end])).trimmingCharacters(in: [".", "-"])
            let labels = candidate.split(separator: ".")
            let before = start > 0 ? folded[start - 1] : " "
            if labels.count >= 2, let tld = labels.last, PhraseIndex.shared.lookup(String(tld)).classes.contains(.topLevelDomain),
               labels.dropLast().allSatisfy({ !$0.isEmpty && !$0.allSatisfy(\.isNumber) }),
               before != "@", before != "/", !covered.contains(where: { $0.contains(start) }) {
                links.append(Link(host: candidate, offset: start, length: candidate.unicodeScalars.count))
            }
            start = end + 1
        }
        // Obfuscated: "negozio [dot] com", "negozio punto it".
        let words = text.words
        for index in words.indices.dropFirst().dropLast() where words[index].classes.contains(.dot) {
            let next = words[index + 1].text
            if words[index + 1].classes.contains(.topLevelDomain) {
                let host = words[index - 1].text + "." + next
                links.append(Link(host: host, offset: words[index - 1].start,
                                  length: words[index + 1].start + next.unicodeScalars.count - words[index - 1].start))
            }
        }
        for (target, offset) in text.hrefs {
            let lower = target.lowercased()
            if lower.hasPrefix("mailto:") {
                links.append(Link(host: "", offset: 0, length: 0, isMailto: true, sourceOffset: offset))
            } else if lower.hasPrefix("http") || lower.hasPrefix("www.") || lower.contains(".") {
                let withoutScheme = lower.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
                let host = String(withoutScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != ":" })
                if !links.contains(where: { $0.host == host }) {
                    links.append(Link(host: host, offset: 0, length: 0, sourceOffset: offset))
                }
            }
        }
        return links
    }

    // MARK: Phrases

    struct Match {
        var first: Int
        var count: Int
        func length(_ text: MessageText) -> Int {
            let last = text.words[first + count - 1]
            return last.start + last.text.unicodeScalars.count - text.words[first].start
        }
    }

    /// Sentences that ask for a review in a way the marketplace forbids.
    private func reviewSentences(in text: MessageText, found: [[Match]]) -> [(offset: Int, length: Int, reason: String)] {
        var result: [(Int, Int, String)] = []
        let words = text.words
        func inSentence(_ category: PhraseIndex.Category, _ sentence: Int) -> Bool {
            found[category.rawValue].contains { words[$0.first].sentence == sentence }
        }
        var index = 0
        while index < words.count {
            let sentence = words[index].sentence
            var end = index
            while end < words.count, words[end].sentence == sentence { end += 1 }
            defer { index = end }
            let range = index..<end
            guard let reviewIndex = range.first(where: { words[$0].classes.contains(.review) }) else { continue }
            let honest = range.contains { words[$0].classes.contains(.honest) }
            var reason: String?
            if inSentence(.positiveReview, sentence) {
                reason = "asking for a positive review is not allowed"
            } else if inSentence(.onlySatisfied, sentence) {
                reason = "asking only satisfied buyers for a review is not allowed"
            } else if inSentence(.strongIncentive, sentence) {
                reason = "offering anything in return for a review is not allowed"
            } else if !honest, let weak = range.first(where: { words[$0].classes.contains(.weakIncentive) }),
                      (min(weak, reviewIndex)..<max(weak, reviewIndex)).contains(where: { words[$0].classes.contains(.forWord) }) {
                reason = "offering a refund or discount in return for a review is not allowed"
            }
            if let reason {
                let start = words[index].start
                let last = words[end - 1]
                result.append((start, last.start + last.text.unicodeScalars.count - start, reason))
            }
        }
        return result
    }

    // MARK: Amounts and dates

    private func hasAmount(_ text: MessageText) -> Bool {
        let scalars = text.folded
        for (index, scalar) in scalars.enumerated() where scalar == "€" || scalar == "£" || scalar == "$" {
            let window = scalars[max(0, index - 12)..<min(scalars.count, index + 12)]
            if window.contains(where: { ("0"..."9").contains($0) }) { return true }
        }
        let words = text.words
        for (index, word) in words.enumerated() where word.classes.contains(.currency) {
            if (max(0, index - 3)..<min(words.count, index + 3)).contains(where: { words[$0].text.first?.isNumber == true }) { return true }
        }
        return false
    }

    private func hasDate(_ text: MessageText) -> Bool {
        let words = text.words
        for (index, word) in words.enumerated() where word.classes.contains(.month) {
            if index > 0, words[index - 1].text.allSatisfy(\.isNumber) { return true }
            if index + 1 < words.count, words[index + 1].text.allSatisfy(\.isNumber) { return true }
        }
        // 12/11/2026, 12.11.2026, 2026-11-12
        let string = String(String.UnicodeScalarView(text.folded))
        let scalars = Array(string.unicodeScalars)
        func digits(_ i: Int, _ n: Int) -> Bool { i >= 0 && i + n <= scalars.count && (i..<(i + n)).allSatisfy { ("0"..."9").contains(scalars[$0]) } }
        for index in scalars.indices {
            if digits(index, 4), index + 10 <= scalars.count, scalars[index + 4] == "-", digits(index + 5, 2), scalars[index + 7] == "-", digits(index + 8, 2) { return true }
            for separator in ["/", ".", "-"] as [Unicode.Scalar] {
                for dayDigits in [1, 2] where digits(index, dayDigits) && index + dayDigits < scalars.count && scalars[index + dayDigits] == separator {
                    let month = index + dayDigits + 1
                    for monthDigits in [1, 2] where digits(month, monthDigits) && month + monthDigits < scalars.count && scalars[month + monthDigits] == separator {
                        if digits(month + monthDigits + 1, 4) || digits(month + monthDigits + 1, 2) { return true }
                    }
                }
            }
        }
        return false
    }
}
