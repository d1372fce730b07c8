/// Every phrase list of ``Vocabulary``, indexed by first word, so that a message is scanned once
/// whatever the number of phrases.
struct PhraseIndex: Sendable {
    enum Category: Int, CaseIterable {
        case optOut, marketing, futurePurchase, positiveReview, onlySatisfied, strongIncentive, adjusted, unavailableReason, returned

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
        let rawValue: UInt16
        static let review = WordClass(rawValue: 1 << 0)
        static let discount = WordClass(rawValue: 1 << 1)
        static let weakIncentive = WordClass(rawValue: 1 << 2)
        static let forWord = WordClass(rawValue: 1 << 3)
        static let honest = WordClass(rawValue: 1 << 4)
        static let month = WordClass(rawValue: 1 << 5)
        static let currency = WordClass(rawValue: 1 << 6)
        static let dot = WordClass(rawValue: 1 << 7)
        static let topLevelDomain = WordClass(rawValue: 1 << 8)
    }

    /// Every word the vocabulary knows: its class and the phrases it starts.
    private let lexicon: [String: Int]
    private let slots: [(classes: WordClass, entries: [Entry])]
    /// Phrases whose first word ends in `*` (matched by prefix), by their first (ASCII) letter.
    private let byFirstPrefix: [[Entry]]

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
            (Vocabulary.dotWords, .dot), (Vocabulary.topLevelDomains, .topLevelDomain),
        ] {
            for word in words { slots[slot(word)].classes.insert(wordClass) }
        }
        var exact: [String: [Entry]] = [:]
        var prefixed = [[Entry]](repeating: [], count: 128)
        for category in Category.allCases {
            for phrase in category.phrases {
                let entry = Entry(words: phrase.map { $0.hasSuffix("*") ? (String($0.dropLast()), true) : ($0, false) }, category: category)
                if phrase[0].hasSuffix("*") {
                    prefixed[Int(phrase[0].unicodeScalars.first!.value)].append(entry)
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
            let first = word.utf8.first.map(Int.init) ?? 0
            let prefixed = first < 128 ? byFirstPrefix[first] : []
            var matchedCategories = 0
            for entry in [exact, prefixed].joined() where matchedCategories & (1 << entry.category.rawValue) == 0 {
                guard index + entry.words.count <= words.count else { continue }
                var ok = true
                for (offset, part) in entry.words.enumerated() {
                    let candidate = words[index + offset]
                    if candidate.sentence != words[index].sentence { ok = false; break }
                    if part.isPrefix ? !candidate.text.hasPrefix(part.text) : candidate.text != part.text { ok = false; break }
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
