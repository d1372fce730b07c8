/// Every phrase list of ``Vocabulary``, indexed by first word, so that a message is scanned once
/// whatever the number of phrases.
struct PhraseIndex: Sendable {
    enum Category: Int, CaseIterable {
        case optOut, marketing, futurePurchase, positiveReview, onlySatisfied, strongIncentive, adjusted, unavailableReason, returned
        case socialChannel, prizeDraw, reviewChange, gating, refusal

        var phrases: [[String]] {
            switch self {
            case .optOut: Vocabulary.optOut
            case .marketing: Vocabulary.marketing
            case .futurePurchase: Vocabulary.futurePurchase
            case .positiveReview: Vocabulary.positiveReview
            case .onlySatisfied: Vocabulary.onlySatisfied
            case .strongIncentive: Vocabulary.strongIncentive
            case .adjusted: Vocabulary.adjusted
            case .unavailableReason: Vocabulary.unavailableReason
            case .returned: Vocabulary.returned
            case .socialChannel: Vocabulary.socialChannel
            case .prizeDraw: Vocabulary.prizeDraw
            case .reviewChange: Vocabulary.reviewChange
            case .gating: Vocabulary.gating
            case .refusal: Vocabulary.refusal
            }
        }
    }

    private struct Entry: Sendable {
        /// Each word, and whether it matches by prefix (`*` removed).
        var words: [(text: String, isPrefix: Bool)]
        var category: Category
    }

    /// What a word is, found with one dictionary lookup when the message is split into words.
    struct WordClass: OptionSet, Sendable {
        let rawValue: UInt32
        static let review = WordClass(rawValue: 1 << 0)
        static let discount = WordClass(rawValue: 1 << 1)
        static let weakIncentive = WordClass(rawValue: 1 << 2)
        static let forWord = WordClass(rawValue: 1 << 3)
        static let honest = WordClass(rawValue: 1 << 4)
        static let month = WordClass(rawValue: 1 << 5)
        static let currency = WordClass(rawValue: 1 << 6)
        static let dot = WordClass(rawValue: 1 << 7)
        static let topLevelDomain = WordClass(rawValue: 1 << 8)
        static let noMore = WordClass(rawValue: 1 << 9)
        static let messageWord = WordClass(rawValue: 1 << 10)
        static let wish = WordClass(rawValue: 1 << 11)
        static let replyVerb = WordClass(rawValue: 1 << 12)
        static let stopKeyword = WordClass(rawValue: 1 << 13)
        static let shoutedKeyword = WordClass(rawValue: 1 << 14)
        static let codeWord = WordClass(rawValue: 1 << 15)
        static let offerWord = WordClass(rawValue: 1 << 16)
    }

    /// Every word the vocabulary knows: its class and the phrases it starts.
    private let lexicon: [String: Int]
    private let slots: [(classes: WordClass, entries: [Entry])]
    /// Phrases whose first word ends in `*` (matched by prefix), by the first two (ASCII) letters
    /// of their stem, so that a word is compared with the few stems it could start with.
    private let byFirstPrefix: [[Entry]]

    private static func prefixBucket(_ word: String) -> Int? {
        var utf8 = word.utf8.makeIterator()
        guard let first = utf8.next(), let second = utf8.next(), first < 128, second < 128 else { return nil }
        return Int(first) << 7 | Int(second)
    }

    static let shared = PhraseIndex()

    init() {
        var lexicon: [String: Int] = [:]
        var slots: [(classes: WordClass, entries: [Entry])] = []
        func slot(_ word: String) -> Int {
            if let index = lexicon[word] { return index }
            lexicon[word] = slots.count
            slots.append(([], []))
            return slots.count - 1
        }
        for (words, wordClass) in [
            (Vocabulary.reviewWords, WordClass.review), (Vocabulary.discountWords, .discount), (Vocabulary.weakIncentive, .weakIncentive),
            (Vocabulary.forWords, .forWord), (Vocabulary.honest, .honest), (Vocabulary.months, .month), (Vocabulary.currency, .currency),
            (Vocabulary.dotWords, .dot), (Vocabulary.topLevelDomains, .topLevelDomain), (Vocabulary.noMore, .noMore),
            (Vocabulary.messageWords, .messageWord), (Vocabulary.wishWords, .wish), (Vocabulary.replyVerbs, .replyVerb),
            (Vocabulary.stopKeywords, .stopKeyword), (Vocabulary.shoutedKeywords, .shoutedKeyword), (Vocabulary.codeWords, .codeWord),
            (Vocabulary.offerWords, .offerWord),
        ] {
            for word in words { slots[slot(word)].classes.insert(wordClass) }
        }
        var exact: [String: [Entry]] = [:]
        var prefixed = [[Entry]](repeating: [], count: 128 * 128)
        for category in Category.allCases {
            for phrase in category.phrases {
                let entry = Entry(words: phrase.map { $0.hasSuffix("*") ? (String($0.dropLast()), true) : ($0, false) }, category: category)
                if phrase[0].hasSuffix("*") {
                    guard let bucket = Self.prefixBucket(String(phrase[0].dropLast())) else {
                        preconditionFailure("a prefix phrase's stem needs two ASCII letters: \(phrase[0])")
                    }
                    prefixed[bucket].append(entry)
                } else {
                    exact[phrase[0], default: []].append(entry)
                }
            }
        }
        for (word, entries) in exact { slots[slot(word)].entries = entries }
        self.lexicon = lexicon
        self.slots = slots
        byFirstPrefix = prefixed
    }

    /// The slot of a word (`-1` when the vocabulary does not know it) and its classes.
    func lookup(_ word: String) -> (slot: Int32, classes: WordClass) {
        guard let index = lexicon[word] else { return (-1, []) }
        return (Int32(index), slots[index].classes)
    }

    /// Matches of every category, indexed by `Category.rawValue`; a phrase never spans sentences.
    func scan(_ words: [MessageText.Word]) -> [[MessageChecker.Match]] {
        var found = [[MessageChecker.Match]](repeating: [], count: Category.allCases.count)
        for index in words.indices {
            let word = words[index].text
            let exact = words[index].slot >= 0 ? slots[Int(words[index].slot)].entries : []
            let prefixed = Self.prefixBucket(word).map { byFirstPrefix[$0] } ?? []
            var matchedCategories = 0
            for entry in [exact, prefixed].joined() where matchedCategories & (1 << entry.category.rawValue) == 0 {
                guard index + entry.words.count <= words.count else { continue }
                var ok = true
                for (offset, part) in entry.words.enumerated() {
                    let candidate = words[index + offset]
                    if candidate.sentence != words[index].sentence { ok = false; break }
                    if part.isPrefix ? !candidate.text.utf8.starts(with: part.text.utf8) : candidate.text != part.text { ok = false; break }
                }
                if ok {
                    found[entry.category.rawValue].append(MessageChecker.Match(first: index, count: entry.words.count))
                    matchedCategories |= 1 << entry.category.rawValue
                }
            }
        }
        return found
    }
}
