import BuyerGuard
import BuyerGuardMessaging
import Foundation
import Testing

/// The checker against a labelled corpus (Tests/BuyerGuardTests/Fixtures/messages/corpus.json):
/// every violation type, compliant look-alikes and HTML, in five languages, most in Italian.
@Suite struct MessageCorpusTests {
    struct Sample: Decodable {
        var id: Int
        var lang: String
        var kind: String
        var order: String
        var text: String
        var expected: [String]
        var note: String
    }

    static func load(_ name: String) -> [Sample] {
        guard let data = try? Data(contentsOf: try! Fixtures.url("messages/\(name)")) else { return [] }
        return (try? JSONDecoder().decode([Sample].self, from: data)) ?? []
    }

    /// Written together with the checker's vocabulary.
    static let corpus = load("corpus.json")
    /// Written after the vocabulary was frozen, and not used to tune it.
    static let heldOut = load("heldout.json")

    struct Score { var truePositives = 0, falsePositives = 0, falseNegatives = 0
        var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
        var recall: Double { truePositives + falseNegatives == 0 ? 1 : Double(truePositives) / Double(truePositives + falseNegatives) }
    }

    /// Scores by rule, counting each rule once per message.
    static func score(_ samples: [Sample] = corpus + heldOut) -> (byRule: [String: Score], overall: Score, misses: [String]) {
        let checker = MessageChecker()
        var byRule: [String: Score] = [:]
        var overall = Score()
        var misses: [String] = []
        for sample in samples {
            let found = Set(checker.check(sample.text, purpose: MessagePurpose(name: sample.kind)!, orderID: try! OrderID(sample.order)).map(\.rule.rawValue))
            let expected = Set(sample.expected)
            for rule in found.union(expected) {
                var score = byRule[rule, default: Score()]
                if found.contains(rule) && expected.contains(rule) { score.truePositives += 1; overall.truePositives += 1 }
                else if found.contains(rule) { score.falsePositives += 1; overall.falsePositives += 1; misses.append("#\(sample.id) \(sample.lang) false \(rule)") }
                else { score.falseNegatives += 1; overall.falseNegatives += 1; misses.append("#\(sample.id) \(sample.lang) missed \(rule)") }
                byRule[rule] = score
            }
        }
        return (byRule, overall, misses)
    }

    /// Precision and recall overall, per language and per rule, printed for docs/messaging.md.
    /// `showMisses` only for training data: the held-out sets' misses are never looked at.
    static func report(_ name: String, _ samples: [Sample], showMisses: Bool) -> Score {
        let (byRule, overall, misses) = score(samples)
        func line(_ s: Score) -> String {
            String(format: "precision %.3f recall %.3f (tp %d, fp %d, fn %d)", s.precision, s.recall, s.truePositives, s.falsePositives, s.falseNegatives)
        }
        print("eval \(name) (\(samples.count) messages): \(line(overall))")
        for language in ["it", "en", "de", "fr", "es"] {
            let subset = samples.filter { $0.lang == language }
            print("eval \(name) \(language) (\(subset.count)): \(line(score(subset).overall))")
        }
        for (rule, score) in byRule.sorted(by: { $0.key < $1.key }) { print("eval \(name) rule \(rule): \(line(score))") }
        if showMisses { for miss in misses { print("eval \(name) miss: \(miss)") } }
        return overall
    }

    static func loadAll(prefix: String) -> [Sample] {
        let folder = try! Fixtures.url("messages/corpus.json").deletingLastPathComponent()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        return names.flatMap { load($0) }
    }

    /// Issue #13's sets. Training: the first corpus and held-out set, the training-13 files
    /// (training-13b-* added in the second round), and the first round's held-out set
    /// (heldout-13*.json, folded in after the round). Held out: heldout-next-13*.json, frozen
    /// before the second round, never tuned on, scored before and after it. heldout-next2-13 is
    /// the third round's and is not read here.
    static var issue13Training: [Sample] {
        corpus + heldOut + loadAll(prefix: "training-13") + loadAll(prefix: "heldout-13")
    }

