public import Foundation
import GRDB

/// The rules the broker applies beyond the purposes themselves: who may act as which actor, roles
/// that narrow what an actor may do, and the time windows in which an order's data may be used.
public struct AccessPolicy: Sendable, Equatable {
    /// A named set of purposes (`shipping`, `order-messaging`, `customer-support`).
    public struct Role: Sendable, Equatable {
        /// The role's name, recorded in the audit log.
        public var name: String
        /// Purpose families the role may use.
        public var purposes: Set<String>
        /// A service account (a mailer, a label printer): a program, which has no reason to send a
        /// message the order's state does not call for. The broker refuses its order-messaging
        /// requests that nothing explains (``AccessExplanation/unexplained``) with the reason
        /// `unexplained-message-kind`, instead of only recording them.
        public var serviceAccount: Bool

        /// Creates a role.
        public init(name: String, purposes: Set<String>, serviceAccount: Bool = false) {
            self.name = name
            self.purposes = purposes
            self.serviceAccount = serviceAccount
        }
    }

    /// How many reads nothing explains (grants the broker records as ``AccessExplanation/unexplained``)
    /// one actor may make: beyond either limit the broker refuses the request, in real time, with
    /// the reason `unexplained-limit`. Explained work in any volume is never limited.
    ///
    /// Counted from the audit log inside the transaction that appends the entry, so the limit holds
    /// across every process writing to the log, and two requests at once cannot both take the last
    /// place. Off by default; docs/detection.md ("Prevention") gives a recommended setting.
    public struct UnexplainedLimits: Sendable, Equatable {
        /// At most this many in any 24 hours (a sliding window, not a calendar day); `nil`: no limit.
        public var perDay: Int?
        /// At most this many in any 60 minutes; `nil`: no limit.
        public var perHour: Int?

        /// Limits; both `nil` (the default) limit nothing.
        public init(perDay: Int? = nil, perHour: Int? = nil) {
            self.perDay = perDay
            self.perHour = perHour
        }

        /// Whether either limit is set.
        public var isEnabled: Bool { perDay != nil || perHour != nil }

        /// The limit `actor`'s next unexplained read at `timeMillis` would pass, as the refused
        /// entry's details (`{"max":"10","window":"hour"}`), or `nil` while under both. Runs in the
        /// append's transaction: the entries of the same batch already written count.
        func reached(actor: String, atMillis timeMillis: Int64, in db: Database) throws -> String? {
            for (limit, window, millis) in [(perHour, "hour", Int64(3_600_000)), (perDay, "24 hours", Int64(86_400_000))] {
                guard let limit else { continue }
                // The partial index `entries_unexplained` (actor, time) holds only these rows; the
                // count stops at the limit.
                let count = try Int.fetchOne(db.cachedStatement(sql: """
                    SELECT COUNT(*) FROM (SELECT 1 FROM entries
                        WHERE actor = ? AND explanation = 'unexplained' AND time_ms > ? AND decision = 'granted' LIMIT ?)
                    """), arguments: [actor, timeMillis - millis, limit]) ?? 0
                if count >= limit { return #"{"max":"\#(limit)","window":"\#(window)"}"# }
            }
            return nil
        }

        /// "10 in an hour", from a refused entry's details.
        static func describe(details: String?) -> String {
            guard let data = details?.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
                  let max = object["max"], let window = object["window"] else { return "the limit of" }
            return "\(max) in \(window == "hour" ? "an hour" : window == "24 hours" ? "24 hours" : window) of"
        }
    }

    /// Roles by name.
    public var roles: [String: Role] = [:]
    /// Actor → role name. An actor without a role may use every permitted purpose, unless
    /// ``requireRole`` is set.
    public var actorRoles: [String: String] = [:]
    /// Deny actors that have no role.
    public var requireRole = false
    /// Authenticated identity name (``AuthenticatedIdentity/name``: `os-user:anna`, `user:42`) →
    /// the actors it may act as (`*`: any). Once any identity is bound, an identity that is not
    /// listed may act as nobody, and a claimed actor outside its list is denied.
    public var identityActors: [String: Set<String>] = [:]
    /// Deny requests that carry no authenticated identity (an app that passes none).
    public var requireIdentity = false
    /// Shipping data stays available this long after delivery (labels reprinted, carrier queries).
    public var shippingGraceAfterDelivery: TimeInterval = 3 * 86_400
    /// Messaging and support data stay available this long after delivery; then retention ends.
    public var retentionAfterDelivery: TimeInterval = 30 * 86_400
    /// For orders never marked delivered, retention ends this long after purchase.
    public var retentionWithoutDelivery: TimeInterval = 60 * 86_400
    /// Canary orders (``Vault/plantCanaries(count:actor:)``) the broker refuses whatever the
    /// purpose, with the reason `canary`. A decoy reveals nothing real either way; refusing stops a
    /// sweep there and marks the entry as a denial. The list is as secret as the canary file it
    /// comes from (``Vault/readCanaryList(at:)``): keep it out of reach of the people watched.
    public var refusedCanaries: Set<OrderID> = []
    /// Limits on each actor's unexplained reads (off by default).
    public var unexplainedLimits = UnexplainedLimits()

