import BuyerGuard

/// `canary`: any request for a decoy order.
struct CanaryRule: ScanRule {
    private let canaries: Set<Int32>

    init(rules: DetectionRules, symbols: AuditSymbolTable) {
        canaries = Set(rules.canaryOrders.map { symbols.intern($0) })
    }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event
        guard scanned.kind == .access, event.order >= 0, canaries.contains(event.order) else { return }
        let symbols = context.symbols
        context.add(.canary, .critical, symbols[event.actor], from: event.timeMillis, to: event.timeMillis,
                    evidence: Evidence(sequences: [event.sequence], count: 1, orders: [symbols[event.order]]),
                    "\(symbols[event.actor]) \(event.decision == .granted ? "read" : "asked for") canary order \(symbols[event.order]), a decoy no legitimate work ever needs.")
    }
}