    @Test func issue13Evaluation() {
        let heldOut = Self.loadAll(prefix: "heldout-next-13")
        _ = Self.report("training", Self.issue13Training, showMisses: ProcessInfo.processInfo.environment["BUYERGUARD_SHOW_MISSES"] != nil)
        if ProcessInfo.processInfo.environment["BUYERGUARD_TRAINING_ONLY"] == nil {  // while tuning, not even its totals
            _ = Self.report("heldout-next-13", heldOut, showMisses: false)
        }
    }

    /// Writes what `scripts/train-message-model.py` trains on: the training corpus only (never a
    /// held-out set), each message as the checker's folded words, its labels, and what the rules
    /// alone flag. Runs only with `BUYERGUARD_EXPORT_MODEL_WORDS=FILE`.
    @Test func exportModelWords() throws {
        guard let path = ProcessInfo.processInfo.environment["BUYERGUARD_EXPORT_MODEL_WORDS"] else { return }
        var rulesOnly = MessageChecker()
        rulesOnly.usesStatisticalLayer = false
        let records: [[String: Any]] = Self.issue13Training.map { sample in
            let flagged = Set(rulesOnly.check(sample.text, purpose: MessagePurpose(name: sample.kind)!, orderID: try! OrderID(sample.order)).map(\.rule.rawValue))
            return ["id": sample.id, "lang": sample.lang, "text": sample.text, "expected": sample.expected, "rules": flagged.sorted(),
                    "words": MessageChecker.modelWords(sample.text).map { [$0.word, $0.sentence] as [Any] }]
        }
        try JSONSerialization.data(withJSONObject: records).write(to: URL(fileURLWithPath: path))
    }

    /// The shipped model reads a message exactly as its training script did: scores computed in
    /// Python from the shipped weights (Fixtures/messages/model-vectors.json) come out the same.
    @Test func statisticalLayerMatchesItsTrainingScript() throws {
        #expect(MessageChecker.statisticalLayerLoaded)
        struct Vector: Decodable { var text: String; var scores: [String: Float] }
        let vectors = try JSONDecoder().decode([Vector].self, from: Data(contentsOf: try Fixtures.url("messages/model-vectors.json")))
        #expect(vectors.count >= 10)
        for vector in vectors {
            let scores = MessageChecker.modelScores(vector.text)
            for (rule, expected) in vector.scores {
                let got = try #require(scores[rule], "\(rule) not in the model")
                #expect(abs(got - expected) < 1e-3, "\(rule): \(got) against \(expected) for \(vector.text.prefix(40))")
            }
        }
    }

    /// The training corpus of #13: every rule caught on paraphrases in every language, few false
    /// alarms on its hard negatives. (The held-out set's own figures are reported, never tuned on:
    /// docs/messaging.md.)
    @Test func trainingCorpusHoldsInEveryLanguage() {
        let training = Self.issue13Training
        #expect(training.count >= 1000)
        let checker = MessageChecker()
        for language in ["it", "en", "de", "fr", "es"] {
            let samples = training.filter { $0.lang == language }
            #expect(samples.count >= 150, "\(language): \(samples.count) messages")
            let overall = Self.score(samples).overall
            #expect(overall.precision >= 0.96 && overall.recall >= 0.95, "\(language): \(overall)")
            for rule in MessageRule.allCases where !MessageRule.channelRules.contains(rule) {
                let labelled = samples.filter { $0.expected.contains(rule.rawValue) }
                guard !labelled.isEmpty else { continue }
                let caught = labelled.filter { sample in
                    checker.check(sample.text, purpose: MessagePurpose(name: sample.kind)!, orderID: try! OrderID(sample.order))
                        .contains { $0.rule == rule }
                }
                #expect(!caught.isEmpty, "\(rule.rawValue) caught on none of \(labelled.count) \(language) paraphrases")
            }
        }
        // Where the checker stands (2026-12-04: P 0.975, R 0.973 over 1,962), as a guard against
        // regressions; the issue's training target (P >= 0.98) is not met: docs/messaging.md.
        let overall = Self.score(training).overall
        #expect(overall.precision >= 0.97)
        #expect(overall.recall >= 0.97)
    }

