public import BuyerGuard
public import Foundation

/// The languages templates are written in.
public enum MessageLanguage: String, Sendable, CaseIterable, Codable {
    /// Italiano.
    case italian = "it"
    /// English.
    case english = "en"
    /// Deutsch.
    case german = "de"
    /// Français.
    case french = "fr"
    /// Español.
    case spanish = "es"
}

/// The seed's messages, filled from order data, that pass ``MessageChecker`` by construction
/// (tested for every language and kind): no links, no promotion, the order id, and what each kind
/// must say. They name no buyer: the greeting is generic, so no personal data enters the text.
public enum MessageTemplate: Sendable {
    /// The product cannot be shipped; the order amount was adjusted.
    case orderUnavailable(reason: AdjustmentReason, amount: Decimal, currency: String)
    /// A returned order was received and refunded.
    case returnConfirmation(products: [String], amount: Decimal, currency: String, refundDate: Date)
    /// The shipment will be late.
    case shipmentDelay(newDate: Date)
    /// The order's one review request, in the neutral words the marketplace allows: any review,
    /// good or bad, nothing offered, nobody singled out.
    case reviewRequest
    /// A refund was issued for the order (the Order Adjustments feed's news, told by the seller).
    case refundConfirmation(amount: Decimal, currency: String, refundDate: Date)
    /// What the seller needs from the buyer to complete the order (a delivery appointment, a
    /// personalisation text), in the seller's own words, framed by the template. The checker
    /// still reads those words: a promotion slipped into them is refused like any other.
    case orderCompletion(request: String)
    /// A reply to a support case the buyer opened: the seller's answer, framed by the template
    /// (greeting, the order id, an invitation to reply on the same thread). Checked like the rest.
    case supportReply(answer: String)

    /// The marketplace's adjustment reason codes for an Order Unavailable message.
    public enum AdjustmentReason: String, Sendable, CaseIterable {
        /// The product is out of stock.
        case noInventory = "NoInventory"
        /// The order could not be shipped.
        case couldNotShip = "CouldNotShip"
    }

    /// What the message is for: the order message kind this template writes, or a support reply
    /// (which needs the buyer's case id in its ``OutgoingMessage``).
    public var purpose: MessagePurpose {
        switch self {
        case .orderUnavailable: .order(.orderUnavailable)
        case .returnConfirmation: .order(.returnConfirmation)
        case .shipmentDelay: .order(.shipmentDelay)
        case .reviewRequest: .order(.reviewRequest)
        case .refundConfirmation: .order(.refundConfirmation)
        case .orderCompletion: .order(.orderCompletion)
        case .supportReply: .support
        }
    }

