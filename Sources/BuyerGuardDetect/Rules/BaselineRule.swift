import BuyerGuard

/// `baseline`: days far above the actor's own history (allowing for the season, the surge the
/// others had that day), or far above peers with the same role. Counts buyers read without an
/// explanation or at night (``ScannedEvent/counted``); the season is measured on every order an
/// actor touched (reads and order events).
struct BaselineRule: ScanRule {
    /// What the baselines keep of a finished day.
    private struct Day {
        var day: Int
        var buyers: Int
        /// Distinct orders read or given an event (shipped, delivered, ...).
        var touched: Int
        var role: Int32
        var reads: Tally
    }

    private struct Actor {
        var role: Int32 = -1
        var buyers = Set<Int32>()
        var reads = Tally()
        var touched = Set<Int32>()
        var history: [Day] = []
    }

    private var actors: [Actor] = []

    mutating func addActor(in context: inout ScanContext) { actors.append(Actor()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event, slot = scanned.slot
        switch scanned.kind {
        case .messageSent:
            return
        case .other:
            if event.order >= 0 { actors[slot].touched.insert(event.order) }
            return
        case .access:
            if event.role >= 0 { actors[slot].role = event.role }
            if scanned.isRead, event.order >= 0 { actors[slot].touched.insert(event.order) }
            if scanned.counted, actors[slot].buyers.insert(event.buyer).inserted { actors[slot].reads.add(event) }
        }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        let actor = actors[slot]
        actors[slot].history.append(Day(day: context.actors[slot].day, buyers: actor.buyers.count, touched: actor.touched.count,
                                        role: actor.role, reads: actor.reads))
        actors[slot].buyers.removeAll(keepingCapacity: true)
        actors[slot].touched.removeAll(keepingCapacity: true)
        actors[slot].reads = Tally()
    }

    mutating func finish(in context: inout ScanContext) {
        let rules = context.rules
        // How far each actor's orders (reads and order events) rose above their own usual, per day:
        // a holiday raises them for the warehouse and the printer alike, one actor's excess only for one.
        var surges: [Int: [(actor: Int, ratio: Double)]] = [:]
        var byRoleDay: [String: [Int]] = [:]
        for (slot, actor) in actors.enumerated() {
            for (index, day) in actor.history.enumerated() {
                if day.role >= 0 { byRoleDay["\(day.role)|\(day.day)", default: []].append(day.buyers) }
                let prior = actor.history[..<index].filter { $0.day >= day.day - rules.baselineDays }
                guard prior.count >= max(1, rules.baselineMinimumDays) else { continue }
                let usual = Double(prior.map(\.touched).reduce(0, +)) / Double(prior.count)
                if usual >= 10 { surges[day.day, default: []].append((slot, Double(day.touched) / usual)) }
            }
        }
        for (slot, actor) in actors.enumerated() {
            let name = context.name(slot)
            for (index, day) in actor.history.enumerated() where day.buyers >= rules.baselineFloor {
                var reasons: [String] = []
                let prior = actor.history[..<index].filter { $0.day >= day.day - rules.baselineDays }
                if prior.count >= max(1, rules.baselineMinimumDays) {
                    let counts = prior.map { Double($0.buyers) }
                    let mean = counts.reduce(0, +) / Double(counts.count)
                    let deviation = (counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(counts.count)).squareRoot()
                    // The season: the largest surge among the others that day.
                    let season = max(1, surges[day.day, default: []].filter { $0.actor != slot }.map(\.ratio).max() ?? 1)
                    let limit = (mean + rules.baselineSigmas * max(deviation, 1)) * season
                    if Double(day.buyers) > limit {
                        reasons.append("\(day.buyers) buyers read without an explanation (or at night) against a usual \(Int(mean.rounded())) ± \(Int(deviation.rounded())) over the previous \(prior.count) working days")
                    }
                }
                if day.role >= 0 {
                    var peers = byRoleDay["\(day.role)|\(day.day)", default: []]
                    if let mine = peers.firstIndex(of: day.buyers) { peers.remove(at: mine) }
                    if peers.count >= max(1, rules.peerMinimum) {
                        let median = Double(peers.sorted()[peers.count / 2])
                        if Double(day.buyers) > max(1, median) * rules.peerFactor {
                            reasons.append("\(day.buyers) such buyers while other \(context.symbols[day.role]) staff read a median of \(Int(median))")
                        }
                    }
                }
                if !reasons.isEmpty {
                    context.add(.baseline, .medium, name, day.reads, "\(name) had an unusual day: \(reasons.joined(separator: "; ")).")
                }
            }
        }
    }
}
