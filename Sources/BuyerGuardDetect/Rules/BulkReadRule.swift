import BuyerGuard

/// `bulk-read`: many distinct buyers read within a sliding window (one finding per burst,
/// covering all of it), walks through the order list, and hours with more buyers than the
/// seller's usual day. Counts only reads nothing explains or made at night
/// (``ScannedEvent/counted``): a morning label batch of 600 orders awaiting shipment is work.
struct BulkReadRule: ScanRule {
    private struct Actor {
        var reads: SlidingWindow
        var reported = Int64.min
        /// The burst being reported, until a gap longer than the window ends it.
        var burst: BulkBurst?
        var lastOrder: Int32 = -1
        var run = Tally()
        var runReported = false
        var hour = Int.min
        var hourBuyers = Set<Int32>()
        var hourReads = Tally()
        var busiestHour = Tally()
        /// Each closed day's busiest hour.
        var busiestHours: [Tally] = []

        mutating func closeHour() {
            if hourReads.count > busiestHour.count { busiestHour = hourReads }
            hourBuyers.removeAll(keepingCapacity: true)
            hourReads = Tally()
            hour = .min
        }
    }

    private var actors: [Actor] = []
    /// Distinct orders read by anyone, per day (the seller's volume).
    private var dayOrders: [Int: Int] = [:]
    private var currentDay = Int.min
    private var currentDayOrders = Set<Int32>()
    /// Finished days' volumes, sorted, and the window threshold they give (see ``DetectionRules/bulkPaceFactor``).
    private var finishedVolumes: [Int] = []
    private var threshold: Int

    init(rules: DetectionRules) {
        threshold = rules.bulkDistinctBuyers
    }

    mutating func addActor(in context: inout ScanContext) {
        actors.append(Actor(reads: SlidingWindow(length: context.rules.bulkWindow)))
    }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event
        if scanned.day != currentDay {
            if currentDay != .min { finishSellerDay(context.rules) }
            currentDay = scanned.day
            currentDayOrders.removeAll(keepingCapacity: true)
        }
        if scanned.isRead, event.order >= 0 { currentDayOrders.insert(event.order) }
        guard scanned.counted else { return }
        let slot = scanned.slot

        // A burst goes on while the window stays over the threshold with no gap longer than the
        // window; its finding covers all of it.
        actors[slot].reads.add(event, key: event.buyer)
        let windowMillis = Int64(context.rules.bulkWindow * 1000)
        if actors[slot].burst != nil, event.timeMillis - actors[slot].reported > windowMillis { closeBurst(slot, in: &context) }
        let distinct = actors[slot].reads.distinctKeys
        actors[slot].burst?.add(event, inWindow: distinct)
        if distinct >= threshold, ScanContext.firstReport(&actors[slot].reported, at: event.timeMillis, window: context.rules.bulkWindow) {
            let window = actors[slot].reads
            let name = context.symbols[event.actor]
            actors[slot].burst = BulkBurst(finding: context.findings.count, window: window)
            context.add(.bulkRead, .high, name, from: window.oldest, to: event.timeMillis, evidence: window.evidence(context.symbols),
                        "\(name) read \(distinct) different buyers within \(ScanContext.minutes(context.rules.bulkWindow)) that nothing called for (no order state, case or message, or at night), more than day-to-day work needs.")
        }
        walk(event, slot: slot, in: &context)

