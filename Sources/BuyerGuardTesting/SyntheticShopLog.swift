public import BuyerGuard
import Foundation

extension SellerSimulation {
    /// Writes the simulation straight into `log` as synthetic entries, deciding every request with
    /// the broker's own policy checks (purposes, roles, fields, order state, shipping grace,
    /// retention) but without a vault: millions of entries in minutes, for the scanner benchmarks.
    ///
    /// Orders are forgotten 75 days after purchase, as a purge would remove them; buyers appear
    /// under a stand-in pseudonym. A test checks that the rules find the same plants in this log
    /// as in one written through the real broker.
    @discardableResult
    package func writeSynthetic(into log: AuditLog, policy: AccessPolicy = SellerSimulation.policy, batch: Int = 20_000) async throws -> [Plant] {
        var writer = SyntheticWriter(log: log, policy: policy, batchSize: batch)
        let plants = try await run { day, steps in
            for timed in steps { try await writer.perform(timed) }
            writer.forget(purchasedOn: Int(configuration.start.timeIntervalSince1970 / 86_400) + day - 75)
        }
        try await writer.flush()
        return plants
    }
}

/// The broker's decisions and the log's entries, without the vault.
struct SyntheticWriter {
    struct OrderState {
        var buyer: String
        var purchased: Date
        var delivered: Date?
        var status: OrderStatus
    }

    let log: AuditLog
    let policy: AccessPolicy
    let batchSize: Int
    var orders: [OrderID: OrderState] = [:]
    /// Order ids by day of purchase (days since 1970), to forget them in one go.
    var purchasedOn: [Int: [OrderID]] = [:]
    var pending: [SyntheticAuditEntry] = []
    /// The support cases recorded so far, as the vault would keep them.
    var cases: [String: SupportCaseState] = [:]

    init(log: AuditLog, policy: AccessPolicy, batchSize: Int) {
        self.log = log
        self.policy = policy
        self.batchSize = batchSize
    }

    mutating func perform(_ timed: SellerSimulation.TimedStep) async throws {
        let now = timed.time
        switch timed.step {
        case .importOrders(let imported):
            for order in imported {
                let purchased = order.purchaseDate ?? now
                orders[order.id] = OrderState(buyer: Self.pseudonym(order.contact[.buyerEmail] ?? order.id.rawValue),
                                              purchased: purchased, status: order.status)
                purchasedOn[Int(purchased.timeIntervalSince1970 / 86_400), default: []].append(order.id)
            }
        case .orderEvent(let order, let event, let actor):
            guard orders[order] != nil else { return }
            orders[order]!.status = event.status
            if case .delivered(let date) = event { orders[order]!.delivered = date }
            append(SyntheticAuditEntry(time: now, kind: event.auditKind, actor: actor, orderID: order.rawValue, decision: .event,
                                       channel: AccessChannel.library.rawValue))
        case .access(let request):
            _ = access(request, now: now)
        case .message(let actor, let order, let purpose):
            let request = AccessRequest(actor: actor, purpose: purpose, orderID: order, fields: .exactly([.buyerEmail]), channel: .messaging)
            if access(request, now: now) {
                let kind = purpose.messageKind?.rawValue ?? "support"
                append(SyntheticAuditEntry(time: now, kind: "message-sent", actor: actor, orderID: order.rawValue, decision: .event,
                                           channel: AccessChannel.messaging.rawValue, details: "{\"kind\":\"\(kind)\"}"))
            }
        case .supportCase(let event, let caseID, let order, let actor):
            let kind: AuditEventKind
            var details = "{\"case\":\"\(caseID)\"}"
            switch event {
            case .opened:
                guard orders[order] != nil, cases[caseID] == nil else { return }
                cases[caseID] = SupportCaseState(orderID: order.rawValue)
                kind = .caseOpened
            case .assigned(let handler):
                guard cases[caseID] != nil else { return }
                cases[caseID]!.handler = handler
                kind = .caseAssigned
                details = "{\"case\":\"\(caseID)\",\"handler\":\"\(handler)\"}"
            case .closed:
                guard cases[caseID] != nil else { return }
                cases[caseID]!.closed = true
                kind = .caseClosed
            }
            append(SyntheticAuditEntry(time: now, kind: kind.rawValue, actor: actor, orderID: order.rawValue, decision: .event,
                                       channel: AccessChannel.library.rawValue, details: details))
        case .checkpoint:
            try await flush()
            _ = try await log.checkpoint(at: now)
        }
        if pending.count >= batchSize { try await flush() }
    }

    /// Logs `request` as the broker would decide it; returns whether it was granted.
    mutating func access(_ request: AccessRequest, now: Date) -> Bool {
        let state = orders[request.orderID]
        let asked = request.askedFields
        let reason = decide(request, state: state, now: now)
        let days = { (from: Date?) in from.map { Int(now.timeIntervalSince($0) / 86_400) } }
        // As the broker explains a grant.
        let explanation = reason == nil ? state.map {
            AccessExplanation.of(request.purpose, actor: request.actor, status: $0.status, delivered: $0.delivered,
                                 returned: $0.status == .returned || $0.status == .refunded, refunded: $0.status == .refunded,
                                 supportCase: request.purpose.caseID.flatMap { cases[$0] }, orderID: request.orderID.rawValue, now: now).rawValue
        } : nil
        append(SyntheticAuditEntry(
            time: now, actor: request.actor, role: policy.role(of: request.actor)?.name, purpose: request.purpose.family,
            messageKind: request.purpose.messageKind?.rawValue, caseID: request.purpose.caseID, orderID: request.orderID.rawValue,
            buyer: state?.buyer, fieldsAsked: asked.map(\.rawValue).sorted(),
            fieldsReleased: reason == nil ? asked.map(\.rawValue).sorted() : [], decision: reason == nil ? .granted : .denied,
            reason: reason?.rawValue, channel: request.channel.rawValue, orderStatus: state?.status.rawValue,
            daysSincePurchase: days(state?.purchased), daysSinceDelivery: days(state?.delivered), explanation: explanation))
        return reason == nil
    }

    /// The broker's decision, through the same policy checks, minus the buyer check (no vault).
    func decide(_ request: AccessRequest, state: OrderState?, now: Date) -> AccessBroker.DenialReason? {
        if let reason = policy.requestDenial(request, role: policy.role(of: request.actor)) { return reason }
        guard let state else { return .orderNotFound }
        return policy.windowDenial(for: request.purpose, status: state.status, purchased: state.purchased, delivered: state.delivered, at: now)
    }

    mutating func append(_ entry: SyntheticAuditEntry) { pending.append(entry) }

    mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        try await log.appendSynthetic(pending)
        pending.removeAll(keepingCapacity: true)
    }

    mutating func forget(purchasedOn day: Int) {
        for order in purchasedOn.removeValue(forKey: day) ?? [] { orders[order] = nil }
    }

    /// A stand-in pseudonym: 32 hex digits from two FNV-1a hashes of the email.
    static func pseudonym(_ email: String) -> String {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in email.utf8 {
            first = (first ^ UInt64(byte)) &* 0x100_0000_01b3
            second = (second ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 7
        }
        return String(format: "%016llx%016llx", first, second)
    }
}
