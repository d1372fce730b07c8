import Foundation

/// The checker's statistical layer: one linear model per phrase-like rule (marketing, review
/// manipulation, opt-out) over hashed character n-grams and word pairs of the folded words.
///
/// It catches paraphrases the phrase lists have not seen. It is trained offline
/// (`scripts/train-message-model.py`, scikit-learn's logistic regression on the training corpus
/// only) and shipped as the resource `message-model.bin`, read once at first use; nothing is
/// downloaded at run time. A rule's model speaks only where the rules did not already flag that
/// rule, and only above a threshold chosen on cross-validated training scores for precision. Its
/// flag names the words that weighed most. Format: docs/formats.md, "Message model".
struct MessageModel: Sendable {
    /// The rules the model scores, in the order of its weights.
    let rules: [MessageRule]
    let bias: [Float]
    let threshold: [Float]
    /// Dequantisation factor of each rule's weights.
    let scale: [Float]
    /// `rules.count` weights per slot, slot-major; quantised to Int8.
    let weights: [Int8]
    let slotMask: UInt32
    /// A message's weight sum is divided by the square root of its feature count, but never of
    /// fewer than this (a one-line message would weigh its one cue many times over).
    let minimumFeatures: Int

    /// The shipped model; `nil` only when the resource is missing or unreadable (a broken
    /// install: `MessageChecker.statisticalLayerLoaded` says so, and a test checks it).
    static let shared: MessageModel? = load()

    /// Reads and parses the resource (once per process through `shared`), from the package's
    /// resource folder beside the executable, where SwiftPM puts it. Not `Bundle.module`: its
    /// accessor stops the process when the folder is missing (an app copied without it); here the
    /// layer is off instead, and `MessageChecker.statisticalLayerLoaded` says so.
    static func load() -> MessageModel? {
        let folder = "BuyerGuard_BuyerGuardMessaging.resources"
        let candidates = [Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent()].compactMap { $0 }
            .flatMap { [$0.appendingPathComponent(folder), $0.appendingPathComponent(folder).appendingPathComponent("Contents/Resources")] }
        for candidate in candidates {
            if let data = try? Data(contentsOf: candidate.appendingPathComponent("message-model.bin")) {
                return MessageModel(data: [UInt8](data))
            }
        }
        return nil
    }

    /// Reads the format written by `scripts/train-message-model.py`.
    init?(data: [UInt8]) {
        var cursor = 0
        func u32() -> UInt32? {
            guard cursor + 4 <= data.count else { return nil }
            defer { cursor += 4 }
            return UInt32(data[cursor]) | UInt32(data[cursor + 1]) << 8 | UInt32(data[cursor + 2]) << 16 | UInt32(data[cursor + 3]) << 24
        }
        func f32() -> Float? { u32().map(Float.init(bitPattern:)) }
        guard data.count >= 4, Array(data[0..<4]) == Array("BGMM".utf8) else { return nil }
        cursor = 4
        guard u32() == 1, let bits = u32(), (8...24).contains(bits), let minimumFeatures = u32(),
              let ruleCount = u32().map(Int.init), (1...8).contains(ruleCount) else { return nil }
        var rules: [MessageRule] = [], bias: [Float] = [], threshold: [Float] = [], scale: [Float] = []
        for _ in 0..<ruleCount {
            guard cursor < data.count else { return nil }
            let length = Int(data[cursor])
            cursor += 1
            guard cursor + length <= data.count,
                  let rule = MessageRule(rawValue: String(decoding: data[cursor..<(cursor + length)], as: UTF8.self)) else { return nil }
            cursor += length
            guard let b = f32(), let t = f32(), let s = f32() else { return nil }
            rules.append(rule); bias.append(b); threshold.append(t); scale.append(s)
        }
        guard let entries = u32().map(Int.init), cursor + entries * (4 + ruleCount) == data.count else { return nil }
        var weights = [Int8](repeating: 0, count: (1 << Int(bits)) * ruleCount)
        for _ in 0..<entries {
            guard let slot = u32(), slot < 1 << bits else { return nil }
            for r in 0..<ruleCount { weights[Int(slot) * ruleCount + r] = Int8(bitPattern: data[cursor + r]) }
            cursor += ruleCount
        }
        self.rules = rules
        self.bias = bias
        self.threshold = threshold
        self.scale = scale
        self.weights = weights
        slotMask = (1 << bits) - 1
        self.minimumFeatures = Int(minimumFeatures)
    }

