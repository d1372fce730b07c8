import BuyerGuard

/// `probing`: many refusals within a short window, someone trying what is allowed.
struct ProbingRule: ScanRule {
    private struct Actor {
        var denials: SlidingWindow
        var reported = Int64.min
    }

    private var actors: [Actor] = []

    mutating func addActor(in context: inout ScanContext) {
        actors.append(Actor(denials: SlidingWindow(length: context.rules.probingWindow)))
    }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event, slot = scanned.slot
        guard scanned.kind == .access, event.decision == .denied else { return }
        // Mutated in place: a copy would duplicate the window's arrays on every entry.
        actors[slot].denials.add(event, key: -1)
        let count = actors[slot].denials.count
        guard count >= context.rules.probingDenials,
              ScanContext.firstReport(&actors[slot].reported, at: event.timeMillis, window: context.rules.probingWindow) else { return }
        let window = actors[slot].denials
        let name = context.symbols[event.actor]
        context.add(.probing, .high, name, from: window.oldest, to: event.timeMillis, evidence: window.evidence(context.symbols),
                    "\(name) was refused \(window.count) times within \(ScanContext.minutes(context.rules.probingWindow)): someone trying what is allowed.")
    }
}