    /// The defaults: no roles (every actor may use the three permitted purposes), 3 days of shipping
    /// grace, 30 days of retention after delivery, 60 days after purchase when never delivered.
    public init() {}

    /// The role bound to `actor`, if any.
    public func role(of actor: String) -> Role? {
        actorRoles[actor].flatMap { roles[$0] }
    }

    /// Why `identity` may not act as `actor` under this policy, or `nil` when it may (always, when
    /// the policy binds no identities and does not require one).
    public func claimDenial(actor: String, identity: AuthenticatedIdentity?) -> AccessBroker.DenialReason? {
        guard let identity else { return requireIdentity ? .identityRequired : nil }
        if identityActors.isEmpty && !requireIdentity { return nil }
        guard let actors = identityActors[identity.name] else { return .identityNotBound }
        return actors.contains(actor) || actors.contains("*") ? nil : .actorNotPermitted
    }

    /// When an order's retention ends: 30 days (by default) after delivery, or the fallback after
    /// purchase for orders never marked delivered; `nil` when neither date is known.
    public func retentionEnd(purchased: Date?, delivered: Date?) -> Date? {
        if let delivered { return delivered.addingTimeInterval(retentionAfterDelivery) }
        return purchased?.addingTimeInterval(retentionWithoutDelivery)
    }
}

extension AccessPolicy {
    /// Why the broker refuses `request` before it looks at the order (the purpose, the actor's
    /// role, the fields asked for), or `nil`. `role` is the actor's, as ``role(of:)`` gives it.
    public func requestDenial(_ request: AccessRequest, role: Role?) -> AccessBroker.DenialReason? {
        switch request.purpose {
        case .prohibited: return .purposeProhibited
        case .unrecognized: return .purposeUnrecognized
        case .customerSupport(let caseID) where caseID.trimmingASCIIWhitespace().isEmpty: return .caseIDRequired
        default: break
        }
        if let role {
            guard role.purposes.contains(request.purpose.family) else { return .roleNotAllowed }
        } else if requireRole {
            return .noRole
        }
        if case .exactly(let fields) = request.fields, !fields.isSubset(of: request.purpose.allowedFields) {
            return .fieldNotAllowed
        }
        return nil
    }

    /// A review request may be made from 5 days after delivery...
    public static let reviewRequestOpens: TimeInterval = 5 * 86_400
    /// ...until 30 days after it.
    public static let reviewRequestCloses: TimeInterval = 30 * 86_400