    @Test func corpusIsBigAndMostlyItalian() {
        #expect(Self.corpus.count >= 100)
        #expect(Self.corpus.filter { $0.lang == "it" }.count >= 40)
        #expect(Set(Self.corpus.map(\.lang)) == ["it", "en", "de", "fr", "es"])
        let covered = Set(Self.corpus.flatMap(\.expected))
        #expect(covered == Set(MessageRule.allCases.filter { !MessageRule.channelRules.contains($0) }.map(\.rawValue)))
        #expect(Self.corpus.contains { $0.text.contains("<html") || $0.text.contains("<p>") })
    }

    @Test func precisionAndRecallAtLeast95Percent() {
        let held = Self.score(Self.heldOut).overall
        print("held out (\(Self.heldOut.count) messages): precision \(String(format: "%.3f", held.precision)) recall \(String(format: "%.3f", held.recall))")
        let (byRule, overall, misses) = Self.score()
        for (rule, score) in byRule.sorted(by: { $0.key < $1.key }) {
            print("rule \(rule): precision \(String(format: "%.3f", score.precision)) recall \(String(format: "%.3f", score.recall)) (tp \(score.truePositives), fp \(score.falsePositives), fn \(score.falseNegatives))")
        }
        print("overall: precision \(String(format: "%.3f", overall.precision)) recall \(String(format: "%.3f", overall.recall))")
        for miss in misses { print("miss: \(miss)") }
        #expect(overall.precision >= 0.95)
        #expect(overall.recall >= 0.95)
    }
}

/// Each rule firing, and a look-alike that must not.
@Suite struct MessageRuleTests {
    static let order = try! OrderID("402-1234567-1234567")
    func rules(_ text: String, _ purpose: MessagePurpose = .support) -> Set<MessageRule> {
        Set(MessageChecker().check(text, purpose: purpose, orderID: Self.order).map(\.rule))
    }

    @Test(arguments: [
        // (text, rule that must fire, look-alike that must not fire)
        ("Ordine 402-1234567-1234567: visita www.miosito.it", MessageRule.link, "Ordine 402-1234567-1234567: traccia su https://www.poste.it/cerca"),
        ("Ordine 402-1234567-1234567: mailto:info@miosito.it", .link, "Ordine 402-1234567-1234567: scrivi pure a info@miosito.it"),
        ("Ordine 402-1234567-1234567: miosito [dot] com", .link, "Ordine 402-1234567-1234567: il prezzo è 12.50 euro"),
        ("Ordine 402-1234567-1234567: per disiscriverti rispondi NO", .optOut, "Ordine 402-1234567-1234567: la tua iscrizione al corso è confermata"),
        ("Ordine 402-1234567-1234567: nuova collezione in arrivo!", .marketing, "Ordine 402-1234567-1234567: la collezione del tuo pacco è avvenuta"),
        ("Ordine 402-1234567-1234567: 10% di sconto sul prossimo acquisto", .marketing, "Ordine 402-1234567-1234567: lo sconto è già nel totale"),
        ("Ordine 402-1234567-1234567: lasciaci una recensione positiva", .reviewManipulation, "Ordine 402-1234567-1234567: se vuoi, lascia una recensione onesta"),
        ("Ordine 402-1234567-1234567: se sei soddisfatto lascia una recensione", .reviewManipulation, "Ordine 402-1234567-1234567: se sei soddisfatto, bene!"),
        ("Ordine 402-1234567-1234567: un buono regalo per la tua recensione", .reviewManipulation, "Ordine 402-1234567-1234567: il rimborso è stato emesso. Una recensione onesta ci aiuta."),
        ("Buongiorno, il pacco è partito.", .missingOrderID, "Buongiorno, il pacco dell'ordine 402-1234567-1234567 è partito."),
        ("Ordine 402-7654321-7654321 spedito.", .wrongOrderID, "Ordine 402-1234567-1234567 spedito."),
    ])
    func ruleFiresAndLookAlikeDoesNot(text: String, rule: MessageRule, lookAlike: String) {
        #expect(rules(text).contains(rule), "\(rule) did not fire on: \(text)")
        #expect(!rules(lookAlike).contains(rule), "\(rule) fired on the look-alike: \(lookAlike)")
    }

