public import BuyerGuard

/// Delivers a message to a buyer: the app's mail or marketplace-messaging client. It receives
/// the address from the broker at the last moment; the app's own code never sees it.
public protocol MessageTransport: Sendable {
    /// Sends `body` to `address`.
    func deliver(to address: String, subject: String, body: String, order: OrderID) async throws
}

/// A message to send through the broker.
public struct OutgoingMessage: Sendable {
    /// What the message is for.
    public var purpose: MessagePurpose
    /// For support replies, the buyer's case id.
    public var caseID: String?
    /// The subject line.
    public var subject: String
    /// The text (plain or HTML).
    public var body: String
    /// Where it goes: through the marketplace's Messaging API, that API's limits are checked too.
    public var channel: MessageChannel
    /// The buyer's language of preference (the Messaging API's `GetAttributes` locale), when known.
    public var buyerLanguage: String?

    /// A message; `caseID` is required for support replies.
    public init(
        purpose: MessagePurpose, caseID: String? = nil, subject: String, body: String, channel: MessageChannel = .email,
        buyerLanguage: String? = nil
    ) {
        self.purpose = purpose
        self.caseID = caseID
        self.subject = subject
        self.body = body
        self.channel = channel
        self.buyerLanguage = buyerLanguage
    }
}

/// A message refused before anything was released: the rules it breaks.
public struct MessageRejected: Error, Sendable, CustomStringConvertible {
    /// The violations, as ``MessageChecker`` reports them.
    public var violations: [MessageViolation]

    public var description: String {
        "message refused: " + violations.map(\.rule.rawValue).joined(separator: ", ")
    }
}

extension AccessBroker {
    /// A review request (``MessageKind/reviewRequest``) is further held to the marketplace's own
    /// rule by the broker: once per order, 5 to 30 days after delivery; a second one is refused
    /// (`review-already-requested`). The one request is used once the address is released, even if
    /// the transport then fails.
    ///
    /// Checks `message` and, if it complies, releases the buyer's email to `transport` only, for
    /// the message's purpose, logging the access and a `message-sent` event (kind, order and the
    /// sequence of the access it follows as `access`; never the body): one read per message. A message that breaks a rule is refused (``MessageRejected``, with a
    /// `message-refused` event naming the rules) and the transport is never called.
    ///
    /// - Parameter identity: who the app authenticated as `actor` (see ``AccessRequest/identity``),
    ///   logged in all three entries; `nil` takes the vault's.
    nonisolated(nonsending)
    public func send(
        _ message: OutgoingMessage, order: OrderID, actor: String, via transport: some MessageTransport,
        checker: MessageChecker = MessageChecker(), identity: AuthenticatedIdentity? = nil
    ) async throws {
        var violations = checker.check(message.body + "\n" + message.subject, purpose: message.purpose, orderID: order)
        if message.channel != .email {  // the API's limits are on the text it is given, the body
            violations += checker.check(message.body, purpose: message.purpose, orderID: order, channel: message.channel,
                                        buyerLanguage: message.buyerLanguage).filter { MessageRule.channelRules.contains($0.rule) }
        }
        let kind: String = switch message.purpose {
        case .order(let kind): kind.rawValue
        case .support: "support"
        }
        guard violations.isEmpty else {
            try await vault.auditLog.recordEvent(
                .messageRefused, actor: actor, orderID: order, channel: .messaging,
                details: ["kind": kind, "rules": Set(violations.map(\.rule.rawValue)).sorted().joined(separator: ",")], identity: identity)
            throw MessageRejected(violations: violations)
        }
        let purpose: Purpose = switch message.purpose {
        case .order(let kind): .orderMessaging(kind)
        case .support: .customerSupport(caseID: message.caseID ?? "")
        }
        let request = AccessRequest(actor: actor, purpose: purpose, orderID: order, fields: .exactly([.buyerEmail]), channel: .messaging,
                                    identity: identity)
        let access = try await withAccess(request) { (contact: borrowing RevealedContact, entry: Int64) async throws in
            guard let address = contact.string(.buyerEmail) else {
                throw BuyerGuardError(.accessDenied, "order \(order) has no buyer email to send to")
            }
            try await transport.deliver(to: address, subject: message.subject, body: message.body, order: order)
            return entry
        }
        // Bound to the grant it follows: the message and its one read are one access.
        try await vault.auditLog.recordEvent(.messageSent, actor: actor, orderID: order, channel: .messaging,
                                             details: ["kind": kind, "access": String(access)], identity: identity)
    }
}
