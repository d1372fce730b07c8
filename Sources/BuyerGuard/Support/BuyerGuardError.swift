public import Foundation

/// The one error type BuyerGuard throws.
///
/// Match on ``code``; show ``message`` to people. Messages name files, lines, fields, key
/// versions and order ids, never a buyer's personal data: they are safe to log.
public struct BuyerGuardError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// What went wrong, as something a program can match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The master key does not belong to this vault. Nothing was read or changed.
        public static let wrongMasterKey = Code("wrong-master-key")
        /// The key file can be read by group or others; it is refused until `chmod 600`.
        public static let insecureKeyFile = Code("insecure-key-file")
        /// A key (file, variable or bytes) is missing or not in a format BuyerGuard reads.
        public static let invalidKey = Code("invalid-key")
        /// A ciphertext failed authentication: truncated, altered, or moved to another record or field.
        public static let corruptCiphertext = Code("corrupt-ciphertext")
        /// A ciphertext or file was written by a format this version does not know.
        public static let unsupportedFormat = Code("unsupported-format")
        /// No vault exists at the given folder.
        public static let vaultNotFound = Code("vault-not-found")
        /// An input file named by the caller does not exist or cannot be read.
        public static let inputNotFound = Code("input-not-found")
        /// The audit log could not be written (or read); a request that needed it released nothing.
        public static let auditUnavailable = Code("audit-unavailable")
        /// The audit log failed verification: an entry was altered, removed, reordered or the log was cut short.
        public static let auditTampered = Code("audit-tampered")
        /// The vault's database was altered outside BuyerGuard (an order re-pointed at another
        /// buyer, key rows removed): what depends on it fails closed.
        public static let vaultTampered = Code("vault-tampered")
        /// The broker refused a request (the audit log says why).
        public static let accessDenied = Code("access-denied")
        /// No such order in the vault.
        public static let orderNotFound = Code("order-not-found")
        /// A vault (or key file) already exists where a new one was to be created.
        public static let alreadyExists = Code("already-exists")
        /// An order id is not in the marketplace format `NNN-NNNNNNN-NNNNNNN`.
        public static let invalidOrderID = Code("invalid-order-id")
        /// An input file could not be read as an order report.
        public static let malformedInput = Code("malformed-input")
        /// The vault's database failed (full disk, read-only file, corruption).
        public static let storage = Code("storage")
        /// Another process or connection held the database's write lock past the busy timeout;
        /// nothing was changed. Trying again later is safe.
        public static let busy = Code("busy")
        /// A file could not be read or written.
        public static let io = Code("io")
        /// libsodium refused an operation (it could not initialise, or memory ran out).
        public static let sodium = Code("sodium")
        /// An argument was outside what the operation accepts.
        public static let invalidArgument = Code("invalid-argument")

        public var description: String { rawValue }
    }

    /// What went wrong, to match on.
    public var code: Code
    /// A sentence for people. Never contains buyer PII.
    public var message: String
    /// Where it happened (a file path, `file:line`, or a record), when known.
    public var location: String?
    /// A short description of the underlying error, when there is one. Never contains buyer PII.
    public var underlying: String?
    /// Why the broker or the policy refused, for an ``Code/accessDenied`` error that was a
    /// refusal (the same code the audit entry records): match on it rather than on the message.
    public var denialReason: AccessBroker.DenialReason?

    /// Creates an error. Keep PII out of every argument.
    public init(_ code: Code, _ message: String, location: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.underlying = underlying
    }

    /// An ``Code/accessDenied`` error for a refusal, carrying its reason.
    public init(denied reason: AccessBroker.DenialReason, _ message: String) {
        self.init(.accessDenied, message)
        denialReason = reason
    }

    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let underlying { text += " (\(underlying))" }
        return text
    }

    public var errorDescription: String? { description }
}