    @Test func logoLinksInHTML() {
        let logo = "<html><body><a href=\"https://shop.example.it\"><img src=\"logo.png\"></a><p>Ordine 402-1234567-1234567 spedito.</p></body></html>"
        #expect(rules(logo).contains(.logoLink))
        let image = "<html><body><img src=\"logo.png\"><p>Ordine 402-1234567-1234567 spedito.</p></body></html>"
        #expect(rules(image).isEmpty)
    }

    @Test func kindSpecificContent() {
        let unavailable = MessagePurpose.order(.orderUnavailable)
        #expect(rules("Ordine 402-1234567-1234567: articolo esaurito (NoInventory), importo rimborsato.", unavailable).isEmpty)
        #expect(rules("Ordine 402-1234567-1234567: articolo esaurito.", unavailable) == [.orderUnavailableContent])
        let returned = MessagePurpose.order(.returnConfirmation)
        #expect(rules("Ordine 402-1234567-1234567: reso della tazza ricevuto, rimborsati 12,90 € il 14/11/2026.", returned).isEmpty)
        #expect(rules("Ordine 402-1234567-1234567: reso della tazza ricevuto.", returned) == [.returnConfirmationContent])
        // Other kinds need neither.
        #expect(rules("Ordine 402-1234567-1234567: articolo esaurito.", .order(.shipmentDelay)).isEmpty)
    }

    @Test func violationsCarryTheirPlace() throws {
        let text = "Buongiorno,\nordine 402-1234567-1234567 spedito.\nVisita www.miosito.it per le offerte."
        let link = try #require(MessageChecker().check(text, purpose: .support, orderID: Self.order).first { $0.rule == .link })
        #expect(link.line == 3 && link.column == 8)
        #expect(link.excerpt == "www.miosito.it")
        let html = "<p>Ordine 402-1234567-1234567.</p>\n<p>Seguici su Instagram!</p>"
        let marketing = try #require(MessageChecker().check(html, purpose: .support, orderID: Self.order).first)
        #expect(marketing.rule == .marketing && marketing.line == 2 && marketing.column == 4)
    }

    /// A tracking page is needed to fulfil the order whatever the carrier; the shop's pages are not.
    @Test func trackingLinksOfAnyCarrierAndNothingElse() {
        #expect(rules("Commande 402-1234567-1234567 : suivi https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition=98765432").isEmpty)
        #expect(rules("Order 402-1234567-1234567: track it at https://track.bpost.cloud/btr/web/#/search?itemCode=3232999").isEmpty)
        #expect(rules("Order 402-1234567-1234567: our new range is at https://www.myshop.example/new").contains(.link))
        // A tracking page names the parcel; the shop's own "tracking" page without one is a link.
        #expect(rules("Pedido 402-1234567-1234567: consulte el envío en www.mitienda.es/seguimiento").contains(.link))
        #expect(rules("Pedido 402-1234567-1234567: consulte el envío en www.mitienda.es/seguimiento?envio=88123").isEmpty)
    }

    /// "Link in bio" sends the buyer to a page of links, in any of the languages.
    @Test(arguments: ["Order 402-1234567-1234567 arrived! More on our page, link in bio", "Commande 402-1234567-1234567 livrée, tout est dans le lien en bio",
                      "Pedido 402-1234567-1234567 entregado: el enlace está en la bio"])
    func linkInBio(text: String) {
        #expect(rules(text).contains(.link), "\(text)")
    }

