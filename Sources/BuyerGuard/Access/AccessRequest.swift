/// Where a request came from, recorded in the audit log.
public enum AccessChannel: String, Sendable, Codable, CaseIterable {
    /// An app through the library API.
    case library
    /// The `buyerguard` command line.
    case cli
    /// An order import.
    case `import`
    /// Key rotation.
    case rotation
    /// A retention purge.
    case purge
    /// An erasure on request.
    case erase
    /// A message sent through the broker.
    case messaging
}

/// Which fields a request wants.
public enum FieldSelection: Sendable, Hashable {
    /// Exactly these; asking for one the purpose does not allow denies the whole request.
    case exactly(Set<ContactField>)
    /// Whatever the purpose allows.
    case allowedForPurpose
}

/// One request for a buyer's data: who, why, which order, which fields.
public struct AccessRequest: Sendable {

    /// Who asks: a staff login, a service name. Recorded verbatim; keep it free of buyer data.
    public var actor: String
    /// Why.
    public var purpose: Purpose
    /// The order the data is for. Data is only ever released for the order's own buyer.
    public var orderID: OrderID
    /// The fields wanted.
    public var fields: FieldSelection
    /// If the caller believes it is serving a particular buyer, that buyer's email: the request is
    /// denied unless the order belongs to that buyer. Only its blind index is used; it is not logged.
    public var expectedBuyerEmail: String?
    /// A caller-supplied id to tie the audit entry to the caller's own logs.
    public var requestID: String?
    /// Where the request came from.
    public var channel: AccessChannel
    /// Who the app authenticated for this request (its session's user, a service credential),
    /// logged beside ``actor``; `nil` takes the vault's (``VaultConfiguration/identity``). Under a
    /// policy that binds identities to actors, a request whose identity may not act as its actor
    /// is denied (`actor-not-permitted`).
    public var identity: AuthenticatedIdentity?

    /// Creates a request.
    public init(
        actor: String, purpose: Purpose, orderID: OrderID, fields: FieldSelection = .allowedForPurpose,
        expectedBuyerEmail: String? = nil, requestID: String? = nil, channel: AccessChannel = .library,
        identity: AuthenticatedIdentity? = nil
    ) {
        self.identity = identity
        self.actor = actor
        self.purpose = purpose
        self.orderID = orderID
        self.fields = fields
        self.expectedBuyerEmail = expectedBuyerEmail
        self.requestID = requestID
        self.channel = channel
    }
}

extension AccessRequest {
    /// The fields asked for: the exact set, or all the purpose allows.
    public var askedFields: Set<ContactField> {
        switch fields {
        case .exactly(let fields): fields
        case .allowedForPurpose: purpose.allowedFields
        }
    }
}
