/// The five languages told apart by their commonest short words.
///
/// A guess for the Messaging API's rule that a message be in the buyer's language: it counts,
/// among the message's words, those on each language's list of function words (articles,
/// pronouns, prepositions, auxiliaries) and names the language with the most, if it has at least
/// three and clearly more than the next. A mixed message (an Italian text with English words) is
/// still read as its main language; too short or too even a text gives no guess, and no flag.
extension MessageLanguage {
    /// Folded forms (lowercase, no accents), as ``MessageText`` folds words.
    static let functionWords: [MessageLanguage: Set<String>] = [
        .italian: ["il", "lo", "la", "gli", "le", "di", "del", "della", "che", "non", "per", "con", "sono", "suo", "sua", "tuo", "tua",
                   "nostro", "nostra", "ci", "ti", "grazie", "gentile", "ordine", "abbiamo", "siamo", "questo", "questa", "anche", "ma", "e"],
        .english: ["the", "and", "you", "your", "we", "our", "is", "are", "of", "to", "for", "with", "this", "that", "have", "has",
                   "will", "be", "it", "not", "thank", "thanks", "dear", "order", "please", "regards"],
        .german: ["der", "die", "das", "und", "ist", "sie", "ihre", "ihr", "wir", "uns", "nicht", "mit", "fur", "auf", "ein", "eine",
                  "einen", "dem", "den", "des", "zu", "vielen", "dank", "bestellung", "bitte", "gruße", "grusse", "haben", "wird", "sehr"],
        .french: ["le", "la", "les", "des", "du", "et", "est", "vous", "votre", "vos", "nous", "notre", "pour", "avec", "pas", "une",
                  "que", "qui", "sur", "merci", "commande", "bonjour", "cordialement", "avons", "sera", "dans"],
        .spanish: ["el", "los", "las", "y", "es", "usted", "su", "sus", "nosotros", "nuestro", "nuestra", "para", "con", "una", "que",
                   "por", "gracias", "pedido", "hola", "saludos", "hemos", "sera", "esta", "muy", "del", "lo"],
    ]

    /// The message's main language, or `nil` when the words do not tell.
    static func guess(_ words: [MessageText.Word]) -> MessageLanguage? {
        var counts: [MessageLanguage: Int] = [:]
        for word in words {
            for language in allCases where functionWords[language]!.contains(word.text) { counts[language, default: 0] += 1 }
        }
        let ranked = counts.sorted { $0.value > $1.value }
        guard let best = ranked.first, best.value >= 3 else { return nil }
        let second = ranked.dropFirst().first?.value ?? 0
        return Double(best.value) >= Double(second) * 1.5 + 1 ? best.key : nil
    }
}