    /// The message text in `language`, for `order`.
    public func render(_ language: MessageLanguage, order: OrderID) -> String {
        let id = order.rawValue
        switch self {
        case .orderUnavailable(let reason, let amount, let currency):
            let money = Self.money(amount, currency, language)
            let why: String
            switch (language, reason) {
            case (.italian, .noInventory): why = "l'articolo non è più disponibile (NoInventory)"
            case (.italian, .couldNotShip): why = "non possiamo spedire l'articolo (CouldNotShip)"
            case (.english, .noInventory): why = "the item is out of stock (NoInventory)"
            case (.english, .couldNotShip): why = "we could not ship the item (CouldNotShip)"
            case (.german, .noInventory): why = "der Artikel ist nicht mehr lieferbar (NoInventory)"
            case (.german, .couldNotShip): why = "wir können den Artikel nicht versenden (CouldNotShip)"
            case (.french, .noInventory): why = "l'article n'est plus disponible (NoInventory)"
            case (.french, .couldNotShip): why = "nous ne pouvons pas expédier l'article (CouldNotShip)"
            case (.spanish, .noInventory): why = "el artículo está agotado (NoInventory)"
            case (.spanish, .couldNotShip): why = "no podemos enviar el artículo (CouldNotShip)"
            }
            return switch language {
            case .italian: "Gentile cliente,\nci dispiace: per il suo ordine \(id) \(why). Abbiamo rimborsato l'importo dell'ordine, \(money), tramite Amazon.\nCordiali saluti"
            case .english: "Dear customer,\nwe are sorry: for your order \(id) \(why). We have refunded the order amount, \(money), through Amazon.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nes tut uns leid: bei Ihrer Bestellung \(id) gilt: \(why). Wir haben den Bestellbetrag von \(money) über Amazon erstattet.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nnous sommes désolés : pour votre commande \(id), \(why). Nous avons remboursé le montant de la commande, \(money), via Amazon.\nCordialement"
            case .spanish: "Estimado cliente:\nlo sentimos: en su pedido \(id), \(why). Hemos reembolsado el importe del pedido, \(money), a través de Amazon.\nSaludos cordiales"
            }
        case .returnConfirmation(let products, let amount, let currency, let date):
            let money = Self.money(amount, currency, language)
            let when = Self.date(date)
            let items = products.joined(separator: ", ")
            return switch language {
            case .italian: "Gentile cliente,\nabbiamo ricevuto il reso del suo ordine \(id): \(items). Le abbiamo rimborsato \(money) il \(when).\nCordiali saluti"
            case .english: "Dear customer,\nwe received the return of your order \(id): \(items). We refunded \(money) on \(when).\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nwir haben die Rücksendung Ihrer Bestellung \(id) erhalten: \(items). Wir haben Ihnen \(money) am \(when) erstattet.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nnous avons reçu le retour de votre commande \(id) : \(items). Nous vous avons remboursé \(money) le \(when).\nCordialement"
            case .spanish: "Estimado cliente:\nhemos recibido la devolución de su pedido \(id): \(items). Le hemos reembolsado \(money) el \(when).\nSaludos cordiales"
            }
        case .shipmentDelay(let newDate):
            let when = Self.date(newDate)
            return switch language {
            case .italian: "Gentile cliente,\nla spedizione del suo ordine \(id) subirà un ritardo: la nuova data prevista è il \(when). Ci scusiamo per il disagio.\nCordiali saluti"
            case .english: "Dear customer,\nthe shipment of your order \(id) is delayed: the new expected date is \(when). We apologise for the inconvenience.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nder Versand Ihrer Bestellung \(id) verzögert sich: das neue voraussichtliche Datum ist der \(when). Wir bitten um Entschuldigung.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nl'expédition de votre commande \(id) est retardée : la nouvelle date prévue est le \(when). Nous vous prions de nous excuser.\nCordialement"
            case .spanish: "Estimado cliente:\nel envío de su pedido \(id) se retrasa: la nueva fecha prevista es el \(when). Disculpe las molestias.\nSaludos cordiales"
            }
        case .reviewRequest:
            return switch language {
            case .italian: "Gentile cliente,\nsperiamo che il suo ordine \(id) sia arrivato bene. Se lo desidera, può lasciare una recensione sul marketplace: ogni opinione sincera è utile ad altri acquirenti.\nCordiali saluti"
            case .english: "Dear customer,\nwe hope your order \(id) arrived well. If you wish, you can leave a review on the marketplace: every honest opinion helps other buyers.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nwir hoffen, Ihre Bestellung \(id) ist gut angekommen. Wenn Sie möchten, können Sie auf dem Marktplatz eine Bewertung abgeben: jede ehrliche Meinung hilft anderen Käufern.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nnous espérons que votre commande \(id) est bien arrivée. Si vous le souhaitez, vous pouvez laisser un avis sur la place de marché : chaque avis sincère aide d'autres acheteurs.\nCordialement"
            case .spanish: "Estimado cliente:\nesperamos que su pedido \(id) haya llegado bien. Si lo desea, puede dejar una reseña en el marketplace: cada opinión sincera ayuda a otros compradores.\nSaludos cordiales"
            }
        case .refundConfirmation(let amount, let currency, let refundDate):
            let money = Self.money(amount, currency, language)
            let when = Self.date(refundDate)
            return switch language {
            case .italian: "Gentile cliente,\nle confermiamo il rimborso di \(money) per il suo ordine \(id), emesso il \(when) sul metodo di pagamento originale.\nCordiali saluti"
            case .english: "Dear customer,\nwe confirm the refund of \(money) for your order \(id), issued on \(when) to the original payment method.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nwir bestätigen die Erstattung von \(money) für Ihre Bestellung \(id), veranlasst am \(when) auf die ursprüngliche Zahlungsart.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nnous vous confirmons le remboursement de \(money) pour votre commande \(id), effectué le \(when) sur le moyen de paiement d'origine.\nCordialement"
            case .spanish: "Estimado cliente:\nle confirmamos el reembolso de \(money) de su pedido \(id), emitido el \(when) en el método de pago original.\nSaludos cordiales"
            }
        case .orderCompletion(let request):
            let need = Self.paragraph(request)
            return switch language {
            case .italian: "Gentile cliente,\nper completare il suo ordine \(id) abbiamo bisogno di un'informazione:\n\(need)\nPuò rispondere a questo messaggio.\nCordiali saluti"
            case .english: "Dear customer,\nto complete your order \(id) we need one detail from you:\n\(need)\nYou can reply to this message.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\num Ihre Bestellung \(id) abzuschließen, benötigen wir eine Angabe von Ihnen:\n\(need)\nSie können auf diese Nachricht antworten.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\npour finaliser votre commande \(id), nous avons besoin d'une précision :\n\(need)\nVous pouvez répondre à ce message.\nCordialement"
            case .spanish: "Estimado cliente:\npara completar su pedido \(id) necesitamos un dato:\n\(need)\nPuede responder a este mensaje.\nSaludos cordiales"
            }
        case .supportReply(let answer):
            let text = Self.paragraph(answer)
            return switch language {
            case .italian: "Gentile cliente,\ngrazie per il suo messaggio sull'ordine \(id).\n\(text)\nPer altre domande può rispondere a questo messaggio.\nCordiali saluti"
            case .english: "Dear customer,\nthank you for your message about order \(id).\n\(text)\nIf you have any other question, you can reply to this message.\nKind regards"
            case .german: "Sehr geehrte Kundin, sehr geehrter Kunde,\nvielen Dank für Ihre Nachricht zur Bestellung \(id).\n\(text)\nBei weiteren Fragen können Sie auf diese Nachricht antworten.\nMit freundlichen Grüßen"
            case .french: "Chère cliente, cher client,\nmerci pour votre message concernant la commande \(id).\n\(text)\nPour toute autre question, vous pouvez répondre à ce message.\nCordialement"
            case .spanish: "Estimado cliente:\ngracias por su mensaje sobre el pedido \(id).\n\(text)\nSi tiene otra pregunta, puede responder a este mensaje.\nSaludos cordiales"
            }
        }
    }

    /// The seller's own words, trimmed, as one paragraph of the template.
    private static func paragraph(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// `12,90 €` (comma decimals) or `12.90 EUR` for English.
    static func money(_ amount: Decimal, _ currency: String, _ language: MessageLanguage) -> String {
        // Rounded to the cent, not truncated: `19.99` written as a literal is 19.98999... as a Decimal.
        var exact = amount * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 0, .plain)
        let cents = NSDecimalNumber(decimal: rounded).int64Value
        let whole = cents / 100
        let fraction = String(format: "%02lld", abs(cents % 100))
        if language == .english { return "\(whole).\(fraction) \(currency)" }
        return "\(whole),\(fraction) " + (currency == "EUR" ? "€" : currency)
    }

    /// `14/11/2026`: a date every checker language reads.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.day, .month, .year], from: date)
        return String(format: "%02d/%02d/%04d", parts.day!, parts.month!, parts.year!)
    }
}
