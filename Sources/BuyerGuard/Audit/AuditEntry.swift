public import Foundation

/// What happened in one audit entry.
public enum AuditDecision: String, Sendable, Codable, CaseIterable {
    /// Data was released.
    case granted
    /// The request was refused; nothing was released.
    case denied
    /// The request was allowed but could not be served (damaged data, an error); nothing was released.
    case failed
    /// Not an access: an import, a key operation, a purge, an erasure, an order event, a message.
    case event
}

/// One entry of the audit log. Holds no personal data: buyers appear as a keyed pseudonym.
public struct AuditEntry: Sendable, Codable, Equatable {
    /// Position in the log, from 1, without gaps.
    public var sequence: Int64
    /// When it was written (milliseconds are kept).
    public var time: Date
    /// `access` (``AuditEntry/accessKind``), or the event's name (``AuditEventKind``, or `app:` and
    /// an app's own name).
    public var kind: String
    /// The kind of a broker decision's entry: `access`.
    public static let accessKind = "access"
    /// Who: a staff login or service name, as the caller gave it.
    public var actor: String
    /// The actor's role, if one is bound.
    public var role: String?
    /// The purpose family (`shipping`, `order-messaging`, `customer-support`, or what was denied).
    public var purpose: String?
    /// The message kind, for order messaging.
    public var messageKind: String?
    /// The support case id, for customer support.
    public var caseID: String?
    /// The order.
    public var orderID: String?
    /// The buyer's pseudonym (keyed BLAKE2b of the buyer's id, hex). `buyerguard audit pseudonym` computes it from an email.
    public var buyer: String?
    /// Fields asked for.
    public var fieldsAsked: [String]
    /// Fields released (empty unless granted).
    public var fieldsReleased: [String]
    /// The outcome.
    public var decision: AuditDecision
    /// Why it was denied or failed (a reason code), or a note for events.
    public var reason: String?
    /// Where the request came from.
    public var channel: String?
    /// The caller's request id.
    public var requestID: String?
    /// The order's status at that moment.
    public var orderStatus: String?
    /// Whole days from purchase to this entry.
    public var daysSincePurchase: Int?
    /// Whole days from delivery to this entry.
    public var daysSinceDelivery: Int?
    /// Event details as JSON (counts, key versions, order ids). Never PII.
    public var details: String?
    /// Who was authenticated when the entry was written, beside the ``actor`` they claimed: the OS
    /// user for the CLI (`os-user:anna uid=1000`), the app's session or user id for an app that passes
    /// one (see ``AuthenticatedIdentity``). `nil` when nobody said.
    public var identity: String?
    /// For a granted access, which state or event of the order explains it
    /// (``AccessExplanation``, `unexplained` when nothing does); `nil` for anything else.
    public var explanation: String? = nil
    /// Hash of the previous entry (hex); 64 zeros for the first.
    public var previousHash: String
    /// This entry's hash (hex): BLAKE2b-256 over the previous hash and the entry's canonical bytes.
    public var hash: String
}

/// An entry before the log gives it a sequence number, a time and its hashes.
struct AuditDraft: Sendable {
    var kind = AuditEntry.accessKind
    var actor: String
    var role: String?
    var purpose: String?
    var messageKind: String?
    var caseID: String?
    var orderID: String?
    var buyer: String?
    var fieldsAsked: [String] = []
    var fieldsReleased: [String] = []
    var decision: AuditDecision
    var reason: String?
    var channel: String?
    var requestID: String?
    var orderStatus: String?
    var daysSincePurchase: Int?
    var daysSinceDelivery: Int?
    var details: String?
    /// Who was authenticated; `nil` takes the log's (the vault configuration's identity).
    var identity: String?
    /// ``AccessExplanation`` of a granted access.
    var explanation: String?
    /// Only for synthetic logs (benchmarks, simulations): the entry's time instead of the clock's.
    var time: Date?
    /// An unexplained grant's limits, checked where it is appended: over one, it is written
    /// refused (`unexplained-limit`, nothing released, the limit in its details) instead.
    var unexplainedLimits: AccessPolicy.UnexplainedLimits?
}

/// The columns of `entries` in canonical (hashed) order after `seq` and `time_ms`.
enum AuditColumns {
    static let text = [
        "kind", "actor", "role", "purpose", "message_kind", "case_id", "order_id", "buyer", "fields_asked",
        "fields_released", "decision", "reason", "channel", "request_id", "order_status",
    ]
    static let integers = ["days_since_purchase", "days_since_delivery"]
    static let trailingText = ["details"]
    /// Hashed only when not NULL, after the rest (a marker byte, its position from `01`, then as
    /// text): entries written before a column existed keep their hashes, and a value cannot move
    /// from one of these columns to another unnoticed.
    static let optionalTrailingText = ["identity", "explanation"]
    /// Every hashed column, in order.
    static let hashed = ["seq", "time_ms"] + text + integers + trailingText + optionalTrailingText
}