        if actors[slot].hour != scanned.hour {
            actors[slot].closeHour()
            actors[slot].hour = scanned.hour
        }
        if actors[slot].hourBuyers.insert(event.buyer).inserted { actors[slot].hourReads.add(event) }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        actors[slot].closeHour()
        actors[slot].busiestHours.append(actors[slot].busiestHour)
        actors[slot].busiestHour = Tally()
    }

    mutating func finish(in context: inout ScanContext) {
        if currentDay != .min { dayOrders[currentDay] = currentDayOrders.count }
        for slot in actors.indices { closeBurst(slot, in: &context) }
        hourlySweeps(in: &context)
    }

    /// Records the seller's volume of the day that just ended. A big shop's label printer works
    /// through its day at a pace a small shop's sweep would not reach: the window threshold is at
    /// least the rule's number, and at least ``DetectionRules/bulkPaceFactor`` times the pace of the
    /// median day so far spread over 8 hours. Only finished days count, so it is the same live.
    private mutating func finishSellerDay(_ rules: DetectionRules) {
        let volume = currentDayOrders.count
        dayOrders[currentDay] = volume
        finishedVolumes.insert(volume, at: finishedVolumes.firstIndex { $0 > volume } ?? finishedVolumes.count)
        let median = Double(finishedVolumes[finishedVolumes.count / 2])
        threshold = max(rules.bulkDistinctBuyers, Int(rules.bulkPaceFactor * median * rules.bulkWindow / (8 * 3600)))
    }

    /// Rewrites a bulk-read finding to cover its whole burst, once the burst is over (or the scan
    /// ends): an export of 857 buyers in 15 minutes is one finding that says so, not "25 buyers
    /// within 5 minutes". A live monitor has already reported the finding as it began.
    private mutating func closeBurst(_ slot: Int, in context: inout ScanContext) {
        guard let burst = actors[slot].burst else { return }
        actors[slot].burst = nil
        guard burst.grew else { return }
        let name = context.name(slot)
        let span = Double(burst.tally.to - burst.tally.from) / 1000
        context.findings[burst.finding].to = ScanContext.date(burst.tally.to)
        context.findings[burst.finding].evidence = burst.tally.evidence(context.symbols)
        context.findings[burst.finding].explanation = "\(name) read \(burst.buyers.count) different buyers in \(ScanContext.minutes(max(span, 1))) "
            + "(up to \(burst.peak) within any \(ScanContext.minutes(context.rules.bulkWindow))) that nothing called for (no order state, case or message, or at night), more than day-to-day work needs."
    }

    /// Reads that walk the order list: distinct orders in increasing order-id order.
    private mutating func walk(_ event: AuditEvent, slot: Int, in context: inout ScanContext) {
        guard event.order >= 0, event.order != actors[slot].lastOrder else { return }
        let previous = actors[slot].lastOrder
        actors[slot].lastOrder = event.order
        if previous >= 0, context.symbols.precedes(previous, event.order) {
            actors[slot].run.add(event)
        } else {
            actors[slot].run = Tally()
            actors[slot].run.add(event)
            actors[slot].runReported = false
        }
        guard actors[slot].run.count >= context.rules.sequentialRun, !actors[slot].runReported else { return }
        actors[slot].runReported = true
        let run = actors[slot].run
        let name = context.symbols[event.actor]
        context.add(.bulkRead, .medium, name, run,
                    "\(name) read \(run.count) orders one after another in order-id order: a walk through the order list, not work on particular orders.")
    }

    /// More distinct buyers in one hour than the seller's usual day of orders.
    private mutating func hourlySweeps(in context: inout ScanContext) {
        guard !dayOrders.isEmpty else { return }
        let volumes = dayOrders.values.sorted()
        let usualDay = Double(volumes[volumes.count / 2])
        let threshold = max(Double(context.rules.bulkDistinctBuyers), usualDay * context.rules.hourlyShareOfDailyOrders)
        for (slot, actor) in actors.enumerated() {
            let name = context.name(slot)
            for hour in actor.busiestHours where Double(hour.count) > threshold {
                let span = (ScanContext.date(hour.from), ScanContext.date(hour.to))
                let covered = context.findings.contains {
                    $0.rule == DetectionRules.Rule.bulkRead.rawValue && $0.actor == name && $0.from <= span.1 && $0.to >= span.0
                }
                if covered { continue }  // the sweep is already reported, with its window
                context.add(.bulkRead, .high, name, hour,
                            "\(name) read \(hour.count) different buyers in one hour without an explanation (or at night); the seller's usual day has about \(Int(usualDay)) orders.")
            }
        }
    }
}

/// One actor's bulk-read burst: its finding, and everything read since the window began.
struct BulkBurst {
    let finding: Int
    var buyers: Set<Int32>
    var tally: Tally
    /// The most distinct buyers the window held at once.
    var peak: Int
    private(set) var grew = false

    init(finding: Int, window: SlidingWindow) {
        self.finding = finding
        buyers = window.distinctKeySet
        tally = window.tally
        peak = window.distinctKeys
    }

    mutating func add(_ event: AuditEvent, inWindow distinct: Int) {
        grew = true
        buyers.insert(event.buyer)
        tally.add(event)
        peak = max(peak, distinct)
    }
}
