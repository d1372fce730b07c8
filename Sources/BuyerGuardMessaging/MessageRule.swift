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
    /// Through the marketplace's Messaging API: HTML is not accepted.
    case apiHTML = "api-html"
    /// Through the marketplace's Messaging API: email addresses are not accepted.
    case apiEmailAddress = "api-email-address"
    /// Through the marketplace's Messaging API: longer than the message type allows (a review
    /// request takes no text of the seller's at all).
    case apiLength = "api-length"
    /// Through the marketplace's Messaging API: not in the buyer's language of preference.
    case apiLanguage = "api-language"

    /// The rules that hold only for one channel (``MessageChannel/marketplaceAPI``).
    public static let channelRules: Set<MessageRule> = [.apiHTML, .apiEmailAddress, .apiLength, .apiLanguage]
}

/// How a message reaches the buyer: the channel's own limits apply on top of the guidelines.
public enum MessageChannel: String, Sendable, Codable, CaseIterable {
    /// The seller's email or the marketplace's buyer-seller messaging: the guidelines only.
    case email
    /// The marketplace's Messaging API (Selling Partner API): plain text without email addresses,
    /// at most 2,000 characters (a review request: none of the seller's), in the buyer's language.
    case marketplaceAPI = "marketplace-api"

    /// The longest text the Messaging API accepts for a message of `purpose` (characters): 2,000
    /// for its text message types (unexpected problem, confirm order details, ...); 0 for a review
    /// request, which the marketplace words itself.
    public static func textLimit(for purpose: MessagePurpose) -> Int {
        if case .order(.reviewRequest) = purpose { return 0 }
        return 2000
    }
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
