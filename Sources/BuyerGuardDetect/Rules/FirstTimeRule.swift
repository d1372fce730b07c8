import BuyerGuard

/// `first-time`: a new actor, channel or field, once the learning days are over.
struct FirstTimeRule: ScanRule {
    private struct Seen {
        var seen = false
        var channels = Set<Int32>()
        var fields: UInt32 = 0
    }

    private let learningMillis: Int64
    private var actors: [Seen] = []

    init(rules: DetectionRules) {
        learningMillis = Int64(rules.learningDays) * 86_400_000
    }

    mutating func addActor(in context: inout ScanContext) { actors.append(Seen()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        guard scanned.kind == .access else { return }
        let event = scanned.event, slot = scanned.slot, mask = scanned.released
        let learning = event.timeMillis - (context.firstMillis ?? event.timeMillis) < learningMillis
        var news: [String] = []
        if !actors[slot].seen {
            actors[slot].seen = true
            if !learning { news.append("first appearance of this actor") }
        } else {
            if event.channel >= 0, !actors[slot].channels.contains(event.channel), !learning {
                news.append("first use of the \(context.symbols[event.channel]) channel")
            }
            let newFields = mask & ~actors[slot].fields
            if newFields != 0, !learning {
                news.append("first read of \(ContactField.allCases.filter { newFields & ScannedEvent.bit($0) != 0 }.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if event.channel >= 0 { actors[slot].channels.insert(event.channel) }
        actors[slot].fields |= mask
        guard !news.isEmpty else { return }
        let name = context.symbols[event.actor]
        context.add(.firstTime, .low, name, from: event.timeMillis, to: event.timeMillis,
                    evidence: Evidence(sequences: [event.sequence], count: 1, orders: event.order >= 0 ? [context.symbols[event.order]] : []),
                    "\(name): \(news.joined(separator: "; ")) (\(event.decision == .granted ? "granted" : event.decision.rawValue)); check that it was expected.")
    }
}
