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

    /// Whether the statistical layer runs (on by default; off only to measure the rules alone).
    package var usesStatisticalLayer = true

    /// Whether the statistical layer's model was found and read (`false` means a broken install:
    /// the resource `message-model.bin` is missing from the bundle).
    public static var statisticalLayerLoaded: Bool { MessageModel.shared != nil }

    /// Reads the statistical layer's resource anew (for the load-time benchmark).
    package static func readStatisticalLayer() -> Bool { MessageModel.load() != nil }

    /// The statistical layer's score (logit) of each of its rules for `message`.
    package static func modelScores(_ message: String) -> [String: Float] {
        guard let model = MessageModel.shared else { return [:] }
        return Dictionary(uniqueKeysWithValues: model.verdicts(MessageText(message).words).map { ($0.rule.rawValue, $0.score) })
    }

    /// The folded words the statistical layer reads, with their sentence number: what
    /// `scripts/train-message-model.py` trains on (exported by a test, so training and checking
    /// read a message the same way).
    package static func modelWords(_ message: String) -> [(word: String, sentence: Int)] {
        MessageText(message).words.map { ($0.text, $0.sentence) }
    }

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
            // A truncated id does not name the order: the guidelines ask for the order id itself.
            let mangled = mangledOrderIDs(in: text)
            for (offset, id) in mangled {
                add(.missingOrderID, at: offset, length: id.unicodeScalars.count,
                    "\(id) is not a whole order id (3-7-7 digits), cut short or mistyped: the message must name its order id (\(orderID))")
            }
            if mangled.isEmpty {
                add(.missingOrderID, at: 0, length: 0, "the message must name its order id (\(orderID))")
            }
        }
        for (offset, id) in ids where id != orderID.rawValue {
            add(.wrongOrderID, at: offset, length: 19, "order id \(id) is not this message's order (\(orderID))")
        }

        // Links.
        var promotedBySocialLink = false
        for link in links(in: text) {
            if link.isMailto {
                add(.link, at: link.offset, length: link.length, "mailto links are not allowed", sourceOffset: link.sourceOffset)
                continue
            }
            let host = link.bareHost
            if Vocabulary.socialHosts.contains(where: { host == $0 || host.hasSuffix("." + $0) }) {
                promotedBySocialLink = true
                add(.marketing, at: link.offset, length: link.length, "pointing the buyer to a social network or messaging channel (\(host)) is promotion",
                    sourceOffset: link.sourceOffset)
            }
            if isAllowed(bareHost: host) {
                // The marketplace's own pages are allowed, but not the seller's storefront there.
                if link.path.contains("/shops/") || link.path.contains("/stores/") || link.path.contains("/s?me=") {
                    add(.marketing, at: link.offset, length: link.length, "a link to the seller's storefront is promotion", sourceOffset: link.sourceOffset)
                }
            } else if !link.tracksAParcel {
                add(.link, at: link.offset, length: link.length,
                    "links are allowed only when needed to fulfil the order (carrier tracking); \(link.host) is not", sourceOffset: link.sourceOffset)
                if !promotedBySocialLink, Vocabulary.offerPathWords.contains(where: { link.path.contains($0) })
                    || (link.sourceOffset == nil && offersNear(link.offset, in: text)) {
                    add(.marketing, at: link.offset, length: link.length, "a link offered for other products or offers is promotion")
                }
            }
        }
        // "Link in bio": a page of links on a social profile.
        for (index, word) in text.words.enumerated() where word.text == "bio" {
            let before = text.words[max(0, index - 4)..<index].filter { $0.sentence == word.sentence }
            if let link = before.first(where: { Vocabulary.linkWords.contains($0.text) }) {
                add(.link, at: link.start, length: word.start + 3 - link.start, "a \"link in bio\" points the buyer to a page of links elsewhere")
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
        if !promotedBySocialLink, let match = matches(.socialChannel).first {
            add(.marketing, at: text.words[match.first].start, length: match.length(text),
                "pointing the buyer to a social network or messaging channel is promotion")
        }
        // A draw among those who review is an incentive for the review (review-manipulation), not
        // a promotion of its own.
        let sentencesWithReviews = Set(text.words.filter { $0.classes.contains(.review) }.map(\.sentence))
        for match in matches(.prizeDraw) {
            let sentence = text.words[match.first].sentence
            if sentencesWithReviews.contains(sentence) || sentencesWithReviews.contains(sentence - 1) || sentencesWithReviews.contains(sentence + 1) { continue }
            add(.marketing, at: text.words[match.first].start, length: match.length(text), "a prize draw or contest is promotion")
        }
        for word in text.words where word.text.utf8.count > 10
            && (word.text.utf8.reversed().starts(with: "kollektion".utf8.reversed()) || word.text.utf8.reversed().starts(with: "kollektionen".utf8.reversed())) {
            add(.marketing, at: word.start, length: word.text.unicodeScalars.count, "promoting a collection is not allowed")
        }
        for offset in handles(in: text.plain) {
            add(.marketing, at: offset, length: 20, "a social media handle points the buyer elsewhere: promotion")
        }
        let percentSentences = sentencesWithPercentage(text)
        let promoCodes = codes(in: text, percentSentences: percentSentences)
        for code in promoCodes {
            add(.marketing, at: code.offset, length: 30, "a promotional code is marketing")
        }
        let future = matches(.futurePurchase)
        for (index, word) in text.words.enumerated() where word.classes.contains(.discount) {
            if future.contains(where: { abs($0.first - index) <= 8 && text.words[$0.first].sentence == word.sentence }) {
                add(.marketing, at: word.start, length: 40, "a discount on a future purchase is a promotion")
            }
        }
        for match in future where percentSentences.contains(text.words[match.first].sentence) {
            add(.marketing, at: text.words[match.first].start, length: match.length(text), "a percentage off a future purchase is a promotion")
        }
        for offset in optOutOffers(in: text) {
            add(.optOut, at: offset, length: 40, "offering to stop messages (an opt-out) is not allowed")
        }
        let codeSentences = Set(promoCodes.map(\.sentence))
        for sentence in reviewSentences(in: text, found: found, codeSentences: codeSentences, percentSentences: percentSentences) {
            add(.reviewManipulation, at: sentence.offset, length: sentence.length, sentence.reason)
        }

        // The statistical layer: paraphrases of the phrase rules that no list holds.
        if usesStatisticalLayer, let model = MessageModel.shared {
            let flagged = Set(violations.map(\.rule))
            // A request the rules read as explicitly honest ("una recensione onesta") stays neutral:
            // the model, trained on far more manipulative requests than honest ones, does not
            // overrule that.
            let honestRequest = text.words.contains { $0.classes.contains(.honest) && sentencesWithReviews.contains($0.sentence) }
            for verdict in model.verdicts(text.words) where verdict.flagged && !flagged.contains(verdict.rule) {
                if verdict.rule == .reviewManipulation && honestRequest { continue }
                guard let strongest = verdict.topWords.first else { continue }
                let sentence = text.words[strongest].sentence
                let inSentence = text.words.filter { $0.sentence == sentence }
                let start = inSentence.first!.start
                let end = inSentence.last!.start + inSentence.last!.text.unicodeScalars.count
                let reading = switch verdict.rule {
                case .reviewManipulation: "steering the buyer's review"
                case .optOut: "an offer to stop messages (an opt-out)"
                default: "promotion"
                }
                let words = verdict.topWords.map { "\"\(text.words[$0].text)\"" }.joined(separator: ", ")
                add(verdict.rule, at: start, length: end - start,
                    "reads as \(reading) to the statistical layer (score \((verdict.score * 100).rounded() / 100); words that weighed most: \(words))")
            }
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
                if matches(.returned).isEmpty || !namesAProduct(text) { missing.append("the products returned") }
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

    // MARK: Frames over words

    /// Whether word `word` is written in capitals in the source (`NO`, `STOP`).
    private func isShouted(_ word: MessageText.Word, in text: MessageText) -> Bool {
        let scalars = text.plain[word.start..<min(text.plain.count, word.start + word.text.unicodeScalars.count)]
        return scalars.count >= 2 && scalars.allSatisfy { $0.properties.isUppercase || ("0"..."9").contains($0) }
    }

    /// The words of each sentence, as ranges of `text.words`.
    private func sentenceRanges(_ text: MessageText) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in text.words.indices where index == text.words.count - 1 || text.words[index + 1].sentence != text.words[index].sentence {
            ranges.append(start..<(index + 1))
            start = index + 1
        }
        return ranges
    }

    /// Opt-out offers in words: a wish ("if", "want"), a no-more marker and a message word in one
    /// sentence ("if you no longer want our emails"), or a reply verb with a stop keyword ("reply
    /// STOP", "rispondi NO").
    private func optOutOffers(in text: MessageText) -> [Int] {
        let words = text.words
        var offsets: [Int] = []
        for range in sentenceRanges(text) {
            let has = { (wordClass: PhraseIndex.WordClass) in range.contains { words[$0].classes.contains(wordClass) } }
            let keyword = range.contains {
                words[$0].classes.contains(.stopKeyword) || (words[$0].classes.contains(.shoutedKeyword) && isShouted(words[$0], in: text))
            }
            if (has(.wish) && has(.noMore) && has(.messageWord)) || (has(.replyVerb) && keyword) {
                offsets.append(words[range.lowerBound].start)
            }
        }
        return offsets
    }

    /// Whether the sentence around plain offset `offset` speaks of other products or offers.
    private func offersNear(_ offset: Int, in text: MessageText) -> Bool {
        guard let at = text.words.lastIndex(where: { $0.start <= offset }) ?? text.words.indices.first else { return false }
        let sentence = text.words[at].sentence
        return text.words.contains { ($0.sentence == sentence || $0.sentence == sentence - 1) && $0.classes.contains(.offerWord) }
    }

    /// Social media handles: `@name` after a space (not an email address).
    private func handles(in scalars: [Unicode.Scalar]) -> [Int] {
        var found: [Int] = []
        for (index, scalar) in scalars.enumerated() where scalar == "@" {
            let before = index > 0 ? scalars[index - 1] : " "
            guard before == " " || before == "\n" || before == "(" || before == "\t" else { continue }
            var end = index + 1
            while end < scalars.count, MessageText.isWordScalar(scalars[end]) || scalars[end] == "_" || scalars[end] == "." { end += 1 }
            if end - index >= 4 { found.append(index) }
        }
        return found
    }

    /// Sentences (by number) with a percentage in them: "10 %", "15%".
    private func sentencesWithPercentage(_ text: MessageText) -> Set<Int> {
        var sentences: Set<Int> = []
        let words = text.words
        var wordIndex = 0
        for (offset, scalar) in text.plain.enumerated() where scalar == "%" {
            var digit = offset - 1
            while digit >= 0, text.plain[digit] == " " { digit -= 1 }
            guard digit >= 0, ("0"..."9").contains(text.plain[digit]) else { continue }
            while wordIndex + 1 < words.count, words[wordIndex + 1].start <= digit { wordIndex += 1 }
            if wordIndex < words.count { sentences.insert(words[wordIndex].sentence) }
        }
        return sentences
    }

    /// Promotional codes: a code word ("code", "codice", "Gutschein") with a code in capitals and
    /// digits right after it ("SORRY10"), in a sentence that speaks of a percentage or a discount.
    private func codes(in text: MessageText, percentSentences percent: Set<Int>) -> [(offset: Int, sentence: Int)] {
        let words = text.words
        var found: [(offset: Int, sentence: Int)] = []
        for index in words.indices where words[index].classes.contains(.codeWord) {
            let sentence = words[index].sentence
            let candidates = (index + 1)..<min(words.count, index + 3)
            guard candidates.contains(where: { candidate in
                let word = words[candidate]
                return word.sentence == sentence && word.text.utf8.count >= 4 && word.text.contains(where: \.isNumber)
                    && word.text.contains(where: \.isLetter) && isShouted(word, in: text)
            }) else { continue }
            let speaksOfDiscount = percent.contains(sentence)
                || words.contains { $0.sentence == sentence && ($0.classes.contains(.discount) || $0.classes.contains(.weakIncentive)) }
            if speaksOfDiscount { found.append((words[index].start, sentence)) }
        }
        return found
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

    /// Digit groups joined by hyphens, right after an order word ("Ordine", "Order #", "Pedido
    /// nº"), shaped like an order id with a group missing or cut short (`404-9740646`,
    /// `304-6245134-211809`, `8083515-7693318`).
    private func mangledOrderIDs(in text: MessageText) -> [(Int, String)] {
        let scalars = text.plain
        func digit(_ i: Int) -> Bool { i >= 0 && i < scalars.count && ("0"..."9").contains(scalars[i]) }
        var result: [(Int, String)] = []
        var index = 0
        while index < scalars.count {
            guard digit(index), !digit(index - 1), index == 0 || scalars[index - 1] != "-" else { index += 1; continue }
            var groups: [Int] = []
            var end = index
            while digit(end) {
                var length = 0
                while digit(end) { length += 1; end += 1 }
                groups.append(length)
                if end < scalars.count, scalars[end] == "-", digit(end + 1) { end += 1 } else { break }
            }
            defer { index = end + 1 }
            let shaped = switch groups.count {
            case 3: groups != [3, 7, 7] && (2...4).contains(groups[0]) && (5...8).contains(groups[1]) && (5...8).contains(groups[2])
            case 2: (groups[0] == 3 || (6...8).contains(groups[0])) && (6...8).contains(groups[1])
            default: false
            }
            guard shaped else { continue }
            // The word before it (over "#", "nº", "n.", ":") names an order.
            let before = text.words.last { $0.start < index }
            let gap = before.map { String(String.UnicodeScalarView(scalars[($0.start + $0.text.unicodeScalars.count)..<index])) } ?? ""
            var word = before?.text ?? ""
            if word.hasPrefix("n"), word.count <= 3,  // "n", "nº", "nr", "no" before the number
               let earlier = text.words.last(where: { $0.start < (before?.start ?? 0) }) { word = earlier.text }
            guard gap.unicodeScalars.count <= 4, Vocabulary.orderWords.contains(word) else { continue }
            result.append((index, String(String.UnicodeScalarView(scalars[index..<end]))))
        }
        return result
    }

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
        /// What follows the host (lowercase), for the storefront and tracking checks.
        var path = ""

        /// The host without a leading `www.`.
        var bareHost: String { host.hasPrefix("www.") ? String(host.dropFirst(4)) : host }

        /// A carrier's tracking page for one parcel: a tracking word in the host or path, and the
        /// parcel's number (a run of digits) in the path or query. A shop's own "/tracking" page
        /// with no parcel in it is a link like any other. Needed to fulfil the order whatever the
        /// carrier (one not on the allow-list included).
        var tracksAParcel: Bool {
            guard !path.isEmpty, Vocabulary.trackingPathWords.contains(where: { path.contains($0) || host.hasPrefix($0 + ".") }) else { return false }
            var run = 0
            for byte in path.utf8 {
                run = (0x30...0x39).contains(byte) ? run + 1 : 0
                if run >= 3 { return true }
            }
            return false
        }
    }

    private static let https = Array("https://".unicodeScalars)
    private static let http = Array("http://".unicodeScalars)
    private static let mailto = Array("mailto:".unicodeScalars)
    private static let www = Array("www.".unicodeScalars)

    private func isAllowed(bareHost host: String) -> Bool {
        allowedLinkDomains.contains(host) || allowedSuffixes.contains { host.hasSuffix($0) }
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
            links.append(Link(host: host.trimmingCharacters(in: [".", ","]), offset: index, length: end - index, isMailto: mailto,
                              path: mailto ? "" : String(rest.dropFirst(host.count))))
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
                var pathEnd = end
                while pathEnd < folded.count, !(folded[pathEnd] == " " || folded[pathEnd] == "\n") { pathEnd += 1 }
                links.append(Link(host: candidate, offset: start, length: candidate.unicodeScalars.count,
                                  path: String(String.UnicodeScalarView(folded[end..<pathEnd]))))
            }
            start = end + 1
        }
        // Written apart to dodge a pattern: "shop . de", "shop .com", "shop [.] it", "shop (.) com".
        for index in folded.indices where folded[index] == "." {
            var left = index - 1
            var right = index + 1
            var spaced = false
            if left >= 0, right < folded.count, (folded[left] == "[" && folded[right] == "]") || (folded[left] == "(" && folded[right] == ")") {
                left -= 1
                right += 1
                spaced = true
            }
            while left >= 0, folded[left] == " " { left -= 1; spaced = true }
            while right < folded.count, folded[right] == " " { right += 1 }
            guard spaced, left >= 0, right < folded.count, isHostScalar(folded[left]) else { continue }
            var tldEnd = right
            while tldEnd < folded.count, MessageText.isWordScalar(folded[tldEnd]) { tldEnd += 1 }
            var hostStart = left
            while hostStart > 0, isHostScalar(folded[hostStart - 1]) { hostStart -= 1 }
            let name = String(String.UnicodeScalarView(folded[hostStart...left]))
            let tld = String(String.UnicodeScalarView(folded[right..<tldEnd]))
            guard tldEnd > right, tldEnd == folded.count || !MessageText.isWordScalar(folded[tldEnd]),
                  PhraseIndex.shared.lookup(tld).classes.contains(.topLevelDomain), name.unicodeScalars.count >= 3,
                  !name.allSatisfy(\.isNumber), !covered.contains(where: { $0.contains(hostStart) }) else { continue }
            links.append(Link(host: name + "." + tld, offset: hostStart, length: tldEnd - hostStart))
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
                    links.append(Link(host: host, offset: 0, length: 0, sourceOffset: offset, path: String(withoutScheme.dropFirst(host.count))))
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
    private func reviewSentences(
        in text: MessageText, found: [[Match]], codeSentences: Set<Int>, percentSentences: Set<Int>
    ) -> [(offset: Int, length: Int, reason: String)] {
        var result: [(Int, Int, String)] = []
        let words = text.words
        func inSentence(_ category: PhraseIndex.Category, _ sentence: Int) -> Bool {
            found[category.rawValue].contains { words[$0.first].sentence == sentence }
        }
        // A row of star symbols is a target rating, with or without a review word.
        var run = 0
        for (offset, scalar) in text.plain.enumerated() {
            if scalar == "⭐" || scalar == "★" || scalar == "🌟" {
                run += 1
                if run == 3 { result.append((offset - 2, 5, "asking for a star rating (a row of stars) is asking for a positive review")) }
            } else if scalar != "\u{FE0F}" && scalar != " " {
                run = 0
            }
        }
        var index = 0
        while index < words.count {
            let sentence = words[index].sentence
            var end = index
            while end < words.count, words[end].sentence == sentence { end += 1 }
            defer { index = end }
            let range = index..<end
            guard let reviewIndex = range.first(where: { words[$0].classes.contains(.review) }) else { continue }
            // "We cannot offer anything in return for reviews": a refusal, not an offer.
            if inSentence(.refusal, sentence) || range.contains(where: { Vocabulary.refusalWords.contains(words[$0].text) }) { continue }
            let honest = range.contains { words[$0].classes.contains(.honest) }
            // Conditions and draws reach across a sentence boundary ("Happy? Then leave a review."),
            // unless the request itself asks for an honest review.
            let near = { (category: PhraseIndex.Category) in
                inSentence(category, sentence) || (!honest && (inSentence(category, sentence - 1) || inSentence(category, sentence + 1)))
            }
            var reason: String?
            let eitherWay = range.contains { words[$0].text.utf8.starts(with: "negativ".utf8) || words[$0].text.utf8.starts(with: "negatif".utf8) }
            if inSentence(.positiveReview, sentence) && !eitherWay {  // "positive or negative": neutral
                reason = "asking for a positive review is not allowed"
            } else if near(.onlySatisfied) {
                reason = "asking only satisfied buyers for a review is not allowed"
            } else if inSentence(.gating, sentence) {
                reason = "asking buyers to contact the seller before reviewing steers unhappy buyers away from reviews"
            } else if inSentence(.reviewChange, sentence) || (!honest && inSentence(.reviewChange, sentence + 1)) {
                reason = "asking a buyer to change or remove a review is not allowed"
            } else if inSentence(.strongIncentive, sentence) || near(.prizeDraw) || codeSentences.contains(sentence)
                        || (!honest && percentSentences.contains(sentence)) {
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

    /// Whether a Return Confirmation names something returned: a word, outside the greeting and
    /// signature lines and outside links, that is not of a return's own vocabulary (return,
    /// refund, order, parcel, dates, politeness; function words, numbers, months, currencies).
    /// "Your return for order 402-... arrived; 22.50 € refunded on 3 May" names no product.
    private static let functionWordsOfAnyLanguage = MessageLanguage.functionWords.values.reduce(into: Set<String>()) { $0.formUnion($1) }

    private func namesAProduct(_ text: MessageText) -> Bool {
        let plain = text.plain
        var lineOf: [Int] = []
        lineOf.reserveCapacity(plain.count)
        var line = 0
        for scalar in plain {
            lineOf.append(line)
            if scalar == "\n" { line += 1 }
        }
        // Words per line, to tell a greeting or a signature (a short first or last line) apart.
        var wordsPerLine: [Int: Int] = [:]
        for word in text.words { wordsPerLine[lineOf[word.start], default: 0] += 1 }
        let lines = wordsPerLine.keys.sorted()
        var skipped = Set<Int>()
        if lines.count >= 2, let first = lines.first, wordsPerLine[first]! <= 4 { skipped.insert(first) }
        for last in lines.reversed().prefix(3) where lines.count >= 3 {
            guard wordsPerLine[last]! <= 4 else { break }
            skipped.insert(last)
        }
        for word in text.words where !skipped.contains(lineOf[word.start]) {
            let end = word.start + word.text.unicodeScalars.count
            let before = word.start > 0 ? plain[word.start - 1] : " "
            let after = end < plain.count ? plain[end] : " "
            if before == "." || before == "/" || before == "@" || after == "/" || after == "@"
                || (after == "." && end + 1 < plain.count && MessageText.isWordScalar(plain[end + 1])) { continue }  // a link or an address
            let folded = word.text
            if folded.unicodeScalars.count < 3 || folded.contains(where: \.isNumber) { continue }
            if word.classes.contains(.month) || word.classes.contains(.currency) { continue }
            if Self.functionWordsOfAnyLanguage.contains(folded) || Vocabulary.returnMessageWords.contains(folded) { continue }
            if Vocabulary.returnMessageStems.contains(where: { folded.hasPrefix($0) }) { continue }
            return true
        }
        return false
    }

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
            // "3 de abril", "le 5 de mayo"
            if index > 1, words[index - 1].text == "de", words[index - 2].text.allSatisfy(\.isNumber) { return true }
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
                    // Day and month alone ("am 7.10.", "le 18/04"): a real day and month, not a price.
                    for monthDigits in [1, 2] where digits(month, monthDigits) && !digits(month + monthDigits, 1) && !digits(index - 1, 1)
                        && (index == 0 || scalars[index - 1] == " ") {
                        let after = month + monthDigits < scalars.count ? scalars[month + monthDigits] : " "
                        let day = Int(String(String.UnicodeScalarView(scalars[index..<(index + dayDigits)]))) ?? 0
                        let monthNumber = Int(String(String.UnicodeScalarView(scalars[month..<(month + monthDigits)]))) ?? 0
                        // "7.10" alone may be a number; "7.10." and "7/10" are dates.
                        if (1...31).contains(day), (1...12).contains(monthNumber), [" ", ".", "\n", ","].contains(after),
                           separator != "." || after == "." {
                            return true
                        }
                    }
                }
            }
        }
        return false
    }
}