    /// A truncated or mistyped id does not name the order: missing-order-id, placed on the id.
    @Test func truncatedOrderIDsAreFoundWhereTheyAre() throws {
        for text in ["Ordine 404-9740646\nGrazie!", "Order #402-1234567-123456 delivered", "Commande 1234567-1234567 livrée", "Pedido nº 402-123456-1234567 entregado"] {
            let violations = MessageChecker().check(text, purpose: .support, orderID: Self.order)
            let missing = try #require(violations.first { $0.rule == .missingOrderID }, "\(text)")
            #expect(missing.excerpt.first?.isNumber == true && missing.explanation.contains("not a whole order id"), "\(missing)")
            #expect(!violations.contains { $0.rule == .wrongOrderID })
        }
        // Dates, phone numbers and amounts after other words are not ids.
        #expect(rules("Ordine 402-1234567-1234567, spedito il 2024-03-11; tel. 333-1234567").isEmpty)
        #expect(rules("Ordine spedito il 2024-03-11").contains(.missingOrderID))
    }

    /// The statistical layer flags a paraphrase the phrase lists do not hold, with its words and
    /// place, and leaves alone what the rules already flag (one flag per rule).
    @Test func statisticalLayerExplainsItsFlags() throws {
        var rulesOnly = MessageChecker()
        rulesOnly.usesStatisticalLayer = false
        let samples = MessageCorpusTests.issue13Training.filter { $0.expected.contains("marketing") }
        let caughtByModelOnly = samples.first { sample in
            let purpose = MessagePurpose(name: sample.kind)!, order = try! OrderID(sample.order)
            return !rulesOnly.check(sample.text, purpose: purpose, orderID: order).contains { $0.rule == .marketing }
                && MessageChecker().check(sample.text, purpose: purpose, orderID: order).contains { $0.rule == .marketing }
        }
        let sample = try #require(caughtByModelOnly)
        let flag = try #require(MessageChecker().check(sample.text, purpose: MessagePurpose(name: sample.kind)!, orderID: try OrderID(sample.order))
            .first { $0.rule == .marketing })
        #expect(flag.explanation.contains("statistical layer") && flag.explanation.contains("words that weighed most"))
        #expect(!flag.excerpt.isEmpty && flag.line >= 1 && flag.column >= 1)
        let twice = "Ordine 402-1234567-1234567 spedito. Usa il codice SCONTO10 per il 10% sul prossimo ordine!"
        #expect(MessageChecker().check(twice, purpose: .support, orderID: Self.order).filter { $0.rule == .marketing }.count >= 1)
        #expect(!MessageChecker().check(twice, purpose: .support, orderID: Self.order).contains { $0.explanation.contains("statistical layer") })
    }

    /// Links written to dodge a pattern, shorteners and link-in-bio pages.
    @Test(arguments: [
        "Ordine 402-1234567-1234567: trovi tutto su miosito . it",
        "Bestellung 402-1234567-1234567: Infos auf lederwaren-shop .de",
        "Commande 402-1234567-1234567 : recettes sur biosaveurs [point] com",
        "Pedido 402-1234567-1234567: más en bolsosbela (.) es",
        "Order 402-1234567-1234567: deals at bit.ly/xyz-deals",
        "Order 402-1234567-1234567: everything at linktr.ee/myshop",
    ])
    func obfuscatedLinks(text: String) {
        #expect(rules(text).contains(.link), "no link found in: \(text)")
    }

    @Test func customAllowList() {
        let text = "Ordine 402-1234567-1234567: traccia su https://mycarrier.example/abc123"
        #expect(rules(text).contains(.link))
        let checker = MessageChecker(allowedLinkDomains: MessageChecker.defaultAllowedLinkDomains + ["mycarrier.example"])
        #expect(checker.check(text, purpose: .support, orderID: Self.order).isEmpty)
    }
}

