import Foundation
import GRDB
import GRDBSQLite
import Tracing

/// The only door to buyers' plaintext. Checks each request against the marketplace's purposes,
/// the actor's role, the order and its time windows; writes the decision to the audit log and
/// waits for it to be durable; only then opens the fields and hands them to the caller's closure.
///
/// ```swift
/// let broker = AccessBroker(vault: vault, policy: policy)
/// let label = try await broker.withAccess(
///     AccessRequest(actor: "label-printer", purpose: .shipping, orderID: id)) { contact in
///     makeLabel(name: contact.string(.recipientName), street: contact.string(.addressLine1))
/// }
/// ```
///
/// If the audit entry cannot be written (disk full, read-only, locked), the request fails with
/// ``BuyerGuardError/Code/auditUnavailable`` and nothing is released. Safe to share between tasks
/// and processes.
public final class AccessBroker: Sendable {
    /// The vault it serves.
    public let vault: Vault
    /// The roles and windows it applies.
    public let policy: AccessPolicy

    /// A broker for `vault` under `policy`.
    public init(vault: Vault, policy: AccessPolicy = AccessPolicy()) {
        self.vault = vault
        self.policy = policy
    }

    /// Why a request was refused: the reason codes written to the audit log.
    public enum DenialReason: String, Sendable, CaseIterable {
        /// A use the marketplace forbids (marketing, export, ...).
        case purposeProhibited = "purpose-prohibited"
        /// A purpose nobody defined.
        case purposeUnrecognized = "purpose-unrecognized"
        /// Customer support without a case id.
        case caseIDRequired = "case-id-required"
        /// The policy requires a role and the actor has none.
        case noRole = "no-role"
        /// The actor's role does not include this purpose.
        case roleNotAllowed = "role-not-allowed"
        /// A field was asked for that the purpose may not read.
        case fieldNotAllowed = "field-not-allowed"
        /// No such order in the vault.
        case orderNotFound = "order-not-found"
        /// The order belongs to another buyer than the one the caller named.
        case buyerMismatch = "buyer-mismatch"
        /// A cancelled order is not shipped.
        case orderCancelled = "order-cancelled"
        /// Delivered longer ago than the shipping grace period.
        case shippingWindowClosed = "shipping-window-closed"
        /// The order's retention has ended.
        case retentionEnded = "retention-ended"
        /// The order's personal data was purged or erased.
        case purged = "purged"
        /// The actor, request id, case id or purpose holds a control or formatting character
        /// (the entry records them escaped).
        case invalidText = "invalid-text"
        /// The authenticated identity may not act as the actor it claims (``AccessPolicy/identityActors``).
        case actorNotPermitted = "actor-not-permitted"
        /// The policy binds identities, and this one is not among them.
        case identityNotBound = "identity-not-bound"
        /// The policy requires an authenticated identity and the request carried none.
        case identityRequired = "identity-required"
        /// A review request before the order was delivered, or less than 5 days after.
        case reviewWindowNotOpen = "review-window-not-open"
        /// A review request more than 30 days after delivery.
        case reviewWindowClosed = "review-window-closed"
        /// A second review request for the same order.
        case reviewAlreadyRequested = "review-already-requested"
        /// The order is a canary the policy refuses (``AccessPolicy/refusedCanaries``).
        case canary = "canary"
        /// The actor reached a limit on reads nothing explains (``AccessPolicy/unexplainedLimits``).
        case unexplainedLimit = "unexplained-limit"
        /// A service account (``AccessPolicy/Role/serviceAccount``) asked for a message kind the
        /// order's state does not call for.
        case unexplainedMessageKind = "unexplained-message-kind"
    }

    /// Serves `request`: on success calls `body` with the released fields and returns its result.
    ///
    /// - Throws: ``BuyerGuardError/Code/accessDenied`` (``BuyerGuardError/denialReason`` is the reason code),
    ///   ``BuyerGuardError/Code/auditUnavailable``, or ``BuyerGuardError/Code/corruptCiphertext``.
    ///   In every case the audit log has an entry, or the request failed because it could not get one.
    ///
    /// It runs in the caller's isolation (`nonisolated(nonsending)`): from main-actor code, or an
    /// actor's, the closure is neither sent to another executor nor required to be `Sendable`.
    nonisolated(nonsending)
    public func withAccess<R>(_ request: AccessRequest, _ body: (borrowing RevealedContact) throws -> R) async throws -> R {
        let contact = try await tracedRelease(request)
        return try body(contact)  // `contact` ends here: its bytes are zeroed
    }

