import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who was *authenticated*, as opposed to the ``AccessRequest/actor`` they claim to be.
///
/// An actor name is whatever the caller passes; nothing in BuyerGuard can check it. The app that
/// links the library authenticates its users (a login, a session, a service credential) and passes
/// the result here; the `buyerguard` CLI passes the OS user that runs it. The identity is written
/// beside the actor in every audit entry, and a policy can bind each identity to the actors it may
/// act as (``AccessPolicy/identityActors``), so that a claimed actor the identity may not be is
/// denied, and an auditor sees who really asked.
///
/// ```swift
/// let request = AccessRequest(actor: "anna@shop.example", purpose: .shipping, orderID: id,
///                             identity: AuthenticatedIdentity(name: "session:\(session.userID)"))
/// ```
public struct AuthenticatedIdentity: Sendable, Hashable, CustomStringConvertible {
    /// What the policy matches: `os-user:anna`, `user:42`, `service:label-printer`.
    public var name: String
    /// Logged after the name, not matched: the numeric uid of an OS user, a session id.
    public var annotation: String?

    /// An identity the app authenticated.
    ///
    /// - Parameters:
    ///   - name: what the policy's `[identities]` table names. Free of control characters and spaces.
    ///   - annotation: more to log, which the policy does not match.
    public init(name: String, annotation: String? = nil) {
        self.name = name
        self.annotation = annotation
    }

    /// The text written to the audit log: the name, then the annotation after a space.
    public var description: String { annotation.map { "\(name) \($0)" } ?? name }

    /// The OS user that runs this process, by its real uid: `os-user:<login> uid=<uid>`, or
    /// `os-user:uid-<uid>` when the uid has no account name. What the CLI logs in every entry.
    public static func operatingSystemUser() -> AuthenticatedIdentity {
        let uid = getuid()
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let found = getpwuid_r(uid, &record, &buffer, buffer.count, &result) == 0 && result != nil
        let login = found ? String(cString: record.pw_name) : ""
        let name = login.isEmpty || AuditText.firstUnprintable(in: login) != nil || login.contains(" ")
            ? "os-user:uid-\(uid)" : "os-user:\(login)"
        return AuthenticatedIdentity(name: name, annotation: "uid=\(uid)")
    }
}

extension Vault {
    /// Who this vault writes beside every actor (``VaultConfiguration/identity``).
    public var identity: AuthenticatedIdentity? { settings.identity }

    /// Refuses an operation the vault would run for `actor` (an import, a purge, a key change, an
    /// order event) when this vault's identity may not act as `actor` under `policy`. The broker
    /// checks every access itself; this is for the rest. A refusal is logged as a denied
    /// `actor-refused` entry naming the operation.
    ///
    /// - Throws: ``BuyerGuardError/Code/accessDenied`` (nothing ran), or
    ///   ``BuyerGuardError/Code/auditUnavailable`` if the refusal could not be logged.
    ///
    /// - Parameter channel: where the operation came from, as the entry records it.
    public func authorize(actor: String, for operation: String, under policy: AccessPolicy, channel: AccessChannel = .library) async throws {
        try AuditText.requirePrintable(actor, as: "actor")
        guard let reason = policy.claimDenial(actor: actor, identity: identity) else { return }
        var refusal = try AuditLog.eventDraft(AuditEventKind.actorRefused.rawValue, actor: actor, orderID: nil, channel: channel,
                                              details: ["operation": operation], reason: reason.rawValue)
        refusal.decision = .denied
        _ = try await auditLog.append(refusal)
        throw BuyerGuardError(
            denied: reason,
            "access denied: \(reason.rawValue) (\(identity.map { AuditText.escaped($0.description) } ?? "no identity") may not act as \(AuditText.escaped(actor)) under the policy; \(operation) did not run)")
    }
}