@Suite struct MessageTemplateTests {
    static let templates: [MessageTemplate] = [
        .orderUnavailable(reason: .noInventory, amount: 12.9, currency: "EUR"),
        .orderUnavailable(reason: .couldNotShip, amount: 30, currency: "EUR"),
        .returnConfirmation(products: ["Tazza in ceramica \"Buongiorno\"", "Candela alla lavanda"], amount: 25.8, currency: "EUR",
                            refundDate: Date(timeIntervalSince1970: 1_794_614_400)),
        .shipmentDelay(newDate: Date(timeIntervalSince1970: 1_794_614_400)),
        .reviewRequest,
        .refundConfirmation(amount: 19.99, currency: "EUR", refundDate: Date(timeIntervalSince1970: 1_794_614_400)),
        .orderCompletion(request: "Per l'incisione, quale nome desidera sul ciondolo (al massimo 12 lettere)?"),
        .supportReply(answer: "La taglia M ha una lunghezza di 68 cm; la S di 66 cm."),
    ]

    /// Every template, in every language, passes the checker for its own kind.
    @Test(arguments: MessageLanguage.allCases)
    func templatesComply(language: MessageLanguage) throws {
        let order = try OrderID("402-1234567-1234567")
        for template in Self.templates {
            let text = template.render(language, order: order)
            let violations = MessageChecker().check(text, purpose: template.purpose, orderID: order)
            #expect(violations.isEmpty, "\(language) \(template.purpose): \(violations)")
            #expect(text.contains(order.rawValue))
        }
    }

    @Test func templatesCarryTheDetails() throws {
        let order = try OrderID("402-1234567-1234567")
        let text = Self.templates[2].render(.italian, order: order)
        #expect(text.contains("25,80 €") && text.contains("14/11/2026") && text.contains("Candela alla lavanda"))
        #expect(Self.templates[0].render(.english, order: order).contains("12.90 EUR"))
        let refund = Self.templates[5].render(.german, order: order)
        #expect(refund.contains("19,99 €") && refund.contains("14/11/2026"))
        #expect(Self.templates[6].render(.french, order: order).contains("quale nome desidera"))
        #expect(Self.templates[7].purpose == .support && Self.templates[7].render(.english, order: order).contains("68 cm"))
    }

    /// The seller's words inside a template are checked like any others: the frame does not
    /// launder a promotion.
    @Test func aTemplateDoesNotLaunderTheSellersWords() throws {
        let order = try OrderID("402-1234567-1234567")
        let text = MessageTemplate.supportReply(answer: "Use code SAVE10 for 10% off your next order!").render(.english, order: order)
        #expect(MessageChecker().check(text, purpose: .support, orderID: order).contains { $0.rule == .marketing })
    }
}