    /// Why the broker refuses `purpose` for an order in this state at `now` under this policy's
    /// windows (cancelled, shipping grace over, retention ended), or `nil`.
    public func windowDenial(for purpose: Purpose, status: OrderStatus, purchased: Date?, delivered: Date?, at now: Date) -> AccessBroker.DenialReason? {
        switch purpose {
        case .shipping:
            if status == .cancelled { return .orderCancelled }
            if let delivered, now > delivered.addingTimeInterval(shippingGraceAfterDelivery) { return .shippingWindowClosed }
        case .orderMessaging(.reviewRequest):
            // The marketplace's own rule (its Solicitations API): 5 to 30 days after delivery.
            guard let delivered, now >= delivered.addingTimeInterval(Self.reviewRequestOpens) else { return .reviewWindowNotOpen }
            if now > delivered.addingTimeInterval(Self.reviewRequestCloses) { return .reviewWindowClosed }
            if let end = retentionEnd(purchased: purchased, delivered: delivered), now > end { return .retentionEnded }
        default:
            if let end = retentionEnd(purchased: purchased, delivered: delivered), now > end { return .retentionEnded }
        }
        return nil
    }
}

extension AccessPolicy {
    /// Reads a policy file (TOML):
    ///
    /// ```toml
    /// require-role = false
    ///
    /// [windows]
    /// shipping-grace-days = 3
    /// retention-days-after-delivery = 30
    /// retention-days-without-delivery = 60
    ///
    /// [roles.warehouse]
    /// purposes = ["shipping"]
    ///
    /// [actors]
    /// "label-printer" = "warehouse"
    ///
    /// # Who may act as whom: an OS user (the CLI) or the app's authenticated identity → actors.
    /// # Once one is listed, identities that are not may act as nobody.
    /// [identities]
    /// "os-user:anna" = ["anna@shop.example"]
    /// "os-user:deploy" = ["label-printer", "order-sync"]
    /// "os-user:root" = ["*"]
    ///
    /// # Refuse every read of the canaries in this list (relative to the policy file's folder).
    /// [canaries]
    /// refuse-list = "canaries.txt"
    ///
    /// # Refuse an actor's reads that nothing explains beyond these numbers (off when absent).
    /// [limits]
    /// unexplained-per-day = 20     # in any 24 hours
    /// unexplained-per-hour = 10    # in any 60 minutes
    ///
    /// # A program: its unexplained order messages are refused outright.
    /// [roles.mailer]
    /// purposes = ["order-messaging"]
    /// service-account = true
    /// ```
    ///
    /// - Throws: ``BuyerGuardError/Code/malformedInput`` naming the line, for anything it does not understand.
    public init(toml text: String, file: String = "policy") throws {
        self.init()
        let document = try TOMLSubset.parse(text, file: file)
        for (key, value) in document.table("") {
            switch key {
            case "require-role": requireRole = try value.bool(key, file: file)
            case "require-identity": requireIdentity = try value.bool(key, file: file)
            default: throw BuyerGuardError(.malformedInput, "unknown setting \(key)", location: file)
            }
        }
        for (key, value) in document.table("windows") {
            let days = TimeInterval(try value.integer(key, file: file)) * 86_400
            switch key {
            case "shipping-grace-days": shippingGraceAfterDelivery = days
            case "retention-days-after-delivery": retentionAfterDelivery = days
            case "retention-days-without-delivery": retentionWithoutDelivery = days
            default: throw BuyerGuardError(.malformedInput, "unknown setting windows.\(key)", location: file)
            }
        }
        for (key, value) in document.table("canaries") {
            guard key == "refuse-list" else {
                throw BuyerGuardError(.malformedInput, "unknown setting canaries.\(key)", location: file)
            }
            // Relative to the policy file's folder.
            let path = try value.string(key, file: file)
            let base = URL(fileURLWithPath: file).deletingLastPathComponent()
            let list = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            refusedCanaries = Set(try Vault.readCanaryList(at: list))
        }
        for (key, value) in document.table("limits") {
            let limit = try value.integer(key, file: file)
            guard limit >= 0 else { throw BuyerGuardError(.malformedInput, "limits.\(key) is a count, 0 or more", location: file) }
            switch key {
            case "unexplained-per-day": unexplainedLimits.perDay = limit
            case "unexplained-per-hour": unexplainedLimits.perHour = limit
            default: throw BuyerGuardError(.malformedInput, "unknown setting limits.\(key)", location: file)
            }
        }
        for name in document.tableNames where name.hasPrefix("roles.") {
            let roleName = String(name.dropFirst("roles.".count))
            var purposes = Set<String>()
            var serviceAccount = false
            for (key, value) in document.table(name) {
                if key == "service-account" {
                    serviceAccount = try value.bool(key, file: file)
                    continue
                }
                guard key == "purposes" else {
                    throw BuyerGuardError(.malformedInput, "unknown setting \(name).\(key)", location: file)
                }
                for purpose in try value.strings(key, file: file) {
                    guard Purpose.Family(rawValue: purpose) != nil else {
                        throw BuyerGuardError(
                            .malformedInput,
                            "role \(roleName) names purpose '\(purpose)'; only shipping, order-messaging and customer-support can be granted",
                            location: file)
                    }
                    purposes.insert(purpose)
                }
            }
            roles[roleName] = Role(name: roleName, purposes: purposes, serviceAccount: serviceAccount)
        }
        for (actor, value) in document.table("actors") {
            let role = try value.string(actor, file: file)
            guard roles[role] != nil else {
                throw BuyerGuardError(.malformedInput, "actor \(actor) is bound to undefined role \(role)", location: file)
            }
            actorRoles[actor] = role
        }
        for (identity, value) in document.table("identities") {
            let actors = try value.strings(identity, file: file)
            if let bad = ([identity] + actors).first(where: { AuditText.firstUnprintable(in: $0) != nil || $0.isEmpty }) {
                throw BuyerGuardError(.malformedInput, "identity \(AuditText.escaped(identity)) names an empty or unprintable name '\(AuditText.escaped(bad))'",
                                      location: file)
            }
            identityActors[identity] = Set(actors)
        }
    }

    /// Reads a policy file from disk.
    public init(contentsOf url: URL) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw BuyerGuardError(.inputNotFound, "cannot read the policy file", location: url.path)
        }
        try self.init(toml: text, file: url.path)
    }
}
