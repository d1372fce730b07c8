import BuyerGuard

/// `unexplained-access`: reads the order's state does not call for (granted, or refused for the
/// state), by day, by severity of their number and share; support case ids used for many buyers,
/// or used once each and never answered; and slow patterns, per actor and seller-wide, adding up
/// over weeks under each day's thresholds.
struct UnexplainedAccessRule: ScanRule {
    private struct Actor {
        var day = Tally(countingOrders: true)
        var dayPast = Tally(countingOrders: true)
        /// Each day's unexplained and past-retention orders, when the day was not high on its own
        /// (days with none left out).
        var slow: [(day: Int, tally: Tally)] = []
        /// The requests of every day that was not high on its own, summed from the first: what
        /// the slow patterns' shares are of.
        var requests = RunningTotal()
    }

    private let support: Int32
    private var actors: [Actor] = []
    private var cases: [Int32: SupportCase] = [:]
    /// (actor slot, order) pairs with a message sent: a support case that was answered.
    private var answered = Set<Int64>()

    init(symbols: AuditSymbolTable) {
        support = symbols.intern(Purpose.Family.customerSupport.rawValue)
    }

    mutating func addActor(in context: inout ScanContext) { actors.append(Actor()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event, slot = scanned.slot
        if scanned.kind == .messageSent {
            if event.order >= 0 { answered.insert(Int64(slot) << 32 | Int64(event.order)) }
            return
        }
        if scanned.isRead, event.purpose == support, event.caseID >= 0 {
            cases[event.caseID, default: SupportCase(actor: slot, day: scanned.day)].add(event, by: slot, limit: context.rules.caseMaxBuyers + 1)
        }
        if scanned.pastRetention {
            actors[slot].dayPast.add(event)
        }
        if scanned.isRead ? scanned.unexplained : scanned.refusedAsUnexplained && !scanned.refusedPastRetention {
            actors[slot].day.add(event)
        }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        let tally = actors[slot].day, past = actors[slot].dayPast
        actors[slot].day = Tally(countingOrders: true)
        actors[slot].dayPast = Tally(countingOrders: true)
        let requests = context.actors[slot].counts.requests
        let severity = severity(tally, requests: requests, rules: context.rules)
        if let severity {
            let name = context.name(slot)
            let share = Self.share(tally.count, of: requests)
            let of = share >= 0.995 ? "all of their requests" : "\(Self.percent(share)) of their requests"
            context.add(.unexplainedAccess, severity, name, tally,
                        "\(name) read or asked for \(ScanContext.orders(tally)) whose state does not call for it (shipping data long after delivery, "
                        + "messages no order event asked for, support cases nobody opened): \(of) that day.")
        }
        // What the slow-pattern rules add up: the day's unexplained and past-retention orders, unless
        // the day was high on its own.
        guard severity != .high else { return }
        actors[slot].requests.add(requests, on: context.actors[slot].day)
        guard tally.count + past.count > 0 else { return }
        var slow = Tally(countingOrders: true)
        slow.merge(tally)
        slow.merge(past)
        actors[slot].slow.append((context.actors[slot].day, slow))
    }

    mutating func finish(in context: inout ScanContext) {
        supportCases(in: &context)
        slowPatterns(in: &context)
    }

    /// The severity of an actor's day of unexplained orders: by how many, and by their share of
    /// the day's requests; `nil` for none.
    private func severity(_ tally: Tally, requests: Int, rules: DetectionRules) -> Severity? {
        guard tally.count > 0 else { return nil }
        let orders = tally.distinctOrders
        if orders >= rules.unexplainedHighCount { return .high }
        guard orders >= rules.unexplainedMediumCount else { return .low }
        return Double(tally.count) >= rules.unexplainedHighShare * Double(max(1, requests)) ? .high : .medium
    }

    /// Support case ids used for many buyers, or used once each, many a day.
    private mutating func supportCases(in context: inout ScanContext) {
        let rules = context.rules, symbols = context.symbols
        var singleUse: [String: (slot: Int, tally: Tally)] = [:]
        for (caseID, supportCase) in cases.sorted(by: { Tally.precedes($0.value.reads, $1.value.reads) }) {
            if supportCase.buyers.count > rules.caseMaxBuyers {
                // Named after whoever read most of the other buyers (a case's own buyer is the one its
                // first read was about), then most reads; the others are in the sentence.
                let readers = supportCase.readers.enumerated()
                    .sorted { ($0.element.others, $0.element.reads, -$0.offset) > ($1.element.others, $1.element.reads, -$1.offset) }.map(\.element)
                let name = context.name(readers[0].slot)
                let by = readers.count == 1 ? "by \(name)"
                    : "by " + readers.map { "\(context.name($0.slot)) (\(ScanContext.count($0.reads, "read")))" }.joined(separator: ", ")
                context.add(.unexplainedAccess, .medium, name, supportCase.reads,
                            "Support case \(symbols[caseID]) was used \(by) to read more than \(rules.caseMaxBuyers) different buyers; a case concerns one buyer.")
            } else if supportCase.reads.count == 1, !answered.contains(Int64(supportCase.actor) << 32 | Int64(supportCase.firstOrder)) {
                singleUse["\(supportCase.actor)|\(supportCase.day)", default: (supportCase.actor, Tally())].tally.merge(supportCase.reads)
            }
        }
        for (_, value) in singleUse.sorted(by: { Tally.precedes($0.value.tally, $1.value.tally) }) where value.tally.count >= rules.singleUseCasesPerDay {
            let name = context.name(value.slot)
            context.add(.unexplainedAccess, .high, name, value.tally,
                        "\(name) read \(value.tally.count) buyers in a day under support case ids used once and never answered: cases that may not exist.")
        }
    }

    /// Slow patterns: an actor's unexplained (or past-retention) orders adding up over weeks on days
    /// that were not high on their own, to a share of the actor's requests in those weeks; and the
    /// same spread over several accounts. Each is one finding covering every window over its
    /// thresholds.
    private mutating func slowPatterns(in context: inout ScanContext) {
        let rules = context.rules
        var ownHigh = Set<Int>()
        for (slot, actor) in actors.enumerated() {
            let days = actor.slow
            var covered = Set<Int>()
            var peak: (orders: Int, requests: Int)?
            var start = 0
            var total = 0
            for end in days.indices {
                total += days[end].tally.distinctOrders
                while days[end].day - days[start].day >= rules.slowDays {
                    total -= days[start].tally.distinctOrders
                    start += 1
                }
                guard end - start + 1 >= rules.slowMinimumDays, total >= rules.slowMediumCount else { continue }
                let requests = actor.requests.between(days[start].day, days[end].day)
                guard Double(total) >= rules.slowShare * Double(requests) else { continue }
                if total > peak?.orders ?? -1 { peak = (total, requests) }
                covered.formUnion(start...end)
            }
            guard let peak else { continue }
            var tally = Tally(countingOrders: true)
            for index in covered.sorted() { tally.merge(days[index].tally) }
            let severity: Severity = peak.orders >= rules.slowHighCount ? .high : .medium
            if severity == .high { ownHigh.insert(slot) }
            let name = context.name(slot)
            context.add(.unexplainedAccess, severity, name, tally,
                        "\(name) read or asked for \(ScanContext.orders(tally)) that nothing in their state explains on \(covered.count) different days, "
                        + "up to \(peak.orders) within \(rules.slowDays) days (\(Self.percent(Self.share(peak.orders, of: peak.requests))) of their requests): "
                        + "a slow pattern under each day's thresholds.")
        }
        sellerWide(excluding: ownHigh, in: &context)
    }

    /// Several accounts' unexplained orders, each below its own thresholds, adding up within
    /// ``DetectionRules/sellerWideDays`` to a share of their requests: one pattern split across
    /// accounts.
    private func sellerWide(excluding ownHigh: Set<Int>, in context: inout ScanContext) {
        let rules = context.rules
        var byDay: [Int: [(slot: Int, tally: Tally)]] = [:]
        for (slot, actor) in actors.enumerated() where !ownHigh.contains(slot) {
            for day in actor.slow { byDay[day.day, default: []].append((slot, day.tally)) }
        }
        let days = byDay.keys.sorted()
        var coveredDays = Set<Int>()
        var contributors = Set<Int>()
        var peak: (orders: Int, requests: Int)?
        var start = 0
        for end in days.indices {
            while days[end] - days[start] >= rules.sellerWideDays { start += 1 }
            var perActor: [Int: Int] = [:]
            for day in days[start...end] { for (slot, tally) in byDay[day]! { perActor[slot, default: 0] += tally.distinctOrders } }
            let counted = perActor.filter { $0.value >= rules.sellerWideActorMinimum }
            let total = counted.values.reduce(0, +)
            guard counted.count >= rules.sellerWideActors, total >= rules.sellerWideCount else { continue }
            let requests = counted.keys.reduce(0) { $0 + actors[$1].requests.between(days[start], days[end]) }
            guard Double(total) >= rules.sellerWideShare * Double(requests) else { continue }
            if total > peak?.orders ?? -1 { peak = (total, requests) }
            contributors.formUnion(counted.keys)
            coveredDays.formUnion(days[start...end])
        }
        guard let peak else { return }
        var tally = Tally(countingOrders: true)
        var perActor: [Int: Int] = [:]
        for day in coveredDays.sorted() {
            for (slot, dayTally) in byDay[day]! where contributors.contains(slot) {
                tally.merge(dayTally)
                perActor[slot, default: 0] += dayTally.distinctOrders
            }
        }
        // Named after the largest share; every account is in the sentence.
        let ranked = perActor.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }
        let names = ranked.map { "\(context.name($0.key)) (\($0.value))" }.joined(separator: ", ")
        context.add(.unexplainedAccess, .high, context.name(ranked[0].key), tally,
                    "\(ranked.count) accounts together read or asked for \(ScanContext.orders(tally)) that nothing in their state explains, "
                    + "up to \(peak.orders) within \(rules.sellerWideDays) days (\(Self.percent(Self.share(peak.orders, of: peak.requests))) of their requests), "
                    + "each below its own thresholds: \(names).")
    }