/// Sending through the broker: only compliant messages, the address only to the transport, and
/// an audit trail without the body.
@Suite struct MessageSendingTests {
    final class RecordingTransport: MessageTransport, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var sent: [(address: String, body: String)] = []
        func deliver(to address: String, subject: String, body: String, order: OrderID) async throws {
            lock.withLock { sent.append((address, body)) }
        }
    }

    @Test func compliantMessageIsDeliveredAndLogged() async throws {
        let fixture = try await BrokerFixture.make()
        let transport = RecordingTransport()
        let body = MessageTemplate.shipmentDelay(newDate: fixture.clock.now.addingTimeInterval(2 * 86_400))
            .render(.italian, order: BrokerFixture.orderA)
        try await fixture.broker.send(OutgoingMessage(purpose: .order(.shipmentDelay), subject: "Ritardo spedizione", body: body),
                                      order: BrokerFixture.orderA, actor: "mailer", via: transport,
                                      identity: AuthenticatedIdentity(name: "service:mailer"))
        #expect(transport.sent.count == 1)
        #expect(transport.sent.first?.address == BrokerFixture.emailA)
        let entries = try fixture.entries()
        #expect(entries.suffix(2).map(\.identity) == ["service:mailer", "service:mailer"])  // the access and message-sent
        #expect(entries.contains { $0.kind == "access" && $0.channel == "messaging" && $0.fieldsReleased == ["buyer-email"] })
        #expect(entries.last?.kind == "message-sent")
        // One access per message: the event names the grant it follows, and no other read was made.
        let grant = try #require(entries.dropLast().last)
        #expect(grant.kind == "access" && entries.filter { $0.kind == "access" }.count == 1)
        #expect(entries.last?.details == #"{"access":"\#(grant.sequence)","kind":"shipment-delay"}"#, "\(entries.last?.details ?? "")")
        let audit = try Data(contentsOf: fixture.vault.auditLog.url)
        #expect(audit.range(of: Data("subirà un ritardo".utf8)) == nil)
    }

    @Test func nonCompliantMessageNeverReachesTheTransport() async throws {
        let fixture = try await BrokerFixture.make()
        let transport = RecordingTransport()
        let body = "Ordine 402-1111111-1111111: lasciaci 5 stelle e ricevi un buono regalo!"
        let error = await #expect(throws: MessageRejected.self) {
            try await fixture.broker.send(OutgoingMessage(purpose: .order(.shipmentDelay), subject: "Grazie", body: body),
                                          order: BrokerFixture.orderA, actor: "mailer", via: transport)
        }
        #expect(error?.violations.contains { $0.rule == .reviewManipulation } == true)
        #expect(transport.sent.isEmpty)
        let refused = try #require(try fixture.entries().last)
        #expect(refused.kind == "message-refused" && refused.details?.contains("review-manipulation") == true)
        #expect(!(refused.details ?? "").contains("buono"))
        #expect(!(try fixture.entries().contains { $0.kind == "access" }))  // no address was released
    }

    @Test func brokerWindowsStillApply() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        fixture.clock.advance(days: 31)
        let transport = RecordingTransport()
        let body = "Gentile cliente, in merito all'ordine 402-1111111-1111111: la taglia M è disponibile."
        let error = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.send(OutgoingMessage(purpose: .support, caseID: "C-7", subject: "Re: taglia", body: body),
                                          order: BrokerFixture.orderA, actor: "anna", via: transport)
        }
        #expect(error?.message.contains("retention-ended") == true)
        #expect(transport.sent.isEmpty)
    }
}

/// The marketplace's one review request per order, 5 to 30 days after delivery, in neutral words:
/// enforced by the broker (window, once) and the checker (wording), each refusal logged.
@Suite struct ReviewRequestTests {
    static let neutral = MessageTemplate.reviewRequest.render(.italian, order: BrokerFixture.orderA)

    func request(_ fixture: BrokerFixture, body: String = neutral) async throws -> MessageSendingTests.RecordingTransport {
        let transport = MessageSendingTests.RecordingTransport()
        try await fixture.broker.send(OutgoingMessage(purpose: .order(.reviewRequest), subject: "Com'è andata?", body: body),
                                      order: BrokerFixture.orderA, actor: "mailer", via: transport)
        return transport
    }

    func refusal(_ fixture: BrokerFixture) async -> String? {
        do {
            _ = try await request(fixture)
            return nil
        } catch let error as BuyerGuardError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func onlyFromFiveToThirtyDaysAfterDelivery() async throws {
        let fixture = try await BrokerFixture.make()
        #expect(await refusal(fixture)?.contains("review-window-not-open") == true)  // not delivered
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        fixture.clock.advance(days: 4)
        #expect(await refusal(fixture)?.contains("review-window-not-open") == true)
        let late = try await BrokerFixture.make()
        try await late.vault.record(.delivered(at: late.clock.now), for: BrokerFixture.orderA, actor: "ops")
        late.clock.advance(days: 31)
        #expect(await refusal(late)?.contains("review-window-closed") == true)
        let denied = try fixture.entries().filter { $0.kind == "access" }
        #expect(denied.count == 2 && denied.allSatisfy { $0.decision == .denied && $0.messageKind == "review-request" })
    }

    @Test func oncePerOrderAndTheSecondIsRefusedWithItsReason() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        fixture.clock.advance(days: 6)
        let transport = try await request(fixture)
        #expect(transport.sent.count == 1 && transport.sent.first?.address == BrokerFixture.emailA)
        #expect(try fixture.entries().last?.kind == "message-sent")
        fixture.clock.advance(days: 3)
        #expect(await refusal(fixture)?.contains("review-already-requested") == true)
        let last = try #require(try fixture.entries().last)
        #expect(last.kind == "access" && last.decision == .denied && last.reason == "review-already-requested")
        // Another order of the same vault still has its own.
        try await fixture.vault.record(.delivered(at: fixture.clock.now.addingTimeInterval(-7 * 86_400)), for: BrokerFixture.orderB, actor: "ops")
        let other = MessageSendingTests.RecordingTransport()
        try await fixture.broker.send(
            OutgoingMessage(purpose: .order(.reviewRequest), subject: "Com'è andata?",
                            body: Self.neutral.replacingOccurrences(of: "402-1111111-1111111", with: "402-2222222-2222222")),
            order: BrokerFixture.orderB, actor: "mailer", via: other)
        #expect(other.sent.count == 1)
    }