    /// A rule's score for a message, with the words that raised it most.
    struct Verdict {
        var rule: MessageRule
        /// The model's logit; flagged when it is at least the rule's threshold.
        var score: Float
        var flagged: Bool
        /// Index in `text.words` of the words that raised the score most, strongest first.
        var topWords: [Int]
    }

    /// Scores every rule of the model over `words`; the words behind a flag only when it flags.
    func verdicts(_ words: [MessageText.Word]) -> [Verdict] {
        let ruleCount = rules.count
        var sums = [Float](repeating: 0, count: ruleCount)
        var count = 0
        let mask = slotMask
        // Unsafe buffers: a captured array written per feature pays a uniqueness check each time.
        sums.withUnsafeMutableBufferPointer { sums in
            weights.withUnsafeBufferPointer { w in
                MessageModel.features(words) { slot, _ in
                    let base = Int(slot & mask) * ruleCount
                    for r in 0..<ruleCount { sums[r] += Float(w[base + r]) }
                    count += 1
                }
            }
        }
        let norm = 1 / Float(max(count, minimumFeatures, 1)).squareRoot()
        let scores = rules.indices.map { bias[$0] + scale[$0] * sums[$0] * norm }
        let flagged = rules.indices.map { scores[$0] >= threshold[$0] }
        var perWord: [Float] = []
        if flagged.contains(true) {
            // What each word added to each rule, for the explanation.
            perWord = [Float](repeating: 0, count: words.count * ruleCount)
            perWord.withUnsafeMutableBufferPointer { perWord in
                weights.withUnsafeBufferPointer { w in
                    MessageModel.features(words) { slot, word in
                        let base = Int(slot & mask) * ruleCount
                        for r in 0..<ruleCount { perWord[word * ruleCount + r] += Float(w[base + r]) }
                    }
                }
            }
        }
        return rules.indices.map { r in
            var top: [Int] = []
            if flagged[r] {
                top = words.indices.filter { perWord[$0 * ruleCount + r] > 0 }
                    .sorted { perWord[$0 * ruleCount + r] > perWord[$1 * ruleCount + r] }
                    .prefix(3).map { $0 }
            }
            return Verdict(rule: rules[r], score: scores[r], flagged: flagged[r], topWords: top)
        }
    }

    /// The hashed features of a word sequence, each with the index of the word it belongs to:
    /// per word, the word itself, the pair with the word before it in the same sentence, and its
    /// character 3-, 4- and 5-grams with a space at either end; digits read as `0`. 32-bit
    /// FNV-1a over the UTF-8 bytes. `scripts/train-message-model.py` computes the same.
    static func features(_ words: [MessageText.Word], _ body: (UInt32, Int) -> Void) {
        var previous: [UInt8] = []
        var previousSentence = -1
        var padded: [UInt8] = []
        padded.reserveCapacity(32)
        previous.reserveCapacity(32)
        for index in words.indices {
            let text = words[index].text, sentence = words[index].sentence
            padded.removeAll(keepingCapacity: true)
            padded.append(0x20)
            for byte in text.utf8 { padded.append((0x30...0x39).contains(byte) ? 0x30 : byte) }
            padded.append(0x20)
            let word = padded[1..<(padded.count - 1)]
            body(fnv(0x01, word), index)
            if sentence == previousSentence {
                var h = fnv(0x02, previous[...])
                h = (h ^ 0x20) &* 16_777_619
                for byte in word { h = (h ^ UInt32(byte)) &* 16_777_619 }
                body(h, index)
            }
            // The 3-, 4- and 5-grams starting at each byte, hashed in one pass.
            padded.withUnsafeBufferPointer { bytes in
                let count = bytes.count
                for start in 0..<max(count - 2, 0) {
                    var h: UInt32 = 2_166_136_261
                    h = (h ^ UInt32(bytes[start])) &* 16_777_619
                    h = (h ^ UInt32(bytes[start + 1])) &* 16_777_619
                    h = (h ^ UInt32(bytes[start + 2])) &* 16_777_619
                    body(h, index)
                    guard start + 3 < count else { continue }
                    h = (h ^ UInt32(bytes[start + 3])) &* 16_777_619
                    body(h, index)
                    guard start + 4 < count else { continue }
                    h = (h ^ UInt32(bytes[start + 4])) &* 16_777_619
                    body(h, index)
                }
            }
            previous.removeAll(keepingCapacity: true)
            previous.append(contentsOf: word)
            previousSentence = sentence
        }
    }

    @inline(__always)
    private static func fnv(_ tag: UInt8, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        var h: UInt32 = (2_166_136_261 ^ UInt32(tag)) &* 16_777_619
        for byte in bytes { h = (h ^ UInt32(byte)) &* 16_777_619 }
        return h
    }
}
