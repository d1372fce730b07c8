public import Foundation

/// The rules the broker applies beyond the purposes themselves: who may act as which actor, roles
/// that narrow what an actor may do, and the time windows in which an order's data may be used.
public struct AccessPolicy: Sendable, Equatable {
    /// A named set of purposes (`shipping`, `order-messaging`, `customer-support`).
    public struct Role: Sendable, Equatable {
        /// The role's name, recorded in the audit log.
        public var name: String
        /// Purpose families the role may use.
        public var purposes: Set<String>

        /// Creates a role.
        public init(name: String, purposes: Set<String>) {
            self.name = name
            self.purposes = purposes
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
        for name in document.tableNames where name.hasPrefix("roles.") {
            let roleName = String(name.dropFirst("roles.".count))
            var purposes = Set<String>()
            for (key, value) in document.table(name) {
                guard key == "purposes" else {
                    throw BuyerGuardError(.malformedInput, "unknown setting \(name).\(key)", location: file)
                }
                for purpose in try value.strings(key, file: file) {
                    guard ["shipping", "order-messaging", "customer-support"].contains(purpose) else {
                        throw BuyerGuardError(
                            .malformedInput,
                            "role \(roleName) names purpose '\(purpose)'; only shipping, order-messaging and customer-support can be granted",
                            location: file)
                    }
                    purposes.insert(purpose)
                }
            }
            roles[roleName] = Role(name: roleName, purposes: purposes)
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
