/// The events BuyerGuard itself writes to the audit log: a closed set that only the library can
/// write, so that the misuse rules can trust them (a `message-sent` entry really is a message the
/// broker delivered).
///
/// An app records events of its own with ``AuditLog/recordAppEvent(_:actor:orderID:details:)``;
/// they are kept under the `app:` prefix, and no rule counts them as one of these.
public enum AuditEventKind: String, Sendable, CaseIterable, Codable {
    /// `buyerguard init` or ``Vault/create(at:keyProvider:configuration:clock:logger:)``.
    case vaultCreated = "vault-created"
    /// An order file was imported (counts, never PII).
    case ordersImported = "import"
    /// An app stored or updated orders through ``Vault/store(_:actor:)`` (counts and order ids).
    case ordersStored = "orders-stored"
    /// An order was handed to a carrier.
    case orderShipped = "order-shipped"
    /// An order was delivered: its retention clock starts.
    case orderDelivered = "order-delivered"
    /// An order was returned.
    case orderReturned = "order-returned"
    /// An order was refunded.
    case orderRefunded = "order-refunded"
    /// An order was cancelled.
    case orderCancelled = "order-cancelled"
    /// Expired PII was purged (counts).
    case purge
    /// One buyer's PII was erased on request (order ids and the buyer's pseudonym).
    case erase
    /// An erasure found no buyer with the email it was given (nothing changed).
    case eraseFoundNothing = "erase-not-found"
    /// Someone looked up the pseudonym of an email (whether that person is a buyer here).
    case pseudonymLookup = "pseudonym-lookup"
    /// Canary (decoy) orders were planted (their count, never which).
    case canariesPlanted = "canaries-planted"
    /// A data key rotation began (the new versions).
    case keyRotationStarted = "key-rotation-started"
    /// A data key rotation re-encrypted everything (counts).
    case keyRotationFinished = "key-rotation-finished"
    /// A data key version was destroyed.
    case keyRetired = "key-retired"
    /// The data keys were wrapped under a new master key.
    case masterKeyRewrapped = "master-key-rewrapped"
    /// The broker delivered a message to the buyer through the app's transport.
    case messageSent = "message-sent"
    /// A message was refused by the message checks before anything was released.
    case messageRefused = "message-refused"
    /// A job (import, purge, erasure, rotation, ...) began; its `intent` detail links it to the
    /// event that ends it.
    case jobStarted = "job-started"
    /// A job was found interrupted (its process died) when the vault was next opened; says what
    /// the vault shows it had done.
    case jobInterrupted = "job-interrupted"
    /// An operation was refused before it ran because its authenticated identity may not act as
    /// the actor it claimed (``AccessPolicy/identityActors``); logged as denied.
    case actorRefused = "actor-refused"
    /// The buyer opened a support case about an order (``Vault/recordCase(_:caseID:for:actor:channel:)``).
    case caseOpened = "case-opened"
    /// A support case was given to a handler.
    case caseAssigned = "case-assigned"
    /// A support case was closed.
    case caseClosed = "case-closed"

    /// The kind an order event is logged as.
    public init(_ event: OrderEvent) {
        self = switch event {
        case .shipped: .orderShipped
        case .delivered: .orderDelivered
        case .returned: .orderReturned
        case .refunded: .orderRefunded
        case .cancelled: .orderCancelled
        }
    }

    /// The prefix of every app-defined event kind.
    public static let appPrefix = "app:"
}