    /// Two requests at once: the claim is one conditional write, so exactly one gets the address.
    @Test func concurrentRequestsReleaseTheAddressOnce() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        fixture.clock.advance(days: 10)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await self.request(fixture)) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try fixture.entries().filter { $0.kind == "access" && $0.decision == .granted }.count == 1)
    }

    @Test func wordingThatManipulatesIsRefusedAndDoesNotUseUpTheRequest() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        fixture.clock.advance(days: 6)
        await #expect(throws: MessageRejected.self) {
            _ = try await request(fixture, body: "Ordine 402-1111111-1111111: se sei soddisfatto lasciaci 5 stelle ⭐⭐⭐⭐⭐!")
        }
        let transport = try await request(fixture)  // the neutral one still may go
        #expect(transport.sent.count == 1)
    }
}

/// The marketplace's Messaging API: plain text, no email addresses, per-kind length, the buyer's
/// language. Only for that channel; the same text by email breaks none of these.
@Suite struct MessagingAPIChannelTests {
    static let order = try! OrderID("402-1234567-1234567")
    func rules(_ text: String, _ purpose: MessagePurpose = .order(.shipmentDelay), language: String? = nil,
               channel: MessageChannel = .marketplaceAPI) -> Set<MessageRule> {
        Set(MessageChecker().check(text, purpose: purpose, orderID: Self.order, channel: channel, buyerLanguage: language).map(\.rule))
    }

    static let italian = "Gentile cliente, la spedizione del suo ordine 402-1234567-1234567 subirà un ritardo di due giorni. "
        + "Ci scusiamo per il disagio e la ringraziamo per la pazienza. Cordiali saluti"

    @Test func plainTextInTheBuyersLanguagePasses() {
        #expect(rules(Self.italian, language: "it-IT").isEmpty)
        #expect(rules(Self.italian, language: nil).isEmpty)
    }

    @Test func htmlEmailAddressesLengthAndLanguageAreFlagged() {
        #expect(rules("<p>\(Self.italian)</p>", language: "it") == [.apiHTML])
        #expect(rules(Self.italian + " Per domande: assistenza@bottega-rossi.it", language: "it") == [.apiEmailAddress])
        #expect(rules(Self.italian + String(repeating: " Grazie ancora.", count: 150), language: "it") == [.apiLength])
        #expect(rules(Self.italian, language: "de-DE") == [.apiLanguage])
        let english = "Dear customer, the shipment of your order 402-1234567-1234567 will be two days late. We are sorry for the delay. Kind regards"
        #expect(rules(english, language: "it") == [.apiLanguage])
        #expect(rules(english, language: "en-GB").isEmpty)
    }

    @Test func aReviewRequestThroughTheAPICarriesNoTextOfTheSellers() {
        let neutral = "Ordine 402-1234567-1234567: se vuoi, lascia una recensione sincera."
        #expect(rules(neutral, .order(.reviewRequest), language: "it") == [.apiLength])
        #expect(rules(neutral, .order(.reviewRequest), channel: .email).isEmpty)
    }

    @Test func byEmailNoneOfTheseApply() {
        #expect(rules("<p>\(Self.italian) Per domande: assistenza@bottega-rossi.it</p>", language: "de", channel: .email).isEmpty)
    }
}
