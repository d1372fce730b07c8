public import BuyerGuard

/// The marketplace's rules for what a seller may write to a buyer. Raw values are stable names
/// for scripts (`--format json`).
public enum MessageRule: String, Sendable, Codable, CaseIterable {
    /// The message names no order id.
    case missingOrderID = "missing-order-id"
    /// The message names an order id other than its own.
    case wrongOrderID = "wrong-order-id"
    /// A link (or bare or obfuscated domain, or mailto) that fulfilling the order does not need.
    case link
    /// Opt-out or unsubscribe wording or links.
    case optOut = "opt-out"
    /// A logo (an image) that links to a website.
    case logoLink = "logo-link"
    /// Marketing or promotion: discount codes, new collections, offers, other products.
    case marketing
    /// Asking for a positive review, asking only satisfied buyers, or any incentive for a review.
    case reviewManipulation = "review-manipulation"
    /// An Order Unavailable message must confirm the amount was adjusted and give the reason.
    case orderUnavailableContent = "order-unavailable-content"
    /// A Return Confirmation must name the products returned, the amount refunded and the date.
    case returnConfirmationContent = "return-confirmation-content"
}

/// What a message is for: one of the order-messaging kinds, or a reply to the buyer's inquiry.
public enum MessagePurpose: Sendable, Hashable {
    /// An order-related message.
    case order(MessageKind)
    /// A reply to an inquiry the buyer started.
    case support

    /// Reads `order-unavailable`, `shipment-delay`, ..., or `support`.
    public init?(name: String) {
        if name == "support" { self = .support; return }
        guard let kind = MessageKind(rawValue: name) else { return nil }
        self = .order(kind)
    }
}

/// One broken rule, with where it is.
public struct MessageViolation: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The rule.
    public var rule: MessageRule
    /// 1-based line in the checked text (the HTML source, for HTML).
    public var line: Int
    /// 1-based column (in characters).
    public var column: Int
    /// The words that broke it (shortened to 60 characters).
    public var excerpt: String
    /// A sentence for the seller.
    public var explanation: String

    public var description: String { "\(line):\(column): [\(rule.rawValue)] \(explanation) — \"\(excerpt)\"" }
}