    /// ``withAccess(_:_:)`` for work that must await, such as handing an address to a mail transport.
    nonisolated(nonsending)
    public func withAccess<R>(_ request: AccessRequest, _ body: (borrowing RevealedContact) async throws -> R) async throws -> R {
        let contact = try await tracedRelease(request)
        return try await body(contact)  // `contact` ends here: its bytes are zeroed
    }

    /// ``withAccess(_:_:)`` that also gives the body the sequence number of the grant's entry, so
    /// that what follows from the access (`send`'s `message-sent`) can name the entry it belongs to.
    nonisolated(nonsending)
    package func withAccess<R>(_ request: AccessRequest, _ body: (borrowing RevealedContact, _ entry: Int64) async throws -> R) async throws -> R {
        let contact = try await tracedRelease(request)
        return try await body(contact, contact.entry)
    }

    /// ``release(_:span:)`` inside a `buyerguard.access` span. The span carries the request's shape
    /// (purpose, field names, decision), never a value, an order, an actor or a buyer; an error
    /// marks it failed without its message (messages name orders).
    nonisolated(nonsending)
    private func tracedRelease(_ request: AccessRequest) async throws -> RevealedContact {
        let span = vault.auditLog.instruments.tracer.startAnySpan("buyerguard.access", ofKind: .internal)
        defer { span.end() }
        if span.isRecording {  // with no tracer bootstrapped, nothing is built for it
            span.attributes["buyerguard.purpose"] = Instruments.purposeLabel(request.purpose.family)
            if let kind = request.purpose.messageKind { span.attributes["buyerguard.message_kind"] = kind.rawValue }
            span.attributes["buyerguard.fields_asked"] = request.askedFields.map(\.rawValue).sorted()
            span.attributes["buyerguard.channel"] = request.channel.rawValue
        }
        do {
            return try await release(request, span: span)
        } catch {
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    /// Appends the broker's entry for a decision, and counts it (metrics, the span's attributes).
    /// Returns the entry as written: a grant over an unexplained-read limit comes back refused.
    @discardableResult
    private func record(_ draft: AuditDraft, _ span: any Span) async throws -> AuditEntry {
        let entry = try await vault.auditLog.append(draft)  // durable before anything is released
        vault.auditLog.instruments.countAccess(decision: entry.decision, purpose: entry.purpose ?? "", reason: entry.reason)
        guard span.isRecording else { return entry }
        span.attributes["buyerguard.decision"] = entry.decision.rawValue
        span.attributes["buyerguard.reason"] = Instruments.reasonLabel(entry.reason)
        if entry.decision == .granted { span.attributes["buyerguard.fields_released"] = entry.fieldsReleased }
        return entry
    }

    /// Decides, logs (durably) and opens: everything ``withAccess(_:_:)`` does before calling its closure.
    nonisolated(nonsending)
    private func release(_ request: AccessRequest, span: any Span) async throws -> RevealedContact {
        let now = vault.clock.now
        let identity = request.identity?.description
        let texts = [request.actor, request.requestID, request.purpose.family, request.purpose.caseID, identity].compactMap { $0 }
        if texts.contains(where: { AuditText.firstUnprintable(in: $0) != nil }) {
            let escaped = { (text: String?) in text.map(AuditText.escaped) }
            try await record(AuditDraft(
                actor: AuditText.escaped(request.actor), purpose: AuditText.escaped(request.purpose.family),
                caseID: escaped(request.purpose.caseID), orderID: request.orderID.rawValue, fieldsAsked: request.askedFields.map(\.rawValue),
                decision: .denied, reason: DenialReason.invalidText.rawValue, channel: request.channel.rawValue,
                requestID: escaped(request.requestID), identity: escaped(identity)), span)
            throw BuyerGuardError(denied: .invalidText, "access denied: \(DenialReason.invalidText.rawValue) (control or formatting characters in the request)")
        }
        let role = policy.role(of: request.actor)
        let state: OrderAccessState?
        do {
            state = try vault.accessState(for: request.orderID)
        } catch let error as BuyerGuardError {
            // The vault could not be read: the attempt is still recorded, as failed.
            try await record(AuditDraft(
                actor: request.actor, role: role?.name, purpose: request.purpose.family, messageKind: request.purpose.messageKind?.rawValue,
                caseID: request.purpose.caseID, orderID: request.orderID.rawValue, fieldsAsked: request.askedFields.map(\.rawValue),
                decision: .failed, reason: error.code.description, channel: request.channel.rawValue, requestID: request.requestID,
                identity: identity), span)
            throw error
        }
        var draft = AuditDraft(
            actor: request.actor, role: role?.name, purpose: request.purpose.family,
            messageKind: request.purpose.messageKind?.rawValue, caseID: request.purpose.caseID, orderID: request.orderID.rawValue,
            buyer: state.map { vault.pseudonym(buyerUID: $0.buyerUID) },
            fieldsAsked: request.askedFields.map(\.rawValue), decision: .denied, channel: request.channel.rawValue,
            requestID: request.requestID, orderStatus: state?.status.rawValue,
            daysSincePurchase: state?.purchased.map { Self.days(from: $0, to: now) },
            daysSinceDelivery: state?.delivered.map { Self.days(from: $0, to: now) }, identity: identity)

        if let state, !(try OrderBuyerLink.isValid(state.buyerLink, orderID: request.orderID.rawValue, buyerUID: state.buyerUID, keyRing: vault.keyRing)) {
            // Someone re-pointed the order at another buyer's row (or forged the row): fail closed.
            draft.decision = .failed
            draft.reason = "buyer-link-invalid"
            try await record(draft, span)
            throw BuyerGuardError(
                .vaultTampered,
                "order \(request.orderID)'s link to its buyer does not verify: \(Vault.databaseFileName) was altered outside BuyerGuard; nothing was released",
                location: vault.folder.path)
        }
        if let reason = try decide(request, state: state, role: role, now: now) {
            draft.reason = reason.rawValue
            try await record(draft, span)
            throw BuyerGuardError(denied: reason, "access denied: \(reason.rawValue) (\(request.purpose.family), order \(request.orderID))")
        }
        let granted = state!
        let explanation = explanation(of: request, state: granted, now: now)  // at the decision's moment
        if explanation == .unexplained, request.purpose.messageKind != nil, role?.serviceAccount == true {
            draft.reason = DenialReason.unexplainedMessageKind.rawValue
            try await record(draft, span)
            throw BuyerGuardError(denied: .unexplainedMessageKind,
                                  "access denied: \(DenialReason.unexplainedMessageKind.rawValue) (\(request.purpose.family), order \(request.orderID): its state does not call for this message)")
        }
        // The one review request of an order is claimed in one conditional write before anything is
        // released, so two requests at once cannot both pass; given back if this one then fails.
        let claimsReview = request.purpose.messageKind == .reviewRequest
        let claimed: Bool
        do {
            claimed = claimsReview ? try await vault.claimReviewRequest(request.orderID, at: now) : true
        } catch let error as BuyerGuardError {
            draft.decision = .failed  // the vault could not be written: recorded, as failed
            draft.reason = error.code.description
            try await record(draft, span)
            throw error
        }
        if !claimed {
            draft.reason = DenialReason.reviewAlreadyRequested.rawValue
            try await record(draft, span)
            throw BuyerGuardError(denied: .reviewAlreadyRequested, "access denied: \(DenialReason.reviewAlreadyRequested.rawValue) (order \(request.orderID))")
        }
        do {
            return try await release(request, granted: granted, explanation: explanation, draft: draft, span: span)
        } catch {
            if claimsReview { try? await vault.giveBackReviewRequest(request.orderID, claimedAt: now) }
            throw error
        }
    }

    /// Opens the granted fields and logs the grant (durable before anything is released).
    nonisolated(nonsending)
    private func release(_ request: AccessRequest, granted: OrderAccessState, explanation: AccessExplanation, draft: AuditDraft, span: any Span)
        async throws -> RevealedContact
    {
        var draft = draft
        let fields = request.askedFields.sorted()
        var values: [ContactField: SecureBytes] = [:]
        func openFields() throws {
            let cipher = vault.cipher
            for field in fields {
                guard let stored = granted.sealed[field], let sealed = stored else { continue }
                let record: RecordID = ContactField.buyerLevel.contains(field) ? .buyer(granted.buyerUID) : .order(request.orderID)
                values[field] = try cipher.open(sealed, field: field, record: record)
            }
        }
        do {
            do {
                try openFields()
            } catch let error as BuyerGuardError where error.code == .unsupportedFormat {
                // Sealed under a key version another process added (a rotation): load it and retry once.
                try vault.reloadKeys()
                try openFields()
            }
        } catch let error as BuyerGuardError {
            draft.decision = .failed
            draft.reason = error.code.description
            try await record(draft, span)
            throw error
        }
        draft.decision = .granted
        draft.fieldsReleased = fields.filter { values[$0] != nil }.map(\.rawValue)
        draft.explanation = explanation.rawValue
        if explanation == .unexplained, policy.unexplainedLimits.isEnabled { draft.unexplainedLimits = policy.unexplainedLimits }
        let entry = try await record(draft, span)  // durable before anything is released
        if entry.decision == .denied {  // over a limit, decided where the entry was appended
            let limit = AccessPolicy.UnexplainedLimits.describe(details: entry.details)
            throw BuyerGuardError(denied: .unexplainedLimit,
                                  "access denied: \(DenialReason.unexplainedLimit.rawValue) (\(limit) reads nothing explains were reached; order \(request.orderID))")
        }
        return RevealedContact(values: values, entry: entry.sequence)
    }

    /// Which fact of the order explains a granted request (a support read looks its case up).
    private func explanation(of request: AccessRequest, state: OrderAccessState, now: Date) -> AccessExplanation {
        var supportCase: SupportCaseState?
        if case .customerSupport(let caseID) = request.purpose {
            do { supportCase = try vault.supportCase(caseID) } catch { supportCase = nil }  // unreadable: unexplained, still logged
        }
        return AccessExplanation.of(request.purpose, actor: request.actor, state: state, supportCase: supportCase,
                                    orderID: request.orderID, now: now)
    }

    /// The decision alone, without opening anything: `nil` when the request would be granted.
    func decide(_ request: AccessRequest, state: OrderAccessState?, role: AccessPolicy.Role?, now: Date) throws -> DenialReason? {
        if let reason = policy.claimDenial(actor: request.actor, identity: request.identity ?? vault.identity) { return reason }
        if let reason = policy.requestDenial(request, role: role) { return reason }
        if policy.refusedCanaries.contains(request.orderID) { return .canary }
        guard let state else { return .orderNotFound }
        if state.piiRemoved { return .purged }
        if let email = request.expectedBuyerEmail {
            guard let index = state.emailIndex, try vault.indexer.allIndexes(email: email).contains(index) else { return .buyerMismatch }
        }
        if request.purpose.messageKind == .reviewRequest, state.reviewRequested { return .reviewAlreadyRequested }
        return policy.windowDenial(for: request.purpose, status: state.status, purchased: state.purchased, delivered: state.delivered, at: now)
    }

    static func days(from start: Date, to end: Date) -> Int {
        Int((end.timeIntervalSince(start) / 86_400).rounded(.down))
    }
}

/// What the broker needs to know about an order, read in one query.
struct OrderAccessState: Sendable {
    var buyerUID: [UInt8]
    var emailIndex: Data?
    var status: OrderStatus
    var purchased: Date?
    var delivered: Date?
    var piiRemoved: Bool
    var sealed: [ContactField: Data?]
    /// The stored ``OrderBuyerLink`` of the order and its buyer.
    var buyerLink: Data?
    /// Whether the order's one review request was made.
    var reviewRequested = false
    /// When a return and a refund were recorded, if they were.
    var returned: Date?
    var refunded: Date?
}

extension Vault {
    func accessState(for orderID: OrderID) throws -> OrderAccessState? {
        let columns = ContactField.orderLevel.map { "orders.\($0.column)" } + ContactField.buyerLevel.map { "buyers.\($0.column)" }
        let sql = """
            SELECT buyers.uid, buyers.email_index, orders.status, orders.purchase_date, orders.delivered_at, orders.pii_removed_at,
                \(columns.joined(separator: ", ")), orders.buyer_link, orders.review_requested_at, orders.returned_at, orders.refunded_at
            FROM orders JOIN buyers ON buyers.id = orders.buyer_id WHERE orders.order_id = ?
            """
        // A point read: the synchronous API runs it on this thread, without the two thread hops of
        // the async one (they were most of its cost; see docs/performance.md). A database failure
        // comes out of `database` as a BuyerGuardError naming vault.sqlite.
        return try database.read { db in
            var state: OrderAccessState?
            try db.cachedStatement(sql: sql).run([.text(orderID.rawValue)]) { statement in
                func date(_ column: Int32) -> Date? {
                    sqlite3_column_type(statement, column) == SQLITE_NULL
                        ? nil : Date(timeIntervalSince1970: TimeInterval(sqlite3_column_int64(statement, column)))
                }
                var sealed: [ContactField: Data?] = [:]
                for (offset, field) in (ContactField.orderLevel + ContactField.buyerLevel).enumerated() {
                    sealed[field] = directBlob(statement, Int32(6 + offset))
                }
                let status = String(cString: sqlite3_column_text(statement, 2))
                state = OrderAccessState(
                    buyerUID: [UInt8](directBlob(statement, 0) ?? Data()), emailIndex: directBlob(statement, 1),
                    status: OrderStatus(rawValue: status) ?? .pending, purchased: date(3), delivered: date(4),
                    piiRemoved: sqlite3_column_type(statement, 5) != SQLITE_NULL, sealed: sealed,
                    buyerLink: directBlob(statement, Int32(6 + ContactField.orderLevel.count + ContactField.buyerLevel.count)),
                    reviewRequested: sqlite3_column_type(statement, Int32(7 + ContactField.orderLevel.count + ContactField.buyerLevel.count)) != SQLITE_NULL,
                    returned: date(Int32(8 + ContactField.orderLevel.count + ContactField.buyerLevel.count)),
                    refunded: date(Int32(9 + ContactField.orderLevel.count + ContactField.buyerLevel.count)))
            }
            return state
        }
    }

    /// Marks the order's one review request as made; `false` if it already was.
    func claimReviewRequest(_ orderID: OrderID, at now: Date) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE orders SET review_requested_at = ? WHERE order_id = ? AND review_requested_at IS NULL",
                           arguments: [Int64(now.timeIntervalSince1970.rounded(.down)), orderID.rawValue])
            return db.changesCount == 1
        }
    }

    /// Undoes ``claimReviewRequest(_:at:)`` for a request that released nothing.
    func giveBackReviewRequest(_ orderID: OrderID, claimedAt now: Date) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE orders SET review_requested_at = NULL WHERE order_id = ? AND review_requested_at = ?",
                           arguments: [orderID.rawValue, Int64(now.timeIntervalSince1970.rounded(.down))])
        }
    }

    /// The audit log's name for a buyer: keyed BLAKE2b-128 of the buyer's random id, hex.
    func pseudonym(buyerUID: [UInt8]) -> String {
        let key = keyRing.primary(.auditPseudonym)
        return ((try? BLAKE2b.hash(key: key.secret, outputByteCount: 16) { hash in
            hash.update(Array("bg.buyer.v1|".utf8))
            hash.update(buyerUID)
        }) ?? []).hexString
    }

    /// The pseudonym under which the buyer with this email appears in the audit log, so an auditor
    /// can find a known buyer's entries without the log holding the email. `nil` if no such buyer.
    ///
    /// The lookup itself tells whether someone is a buyer here, so it is logged: a
    /// `pseudonym-lookup` event naming `actor`, whether a buyer was found and, if so, the pseudonym.
    public func auditPseudonym(forEmail email: String, actor: String) async throws -> String? {
        try AuditText.requirePrintable(actor, as: "actor")
        let pseudonym = try await lookUpPseudonym(forEmail: email)
        var details = ["found": pseudonym == nil ? "no" : "yes"]
        details["buyer"] = pseudonym
        try await auditLog.recordEvent(.pseudonymLookup, actor: actor, details: details)
        return pseudonym
    }

    private func lookUpPseudonym(forEmail email: String) async throws -> String? {
        let indexes = try indexer.allIndexes(email: email)
        let uid = try await database.read { db -> Data? in
            for index in indexes {
                if let uid = try Data.fetchOne(db, sql: "SELECT uid FROM buyers WHERE email_index = ?", arguments: [index]) { return uid }
            }
            return nil
        }
        return uid.map { pseudonym(buyerUID: [UInt8]($0)) }
    }
}