    private static func share(_ part: Int, of whole: Int) -> Double { Double(part) / Double(max(1, whole)) }

    private static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}

/// A running sum of a count per day, days ascending: the sum over any range of days.
struct RunningTotal {
    private var days: [Int] = []
    private var sums: [Int] = []

    mutating func add(_ count: Int, on day: Int) {
        days.append(day)
        sums.append((sums.last ?? 0) + count)
    }

    /// The sum over the days from `first` to `last`, both included.
    func between(_ first: Int, _ last: Int) -> Int {
        total(through: last) - total(through: first - 1)
    }

    /// The sum over the days up to `day`, included.
    private func total(through day: Int) -> Int {
        // The number of days at or before `day`: a binary search.
        var low = 0, high = days.count
        while low < high {
            let middle = (low + high) / 2
            if days[middle] <= day { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : sums[low - 1]
    }
}

/// The reads under one support case id.
struct SupportCase {
    /// The first reader (of a case read once, the only one).
    let actor: Int
    let day: Int
    var buyers: [Int32] = []
    var reads = Tally()
    var firstOrder: Int32 = -1
    /// Who read under the case, in order of first read, how often, and how often of another
    /// buyer than the first read's.
    var readers: [(slot: Int, reads: Int, others: Int)] = []
    var firstBuyer: Int32 = -1

    init(actor: Int, day: Int) {
        self.actor = actor
        self.day = day
    }

    mutating func add(_ event: AuditEvent, by slot: Int, limit: Int) {
        if reads.count == 0 {
            firstOrder = event.order
            firstBuyer = event.buyer
        }
        reads.add(event)
        if buyers.count < limit, !buyers.contains(event.buyer) { buyers.append(event.buyer) }
        let other = event.buyer != firstBuyer ? 1 : 0
        if let index = readers.firstIndex(where: { $0.slot == slot }) {
            readers[index].reads += 1
            readers[index].others += other
        } else {
            readers.append((slot, 1, other))
        }
    }
}
