/// Why someone asks for a buyer's data. The marketplace allows three purposes; everything else
/// reaching the broker is denied and logged.
///
/// Raw values (the `description`) are kebab-case and are what the CLI, config files and the audit
/// log use: `shipping`, `order-messaging:order-unavailable`, `customer-support:<case id>`.
public enum Purpose: Sendable, Hashable, CustomStringConvertible {
    /// Shipping or completing the order: label, packing slip, carrier.
    case shipping
    /// An order-related message of one of the kinds the marketplace allows.
    case orderMessaging(MessageKind)
    /// A reply to an inquiry the buyer started; the case id is required.
    case customerSupport(caseID: String)
    /// A use the marketplace forbids outright. Always denied.
    case prohibited(ProhibitedUse)
    /// Anything else, kept verbatim for the log. Always denied.
    case unrecognized(String)

    /// Reads a purpose name as the CLI and config files write it; never fails (unknown names
    /// become ``unrecognized(_:)`` so that the attempt is logged and denied, not dropped).
    public init(parsing name: String, kind: String? = nil, caseID: String? = nil) {
        let normalized = name.trimmingASCIIWhitespace().lowercased()
        switch normalized {
        case "shipping":
            self = .shipping
        case "order-messaging":
            guard let kind, let messageKind = MessageKind(rawValue: kind.lowercased()) else {
                self = .unrecognized("order-messaging:" + (kind ?? ""))
                return
            }
            self = .orderMessaging(messageKind)
        case "customer-support":
            self = .customerSupport(caseID: caseID ?? "")
        default:
            if let use = ProhibitedUse(rawValue: normalized) {
                self = .prohibited(use)
            } else {
                self = .unrecognized(String(normalized.prefix(64)))
            }
        }
    }

    /// The three purpose families the broker can grant, as roles and audit entries name them.
    public enum Family: String, Sendable, CaseIterable, Codable {
        case shipping
        case orderMessaging = "order-messaging"
        case customerSupport = "customer-support"
    }

    /// The permitted family of this purpose; `nil` for a prohibited or unrecognized one.
    public var permittedFamily: Family? {
        switch self {
        case .shipping: .shipping
        case .orderMessaging: .orderMessaging
        case .customerSupport: .customerSupport
        case .prohibited, .unrecognized: nil
        }
    }

    /// The purpose family, as roles name it: `shipping`, `order-messaging`, `customer-support`,
    /// or the denied name.
    public var family: String {
        switch self {
        case .shipping, .orderMessaging, .customerSupport: permittedFamily!.rawValue
        case .prohibited(let use): use.rawValue
        case .unrecognized(let name): name
        }
    }

    /// The fields this purpose may read. Empty for denied purposes.
    public var allowedFields: Set<ContactField> {
        switch self {
        case .shipping:
            [.recipientName, .addressLine1, .addressLine2, .addressLine3, .city, .stateOrRegion, .postalCode, .countryCode, .shipPhone]
        case .orderMessaging, .customerSupport:
            [.buyerEmail, .buyerName]
        case .prohibited, .unrecognized:
            []
        }
    }

    /// Whether the marketplace allows this purpose at all.
    public var isPermitted: Bool { !allowedFields.isEmpty }

    /// The message kind, for order messaging.
    public var messageKind: MessageKind? {
        if case .orderMessaging(let kind) = self { return kind }
        return nil
    }

    /// The case id, for customer support.
    public var caseID: String? {
        if case .customerSupport(let caseID) = self { return caseID }
        return nil
    }

    public var description: String {
        switch self {
        case .shipping: "shipping"
        case .orderMessaging(let kind): "order-messaging:\(kind.rawValue)"
        case .customerSupport(let caseID): "customer-support:\(caseID)"
        case .prohibited(let use): use.rawValue
        case .unrecognized(let name): "unrecognized:\(name)"
        }
    }
}

/// The order-related messages the marketplace's communication guidelines allow.
public enum MessageKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The product cannot be shipped; the order amount was adjusted (NoInventory / CouldNotShip).
    case orderUnavailable = "order-unavailable"
    /// The shipment will be later than the advertised availability.
    case shipmentDelay = "shipment-delay"
    /// A returned order was received.
    case returnConfirmation = "return-confirmation"
    /// A refund was issued.
    case refundConfirmation = "refund-confirmation"
    /// Information needed to complete the order.
    case orderCompletion = "order-completion"
    /// A request for a review, the marketplace's way: at most one per order, 5 to 30 days after
    /// delivery, in neutral words. The broker enforces the first two (``AccessBroker/DenialReason``
    /// `review-*`), the message checker the wording. Any other asking for reviews is
    /// ``ProhibitedUse/reviewRequest``.
    case reviewRequest = "review-request"
}

/// Uses of buyer data the marketplace forbids. Named so that attempts are logged precisely.
public enum ProhibitedUse: String, Sendable, Hashable, CaseIterable, Codable {
    /// Marketing messages, by any channel.
    case marketing
    /// Promotions of the seller's or anyone's products.
    case promotion
    /// Asking for reviews (the marketplace runs its own review requests).
    case reviewRequest = "review-request"
    /// Copying buyer data out of the vault in bulk.
    case export
    /// Profiling or analysing buyers.
    case analytics
    /// Handing data to a third party.
    case thirdParty = "third-party"
}
