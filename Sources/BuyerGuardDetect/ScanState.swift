import BuyerGuard
import Foundation

/// The running state of one scan: every rule, fed one event at a time.
///
/// Rules that look at a moment (canary, probing, bulk windows, walks, first-time behaviour, the
/// clock) report as the event arrives. Rules that look at a day (denied purposes, harvesting,
/// unexplained and stale reads, off-hours, the busiest hour) report when the actor's day closes.
/// Rules that need everything (baselines, peers, support cases, the seller's daily volume) report
/// in ``finish()``.
struct ScanState {
    let rules: DetectionRules
    let symbols: AuditSymbolTable
    var findings: [Finding] = []

    private var actorSlots: [Int32: Int] = [:]
    private var actors: [ActorState] = []
    private var cases: [Int32: SupportCase] = [:]
    /// (actor slot, order) pairs with a message sent: a support case that was answered.
    private var answered = Set<Int64>()
    /// Distinct orders read by anyone, per day (the seller's volume).
    private var dayOrders: [Int: Int] = [:]
    private var currentDay = Int.min
    private var currentDayOrders = Set<Int32>()
    /// Finished days' volumes, sorted, and the window threshold they give (see ``DetectionRules/bulkPaceFactor``).
    private var finishedVolumes: [Int] = []
    private var bulkThreshold: Int
    private var lastMillis = Int64.min
    private var previousMillis = Int64.min
    private var firstMillis: Int64?
    private var canaries: Set<Int32>
    private let learningMillis: Int64
    private var localTime: LocalTime

    // Symbols compared on every event.
    private let access, messageSent, shipping, messaging, support: Int32
    private let unshipped, pending, shipped, delivered, returned, refunded, cancelled: Int32
    private let orderUnavailable, shipmentDelay, returnConfirmation, refundConfirmation: Int32
    private let prohibited, unrecognized, retentionEnded, purged, shippingWindowClosed: Int32
    private let unexplainedCode, caseOpened, messagingChannel, orderCancelled, unexplainedLimit, unexplainedMessageKind: Int32
    /// Whether the shop records its support cases (a `case-opened` was seen): from then on the
    /// broker's explanation of a support read is trusted, before it every one would be unexplained.
    private var casesRecorded = false
    private var fieldMasks: [Int32: UInt32] = [:]
    private static let emailBit = bit(.buyerEmail)
    private let maintenanceKinds: Set<Int32>

    // The per-actor, per-day picture (``AccessActivity``), in symbols until the end.
    private var activityDays: [(actor: Int32, day: Int, counts: AccessActivity.Counts)] = []
    private var denialReasons: [Int32: Int] = [:]
    private var grantedPurposes: [Int32: Int] = [:]
    private var maintenance: [Int64] = []

    init(rules: DetectionRules, symbols: AuditSymbolTable) {
        self.rules = rules
        self.symbols = symbols
        func s(_ text: String) -> Int32 { symbols.intern(text) }
        typealias Reason = AccessBroker.DenialReason
        access = s(AuditEntry.accessKind); messageSent = s(AuditEventKind.messageSent.rawValue)
        shipping = s(Purpose.Family.shipping.rawValue); messaging = s(Purpose.Family.orderMessaging.rawValue)
        support = s(Purpose.Family.customerSupport.rawValue)
        unshipped = s(OrderStatus.unshipped.rawValue); pending = s(OrderStatus.pending.rawValue); shipped = s(OrderStatus.shipped.rawValue)
        delivered = s(OrderStatus.delivered.rawValue); returned = s(OrderStatus.returned.rawValue)
        refunded = s(OrderStatus.refunded.rawValue); cancelled = s(OrderStatus.cancelled.rawValue)
        orderUnavailable = s(MessageKind.orderUnavailable.rawValue); shipmentDelay = s(MessageKind.shipmentDelay.rawValue)
        returnConfirmation = s(MessageKind.returnConfirmation.rawValue); refundConfirmation = s(MessageKind.refundConfirmation.rawValue)
        unexplainedCode = s(AccessExplanation.unexplained.rawValue); caseOpened = s(AuditEventKind.caseOpened.rawValue)
        messagingChannel = s(AccessChannel.messaging.rawValue)
        prohibited = s(Reason.purposeProhibited.rawValue); unrecognized = s(Reason.purposeUnrecognized.rawValue)
        retentionEnded = s(Reason.retentionEnded.rawValue); purged = s(Reason.purged.rawValue)
        shippingWindowClosed = s(Reason.shippingWindowClosed.rawValue); orderCancelled = s(Reason.orderCancelled.rawValue)
        unexplainedLimit = s(Reason.unexplainedLimit.rawValue); unexplainedMessageKind = s(Reason.unexplainedMessageKind.rawValue)
        canaries = Set(rules.canaryOrders.map { symbols.intern($0) })
        learningMillis = Int64(rules.learningDays) * 86_400_000
        localTime = LocalTime(rules: rules)
        bulkThreshold = rules.bulkDistinctBuyers
        maintenanceKinds = Set(AccessActivity.maintenanceKinds.map { symbols.intern($0.rawValue) })
    }

    /// The newest entry's time.
    var lastTime: Date? { lastMillis == .min ? nil : Self.date(lastMillis) }
    /// The first entry's time.
    var firstTime: Date? { firstMillis.map(Self.date) }
    /// Entries consumed.
    private(set) var entries = 0

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }

    // MARK: Consuming

    mutating func consume(_ event: AuditEvent) {
        // Against the entry just before: one clock step back is one finding, however many entries follow it.
        if previousMillis != .min, event.timeMillis < previousMillis - Int64(rules.clockToleranceSeconds * 1000), rules.isEnabled(.logIntegrity) {
            let back = Double(previousMillis - event.timeMillis) / 1000
            findings.append(Finding(
                rule: DetectionRules.Rule.logIntegrity.rawValue, severity: .critical, actor: symbols[event.actor],
                from: Self.date(event.timeMillis), to: Self.date(previousMillis),
                evidence: Evidence(sequences: [event.sequence - 1, event.sequence], count: 1, orders: []),
                explanation: "The clock went backwards by \(String(format: "%.0f", back)) s at entry \(event.sequence): entries written with a wrong clock, or moved."))
        }
        previousMillis = event.timeMillis
        lastMillis = max(lastMillis, event.timeMillis)
        entries += 1
        if firstMillis == nil { firstMillis = event.timeMillis }

        // Local day and hour by arithmetic: a calendar per entry was a large share of a scan. The
        // offset is looked up again only when a daylight-saving change is passed.
        let seconds = Int(event.timeMillis >= 0 ? event.timeMillis / 1000 : (event.timeMillis - 999) / 1000)
            + localTime.offsetSeconds(atMillis: event.timeMillis)
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let hour = (seconds - day * 86_400) / 3600
        if day != currentDay {
            if currentDay != .min { finishDay() }
            currentDay = day
            currentDayOrders.removeAll(keepingCapacity: true)
        }

        let slot = self.slot(for: event.actor)
        if actors[slot].day != day { closeDay(slot, next: day) }
        if event.kind == messageSent {
            actors[slot].dayMessages += 1
            actors[slot].dayCounts.messagesSent += 1
            if event.order >= 0 {
                answered.insert(Int64(slot) << 32 | Int64(event.order))
                // The email read `send` made for this message is the message's, not one more read.
                if let index = actors[slot].sendReads.firstIndex(where: { $0.order == event.order }) { actors[slot].sendReads.remove(at: index) }
            }
            return
        }
        if event.kind == caseOpened { casesRecorded = true }
        guard event.kind == access else {
            // Order events (shipped, delivered, ...) measure the seller's volume for the baselines.
            if event.order >= 0 { actors[slot].dayTouched.insert(event.order) }
            if maintenanceKinds.contains(event.kind) { maintenance.append(event.sequence) }
            if event.decision == .denied {  // an operation refused before it ran (actor-refused)
                actors[slot].dayCounts.denied += 1
                denialReasons[event.reason, default: 0] += 1
            }
            return
        }
        switch event.decision {
        case .granted:
            actors[slot].dayCounts.granted += 1
            grantedPurposes[event.purpose, default: 0] += 1
        case .denied:
            actors[slot].dayCounts.denied += 1
            denialReasons[event.reason, default: 0] += 1
        case .failed:
            actors[slot].dayCounts.failed += 1
        case .event:
            break
        }
        if event.role >= 0 { actors[slot].role = event.role }

        if event.order >= 0, canaries.contains(event.order), rules.isEnabled(.canary) {
            findings.append(Finding(
                rule: DetectionRules.Rule.canary.rawValue, severity: .critical, actor: symbols[event.actor],
                from: Self.date(event.timeMillis), to: Self.date(event.timeMillis),
                evidence: Evidence(sequences: [event.sequence], count: 1, orders: [symbols[event.order]]),
                explanation: "\(symbols[event.actor]) \(event.decision == .granted ? "read" : "asked for") canary order \(symbols[event.order]), a decoy no legitimate work ever needs."))
        }
        let released = event.decision == .granted ? fieldMask(event.fieldsReleased) : 0
        firstTime(event, slot: slot, released: released)

        if event.decision == .denied {
            denied(event, slot: slot, hour: hour)
            // Refused for the order's state, or as unexplained: the same pattern as a granted read nothing explains.
            if event.buyer >= 0, refusedAsUnexplained(event.reason) { volume(event, slot: slot, hour: hour) }
            return
        }
        guard event.decision == .granted, event.buyer >= 0 else { return }
        if event.order >= 0 {
            currentDayOrders.insert(event.order)
            actors[slot].dayTouched.insert(event.order)
        }
        read(event, slot: slot, hour: hour, released: released)
    }

    /// Records the seller's volume of the day that just ended. A big shop's label printer works
    /// through its day at a pace a small shop's sweep would not reach: the window threshold is at
    /// least the rule's number, and at least ``DetectionRules/bulkPaceFactor`` times the pace of the
    /// median day so far spread over 8 hours. Only finished days count, so it is the same live.
    private mutating func finishDay() {
        let volume = currentDayOrders.count
        dayOrders[currentDay] = volume
        finishedVolumes.insert(volume, at: finishedVolumes.firstIndex { $0 > volume } ?? finishedVolumes.count)
        let median = Double(finishedVolumes[finishedVolumes.count / 2])
        bulkThreshold = max(rules.bulkDistinctBuyers, Int(rules.bulkPaceFactor * median * rules.bulkWindow / (8 * 3600)))
    }

    private mutating func slot(for actor: Int32) -> Int {
        if let slot = actorSlots[actor] { return slot }
        actorSlots[actor] = actors.count
        actors.append(ActorState(name: actor, probingWindow: rules.probingWindow, bulkWindow: rules.bulkWindow))
        return actors.count - 1
    }

    private mutating func denied(_ event: AuditEvent, slot: Int, hour: Int) {
        // Asking at night is night work too, whether or not the broker said yes.
        if !rules.businessHours.contains(hour) {
            actors[slot].dayOffHours.add(event)
            actors[slot].dayOffHoursRefused += 1
        }
        if event.reason == prohibited || event.reason == unrecognized {
            actors[slot].dayDenied[event.purpose, default: Tally()].add(event)
        } else if refusedAsUnexplained(event.reason) {
            // Past retention is stale data; the rest of the order's state is unexplained.
            if event.reason == retentionEnded || event.reason == purged {
                actors[slot].dayStalePast.add(event)
            } else {
                actors[slot].dayUnexplained.add(event)
            }
        }
        // Mutated in place: a copy would duplicate the window's arrays on every entry.
        actors[slot].denials.add(event, key: -1)
        let window = actors[slot].denials
        if rules.isEnabled(.probing), window.count >= rules.probingDenials,
           Self.firstReport(&actors[slot].probingReported, at: event.timeMillis, window: rules.probingWindow) {
            findings.append(Finding(
                rule: DetectionRules.Rule.probing.rawValue, severity: .high, actor: symbols[event.actor],
                from: Self.date(window.oldest), to: Self.date(event.timeMillis), evidence: window.evidence(symbols),
                explanation: "\(symbols[event.actor]) was refused \(window.count) times within \(Self.minutes(rules.probingWindow)): someone trying what is allowed."))
        }
    }

    /// Whether a refusal was for the order's state (shipping window closed, cancelled, retention
    /// ended, purged) or because nothing explained the read (the policy's limit on unexplained
    /// reads, an unexplained message kind of a service account), rather than for the request.
    private func refusedAsUnexplained(_ reason: Int32) -> Bool {
        reason == shippingWindowClosed || reason == orderCancelled || reason == retentionEnded || reason == purged
            || reason == unexplainedLimit || reason == unexplainedMessageKind
    }

    private mutating func read(_ event: AuditEvent, slot: Int, hour: Int, released: UInt32) {
        // Unexplained by the order's state: the broker's explanation, where the entry has one (a
        // support read only once the shop records its cases); else judged here from the entry.
        let unexplained: Bool
        var caseExplained = false
        if event.explanation >= 0 {
            unexplained = event.explanation == unexplainedCode && (event.purpose != support || casesRecorded)
            caseExplained = event.purpose == support && casesRecorded && event.explanation != unexplainedCode
        } else if event.purpose == shipping {
            unexplained = event.daysSinceDelivery >= rules.shippingDaysAfterDelivery
        } else if event.purpose == messaging {
            let status = event.orderStatus
            unexplained = switch event.messageKind {
            case orderUnavailable, shipmentDelay: status == shipped || status == delivered || status == returned || status == refunded
            case returnConfirmation: status != returned && status != refunded
            case refundConfirmation: status != refunded
            default: false
            }
        } else {
            unexplained = false  // support: judged as whole cases at the end
        }
        if event.purpose == support, event.caseID >= 0 {
            cases[event.caseID, default: SupportCase(actor: slot, day: actors[slot].day)].add(event, by: slot, limit: rules.caseMaxBuyers + 1)
        }
        if unexplained {
            actors[slot].dayUnexplained.add(event)
            actors[slot].dayCounts.unexplained += 1
        }
        // A message kind explains the message, which only `send` (the messaging channel) delivers:
        // an email taken for a message kind anywhere else is counted like an unexplained one.
        let offHours = !rules.businessHours.contains(hour)
        let messageTaken = event.purpose == messaging && event.channel != messagingChannel
        if unexplained || offHours || messageTaken { volume(event, slot: slot, hour: hour) }

        // Emails: the read `send` makes for its message waits for the message (see `messageSent`);
        // a support case's own conversation is explained by the case.
        if released & Self.emailBit != 0, !caseExplained {
            if event.channel == messagingChannel {
                actors[slot].sendReads.append((event.order, event.timeMillis, event.sequence))
                // A read no message follows stays a read: only the few in flight wait.
                if actors[slot].sendReads.count > ActorState.sendsInFlight { actors[slot].flushSendReads(keeping: ActorState.sendsInFlight) }
            } else {
                actors[slot].dayEmails.add(event)
            }
        }

        // Near or past the retention end.
        let remaining = event.daysSinceDelivery >= 0
            ? rules.retentionDaysAfterDelivery - Int(event.daysSinceDelivery)
            : event.daysSincePurchase >= 0 ? rules.retentionDaysWithoutDelivery - Int(event.daysSincePurchase) : Int.max
        if remaining < 0 {
            actors[slot].dayStalePast.add(event)
        } else if remaining <= rules.staleWithinDays {
            actors[slot].dayStaleNear.add(event)
        }

        if !rules.businessHours.contains(hour) { actors[slot].dayOffHours.add(event) }
    }

    /// The window rules, on an access nothing explains or made outside business hours (granted, or
    /// refused for the order's state): distinct buyers in a sliding window, walks through the order
    /// list, and the day's and the hour's distinct buyers for the baselines and sweeps. Explained
    /// work in any volume (a morning label batch of 600 orders awaiting shipment) is not counted.
    private mutating func volume(_ event: AuditEvent, slot: Int, hour: Int) {
        // Bulk reads: a burst goes on while the window stays over the threshold with no gap longer
        // than the window; its finding covers all of it.
        actors[slot].reads.add(event, key: event.buyer)
        let window = actors[slot].reads
        if rules.isEnabled(.bulkRead) {
            let windowMillis = Int64(rules.bulkWindow * 1000)
            if actors[slot].bulkBurst != nil, event.timeMillis - actors[slot].bulkReported > windowMillis { closeBurst(slot) }
            actors[slot].bulkBurst?.add(event, inWindow: window.distinctKeys)
            if window.distinctKeys >= bulkThreshold,
               Self.firstReport(&actors[slot].bulkReported, at: event.timeMillis, window: rules.bulkWindow) {
                let name = symbols[event.actor]
                actors[slot].bulkBurst = BulkBurst(finding: findings.count, window: window)
                findings.append(Finding(
                    rule: DetectionRules.Rule.bulkRead.rawValue, severity: .high, actor: name,
                    from: Self.date(window.oldest), to: Self.date(event.timeMillis), evidence: window.evidence(symbols),
                    explanation: "\(name) read \(window.distinctKeys) different buyers within \(Self.minutes(rules.bulkWindow)) that nothing called for (no order state, case or message, or at night), more than day-to-day work needs."))
            }
        }
        walk(event, slot: slot)

        if actors[slot].dayBuyers.insert(event.buyer).inserted { actors[slot].dayReads.add(event) }
        if actors[slot].hour != hour {
            actors[slot].closeHour()
            actors[slot].hour = hour
        }
        if actors[slot].hourBuyers.insert(event.buyer).inserted { actors[slot].hourReads.add(event) }
    }

    /// Rewrites a bulk-read finding to cover its whole burst, once the burst is over (or the scan
    /// ends): an export of 857 buyers in 15 minutes is one finding that says so, not "25 buyers
    /// within 5 minutes". A live monitor has already reported the finding as it began.
    private mutating func closeBurst(_ slot: Int) {
        guard let burst = actors[slot].bulkBurst else { return }
        actors[slot].bulkBurst = nil
        guard burst.grew else { return }
        let name = symbols[actors[slot].name]
        let span = Double(burst.tally.to - burst.tally.from) / 1000
        findings[burst.finding].to = Self.date(burst.tally.to)
        findings[burst.finding].evidence = burst.tally.evidence(symbols)
        findings[burst.finding].explanation = "\(name) read \(burst.buyers.count) different buyers in \(Self.minutes(max(span, 1))) "
            + "(up to \(burst.peak) within any \(Self.minutes(rules.bulkWindow))) that nothing called for (no order state, case or message, or at night), more than day-to-day work needs."
    }

    /// Reads that walk the order list: distinct orders in increasing order-id order.
    private mutating func walk(_ event: AuditEvent, slot: Int) {
        guard event.order >= 0, event.order != actors[slot].lastOrder else { return }
        let previous = actors[slot].lastOrder
        actors[slot].lastOrder = event.order
        if previous >= 0, symbols.precedes(previous, event.order) {
            actors[slot].run.add(event)
        } else {
            actors[slot].run = Tally()
            actors[slot].run.add(event)
            actors[slot].runReported = false
        }
        let run = actors[slot].run
        if rules.isEnabled(.bulkRead), run.count >= rules.sequentialRun, !actors[slot].runReported {
            actors[slot].runReported = true
            let name = symbols[event.actor]
            findings.append(Finding(
                rule: DetectionRules.Rule.bulkRead.rawValue, severity: .medium, actor: name,
                from: Self.date(run.from), to: Self.date(run.to), evidence: run.evidence(symbols),
                explanation: "\(name) read \(run.count) orders one after another in order-id order: a walk through the order list, not work on particular orders."))
        }
    }

    /// A new actor, channel or field, once the learning days are over.
    private mutating func firstTime(_ event: AuditEvent, slot: Int, released mask: UInt32) {
        let learning = event.timeMillis - (firstMillis ?? event.timeMillis) < learningMillis
        var news: [String] = []
        if !actors[slot].seen {
            actors[slot].seen = true
            if !learning { news.append("first appearance of this actor") }
        } else {
            if event.channel >= 0, !actors[slot].channels.contains(event.channel), !learning {
                news.append("first use of the \(symbols[event.channel]) channel")
            }
            let newFields = mask & ~actors[slot].fields
            if newFields != 0, !learning {
                news.append("first read of \(ContactField.allCases.filter { newFields & Self.bit($0) != 0 }.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if event.channel >= 0 { actors[slot].channels.insert(event.channel) }
        actors[slot].fields |= mask
        guard !news.isEmpty, rules.isEnabled(.firstTime) else { return }
        let name = symbols[event.actor]
        findings.append(Finding(
            rule: DetectionRules.Rule.firstTime.rawValue, severity: .low, actor: name,
            from: Self.date(event.timeMillis), to: Self.date(event.timeMillis),
            evidence: Evidence(sequences: [event.sequence], count: 1, orders: event.order >= 0 ? [symbols[event.order]] : []),
            explanation: "\(name): \(news.joined(separator: "; ")) (\(event.decision == .granted ? "granted" : event.decision.rawValue)); check that it was expected."))
    }

    private static func bit(_ field: ContactField) -> UInt32 { 1 << UInt32(field.index) }

    /// The released fields of a list symbol as a bit mask (computed once per distinct list).
    private mutating func fieldMask(_ list: Int32) -> UInt32 {
        guard list >= 0 else { return 0 }
        if let mask = fieldMasks[list] { return mask }
        var mask: UInt32 = 0
        for name in symbols[list].split(separator: ",") {
            if let field = ContactField(rawValue: String(name)) { mask |= Self.bit(field) }
        }
        fieldMasks[list] = mask
        return mask
    }

    /// Whether a windowed rule whose threshold is met at `time` starts a new burst, to be reported:
    /// a burst goes on while the threshold keeps being met with no gap longer than the window, so
    /// one sweep is one finding however long it lasts.
    static func firstReport(_ last: inout Int64, at time: Int64, window: TimeInterval) -> Bool {
        defer { last = time }
        return last == .min || time - last > Int64(window * 1000)
    }

    /// "1 message", "3 messages".
    static func count(_ number: Int, _ noun: String, plural: String? = nil) -> String {
        number == 1 ? "1 \(noun)" : "\(number) \(plural ?? noun + "s")"
    }

    /// "2 orders", and "2 orders (5 entries)" when some order was read more than once.
    static func orders(_ tally: Tally) -> String {
        let orders = count(tally.distinctOrders, "order")
        return tally.count == tally.distinctOrders ? orders : "\(orders) (\(count(tally.count, "entry", plural: "entries")))"
    }

    static func minutes(_ seconds: TimeInterval) -> String {
        seconds < 120 ? "\(Int(seconds)) seconds" : "\(Int(seconds / 60)) minutes"
    }

    // MARK: Days

    /// Reports the day an actor just finished and starts the next.
    private mutating func closeDay(_ slot: Int, next: Int) {
        defer { actors[slot].startDay(next) }
        guard actors[slot].day != .min else { return }
        actors[slot].closeHour()
        actors[slot].flushSendReads(keeping: 0)
        let state = actors[slot]
        let name = symbols[state.name]

        for (purpose, tally) in state.dayDenied.sorted(by: { Tally.precedes($0.value, $1.value) }) where rules.isEnabled(.deniedPurpose) {
            let purposeName = purpose >= 0 ? symbols[purpose] : "an unnamed purpose"
            let times = tally.count == 1 ? "" : " \(tally.count) times"
            add(.deniedPurpose, rules.severePurposes.contains(purposeName) ? .high : .medium, name, tally,
                "\(name) asked for buyer data for \(purposeName)\(times), which the marketplace forbids; it was refused.")
        }
        let emails = state.dayEmails
        if rules.isEnabled(.emailHarvesting), emails.count >= rules.harvestMinimumEmails,
           Double(state.dayMessages) < Double(emails.count) * rules.harvestMessageRatio {
            add(.emailHarvesting, .high, name, emails,
                "\(name) read \(emails.count) buyer emails in a day but sent \(Self.count(state.dayMessages, "message")): emails collected, not used for orders.")
        }
        let unexplainedSeverity = unexplainedSeverity(state)
        if rules.isEnabled(.unexplainedAccess), let severity = unexplainedSeverity {
            let tally = state.dayUnexplained
            let share = Double(tally.count) / Double(max(1, state.dayCounts.requests))
            let of = share >= 0.995 ? "all of their requests" : "\(Int((share * 100).rounded()))% of their requests"
            add(.unexplainedAccess, severity, name, tally,
                "\(name) read or asked for \(Self.orders(tally)) whose state does not call for it (shipping data long after delivery, "
                + "messages no order event asked for, support cases nobody opened): \(of) that day.")
        }
        if rules.isEnabled(.staleData) {
            if state.dayStalePast.count > 0 {
                add(.staleData, .medium, name, state.dayStalePast,
                    "\(name) read or asked for \(Self.orders(state.dayStalePast)) past their retention end, data that should no longer be used.")
            }
            if state.dayStaleNear.count > 0 {
                add(.staleData, .low, name, state.dayStaleNear,
                    "\(name) read \(Self.orders(state.dayStaleNear)) within \(rules.staleWithinDays) days of their retention end.")
            }
        }
        if rules.isEnabled(.offHours), state.dayOffHours.count > 0 {
            let refused = state.dayOffHoursRefused
            let what = refused == 0 ? "read buyer data \(Self.count(state.dayOffHours.count, "time"))"
                : refused == state.dayOffHours.count ? "asked for buyer data \(Self.count(refused, "time")), refused each time,"
                : "read or asked for buyer data \(Self.count(state.dayOffHours.count, "time")) (\(refused) refused)"
            add(.offHours, .low, name, state.dayOffHours,
                "\(name) \(what) outside business hours (\(rules.businessHours.lowerBound):00-\(rules.businessHours.upperBound):00).")
        }
        // What the slow-pattern rules add up: the day's unexplained and past-retention orders, unless
        // the day was high on its own.
        var slow = Tally(countingOrders: true)
        if unexplainedSeverity != .high {
            slow.merge(state.dayUnexplained)
            slow.merge(state.dayStalePast)
        }
        actors[slot].history.append(DaySummary(
            day: state.day, buyers: state.dayBuyers.count, touched: state.dayTouched.count, role: state.role,
            reads: state.dayReads, busiestHour: state.busiestHour, unexplained: slow))
        if state.dayCounts.requests + state.dayCounts.messagesSent > 0 {
            activityDays.append((state.name, state.day, state.dayCounts))
        }
    }

    /// The severity of an actor's day of unexplained orders: by how many, and by their share of
    /// the day's requests; `nil` for none.
    private func unexplainedSeverity(_ state: ActorState) -> Severity? {
        let tally = state.dayUnexplained
        guard tally.count > 0 else { return nil }
        let orders = tally.distinctOrders
        if orders >= rules.unexplainedHighCount { return .high }
        guard orders >= rules.unexplainedMediumCount else { return .low }
        return Double(tally.count) >= rules.unexplainedHighShare * Double(max(1, state.dayCounts.requests)) ? .high : .medium
    }

    fileprivate mutating func add(_ rule: DetectionRules.Rule, _ severity: Severity, _ actor: String, _ tally: Tally, _ explanation: String) {
        findings.append(Finding(rule: rule.rawValue, severity: severity, actor: actor, from: Self.date(tally.from), to: Self.date(tally.to),
                                evidence: tally.evidence(symbols), explanation: explanation))
    }

    // MARK: Finishing

    /// Closes every open day and runs the rules that need the whole history (on a copy: the
    /// state itself can go on consuming).
    func finish() -> [Finding] {
        finished().findings
    }

    /// ``finish()``, with the per-actor, per-day picture of everything consumed.
    func finished() -> (findings: [Finding], activity: AccessActivity) {
        var copy = self
        if copy.currentDay != .min { copy.dayOrders[copy.currentDay] = copy.currentDayOrders.count }
        for slot in copy.actors.indices where copy.actors[slot].day != .min { copy.closeDay(slot, next: .min) }
        for slot in copy.actors.indices { copy.closeBurst(slot) }
        copy.hourlySweeps()
        copy.baselines()
        copy.supportCases()
        copy.slowPatterns()
        return (copy.findings, copy.activity())
    }

    private func activity() -> AccessActivity {
        var activity = AccessActivity()
        func name(_ symbol: Int32) -> String { symbol >= 0 ? symbols[symbol] : "-" }
        // One entry per actor and day, even when an actor's entries stepped back across midnight.
        var merged: [String: AccessActivity.ActorDay] = [:]
        for (actor, day, counts) in activityDays {
            merged["\(day)|\(actor)", default: AccessActivity.ActorDay(actor: name(actor), day: day, counts: AccessActivity.Counts())]
                .counts.add(counts)
        }
        activity.days = merged.values.sorted { ($0.day, $0.actor) < ($1.day, $1.actor) }
        for (reason, count) in denialReasons { activity.denialsByReason[name(reason), default: 0] += count }
        for (purpose, count) in grantedPurposes { activity.grantsByPurpose[name(purpose), default: 0] += count }
        activity.maintenance = maintenance
        return activity
    }

    /// More distinct buyers in one hour than the seller's usual day of orders.
    private mutating func hourlySweeps() {
        guard rules.isEnabled(.bulkRead), !dayOrders.isEmpty else { return }
        let volumes = dayOrders.values.sorted()
        let usualDay = Double(volumes[volumes.count / 2])
        let threshold = max(Double(rules.bulkDistinctBuyers), usualDay * rules.hourlyShareOfDailyOrders)
        for actor in actors {
            let name = symbols[actor.name]
            for day in actor.history where Double(day.busiestHour.count) > threshold {
                let hour = (Self.date(day.busiestHour.from), Self.date(day.busiestHour.to))
                let covered = findings.contains {
                    $0.rule == DetectionRules.Rule.bulkRead.rawValue && $0.actor == name && $0.from <= hour.1 && $0.to >= hour.0
                }
                if covered { continue }  // the sweep is already reported, with its window
                add(.bulkRead, .high, name, day.busiestHour,
                    "\(name) read \(day.busiestHour.count) different buyers in one hour without an explanation (or at night); the seller's usual day has about \(Int(usualDay)) orders.")
            }
        }
    }

    /// Days far above the actor's own history, or far above peers with the same role.
    private mutating func baselines() {
        guard rules.isEnabled(.baseline) else { return }
        // How far each actor's orders (reads and order events) rose above their own usual, per day:
        // a holiday raises them for the warehouse and the printer alike, one actor's excess only for one.
        var surges: [Int: [(actor: Int32, ratio: Double)]] = [:]
        var byRoleDay: [String: [Int]] = [:]
        for actor in actors {
            for (index, day) in actor.history.enumerated() {
                if day.role >= 0 { byRoleDay["\(day.role)|\(day.day)", default: []].append(day.buyers) }
                let prior = actor.history[..<index].filter { $0.day >= day.day - rules.baselineDays }
                guard prior.count >= max(1, rules.baselineMinimumDays) else { continue }
                let usual = Double(prior.map(\.touched).reduce(0, +)) / Double(prior.count)
                if usual >= 10 { surges[day.day, default: []].append((actor.name, Double(day.touched) / usual)) }
            }
        }
        for actor in actors {
            let name = symbols[actor.name]
            for (index, day) in actor.history.enumerated() where day.buyers >= rules.baselineFloor {
                var reasons: [String] = []
                let prior = actor.history[..<index].filter { $0.day >= day.day - rules.baselineDays }
                if prior.count >= max(1, rules.baselineMinimumDays) {
                    let counts = prior.map { Double($0.buyers) }
                    let mean = counts.reduce(0, +) / Double(counts.count)
                    let deviation = (counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(counts.count)).squareRoot()
                    // The season: the largest surge among the others that day.
                    let season = max(1, surges[day.day, default: []].filter { $0.actor != actor.name }.map(\.ratio).max() ?? 1)
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
                            reasons.append("\(day.buyers) such buyers while other \(symbols[day.role]) staff read a median of \(Int(median))")
                        }
                    }
                }
                if !reasons.isEmpty {
                    add(.baseline, .medium, name, day.reads, "\(name) had an unusual day: \(reasons.joined(separator: "; ")).")
                }
            }
        }
    }

    /// Support case ids used for many buyers, or used once each, many a day.
    private mutating func supportCases() {
        guard rules.isEnabled(.unexplainedAccess) else { return }
        var singleUse: [String: (slot: Int, tally: Tally)] = [:]
        for (caseID, supportCase) in cases.sorted(by: { Tally.precedes($0.value.reads, $1.value.reads) }) {
            if supportCase.buyers.count > rules.caseMaxBuyers {
                // Named after whoever read most of the other buyers (a case's own buyer is the one its
                // first read was about), then most reads; the others are in the sentence.
                let readers = supportCase.readers.enumerated()
                    .sorted { ($0.element.others, $0.element.reads, -$0.offset) > ($1.element.others, $1.element.reads, -$1.offset) }.map(\.element)
                let name = symbols[actors[readers[0].slot].name]
                let by = readers.count == 1 ? "by \(name)"
                    : "by " + readers.map { "\(symbols[actors[$0.slot].name]) (\(Self.count($0.reads, "read")))" }.joined(separator: ", ")
                add(.unexplainedAccess, .medium, name, supportCase.reads,
                    "Support case \(symbols[caseID]) was used \(by) to read more than \(rules.caseMaxBuyers) different buyers; a case concerns one buyer.")
            } else if supportCase.reads.count == 1, !answered.contains(Int64(supportCase.actor) << 32 | Int64(supportCase.firstOrder)) {
                singleUse["\(supportCase.actor)|\(supportCase.day)", default: (supportCase.actor, Tally())].tally.merge(supportCase.reads)
            }
        }
        for (_, value) in singleUse.sorted(by: { Tally.precedes($0.value.tally, $1.value.tally) }) where value.tally.count >= rules.singleUseCasesPerDay {
            let name = symbols[actors[value.slot].name]
            add(.unexplainedAccess, .high, name, value.tally,
                "\(name) read \(value.tally.count) buyers in a day under support case ids used once and never answered: cases that may not exist.")
        }
    }
}

extension ScanState {
    /// Slow patterns: an actor's unexplained (or past-retention) orders adding up over weeks on days
    /// that were not high on their own; and the same spread over several accounts. Each is one
    /// finding covering every window over its threshold.
    fileprivate mutating func slowPatterns() {
        guard rules.isEnabled(.unexplainedAccess) else { return }
        var ownHigh = Set<Int>()
        for (slot, actor) in actors.enumerated() {
            let days = actor.history.filter { $0.unexplained.count > 0 }
            var covered = Set<Int>()
            var peak = 0
            var start = 0
            var total = 0
            for end in days.indices {
                total += days[end].unexplained.distinctOrders
                while days[end].day - days[start].day >= rules.slowDays {
                    total -= days[start].unexplained.distinctOrders
                    start += 1
                }
                guard end - start + 1 >= rules.slowMinimumDays, total >= rules.slowMediumCount else { continue }
                peak = max(peak, total)
                covered.formUnion(start...end)
            }
            guard !covered.isEmpty else { continue }
            var tally = Tally(countingOrders: true)
            for index in covered.sorted() { tally.merge(days[index].unexplained) }
            let severity: Severity = peak >= rules.slowHighCount ? .high : .medium
            if severity == .high { ownHigh.insert(slot) }
            let name = symbols[actor.name]
            add(.unexplainedAccess, severity, name, tally,
                "\(name) read or asked for \(Self.orders(tally)) that nothing in their state explains on \(covered.count) different days, "
                + "up to \(peak) within \(rules.slowDays) days: a slow pattern under each day's thresholds.")
        }
        sellerWide(excluding: ownHigh)
    }

    /// Several accounts' unexplained orders, each below its own thresholds, adding up within
    /// ``DetectionRules/sellerWideDays``: one pattern split across accounts.
    private mutating func sellerWide(excluding ownHigh: Set<Int>) {
        var byDay: [Int: [(slot: Int, tally: Tally)]] = [:]
        for (slot, actor) in actors.enumerated() where !ownHigh.contains(slot) {
            for day in actor.history where day.unexplained.count > 0 { byDay[day.day, default: []].append((slot, day.unexplained)) }
        }
        let days = byDay.keys.sorted()
        var coveredDays = Set<Int>()
        var contributors = Set<Int>()
        var peak = 0
        var start = 0
        for end in days.indices {
            while days[end] - days[start] >= rules.sellerWideDays { start += 1 }
            var perActor: [Int: Int] = [:]
            for day in days[start...end] { for (slot, tally) in byDay[day]! { perActor[slot, default: 0] += tally.distinctOrders } }
            let counted = perActor.filter { $0.value >= rules.sellerWideActorMinimum }
            let total = counted.values.reduce(0, +)
            guard counted.count >= rules.sellerWideActors, total >= rules.sellerWideCount else { continue }
            peak = max(peak, total)
            contributors.formUnion(counted.keys)
            coveredDays.formUnion(days[start...end])
        }
        guard !contributors.isEmpty else { return }
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
        let names = ranked.map { "\(symbols[actors[$0.key].name]) (\($0.value))" }.joined(separator: ", ")
        add(.unexplainedAccess, .high, symbols[actors[ranked[0].key].name], tally,
            "\(ranked.count) accounts together read or asked for \(Self.orders(tally)) that nothing in their state explains, "
            + "up to \(peak) within \(rules.sellerWideDays) days, each below its own thresholds: \(names).")
    }
}

/// One actor's running state.
struct ActorState {
    let name: Int32
    var role: Int32 = -1
    var seen = false
    var channels = Set<Int32>()
    var fields: UInt32 = 0
    var denials: SlidingWindow
    var reads: SlidingWindow
    var probingReported = Int64.min
    var bulkReported = Int64.min
    /// The bulk-read burst being reported, until a gap longer than the window ends it.
    var bulkBurst: BulkBurst?
    var lastOrder: Int32 = -1
    var run = Tally()
    var runReported = false

    var day = Int.min
    var dayBuyers = Set<Int32>()
    var dayTouched = Set<Int32>()
    var dayReads = Tally()
    var dayEmails = Tally()
    var dayMessages = 0
    var dayDenied: [Int32: Tally] = [:]
    var dayUnexplained = Tally(countingOrders: true)
    var dayStaleNear = Tally(countingOrders: true)
    var dayStalePast = Tally(countingOrders: true)
    var dayOffHours = Tally()
    /// Of ``dayOffHours``, the requests the broker refused.
    var dayOffHoursRefused = 0
    var hour = Int.min
    var hourBuyers = Set<Int32>()
    var hourReads = Tally()
    var busiestHour = Tally()
    var history: [DaySummary] = []
    var dayCounts = AccessActivity.Counts()
    /// Email reads on the messaging channel (`send`'s own) waiting for their `message-sent`.
    var sendReads: [(order: Int32, time: Int64, sequence: Int64)] = []
    /// How many of ``sendReads`` may wait at once (messages in flight).
    static let sendsInFlight = 32

    /// Counts the send reads beyond the newest `keeping` as email reads: no message came for them.
    mutating func flushSendReads(keeping: Int) {
        guard sendReads.count > keeping else { return }
        for read in sendReads.prefix(sendReads.count - keeping) { dayEmails.add(time: read.time, sequence: read.sequence, order: read.order) }
        sendReads.removeFirst(sendReads.count - keeping)
    }

    init(name: Int32, probingWindow: TimeInterval, bulkWindow: TimeInterval) {
        self.name = name
        denials = SlidingWindow(length: probingWindow)
        reads = SlidingWindow(length: bulkWindow)
    }

    mutating func closeHour() {
        if hourReads.count > busiestHour.count { busiestHour = hourReads }
        hourBuyers.removeAll(keepingCapacity: true)
        hourReads = Tally()
        hour = .min
    }

    mutating func startDay(_ next: Int) {
        day = next
        dayBuyers.removeAll(keepingCapacity: true)
        dayTouched.removeAll(keepingCapacity: true)
        dayReads = Tally()
        dayEmails = Tally()
        dayMessages = 0
        dayDenied.removeAll()
        dayUnexplained = Tally(countingOrders: true)
        dayStaleNear = Tally(countingOrders: true)
        dayStalePast = Tally(countingOrders: true)
        dayOffHours = Tally()
        dayOffHoursRefused = 0
        busiestHour = Tally()
        dayCounts = AccessActivity.Counts()
    }
}

/// ``DetectionRules/utcOffsetSeconds(at:)``, cached until the time zone's next transition (for
/// ever with a fixed offset).
struct LocalTime {
    private let rules: DetectionRules
    private var offset = 0
    private var validFrom = Int64.max
    private var validUntil = Int64.min

    init(rules: DetectionRules) { self.rules = rules }

    mutating func offsetSeconds(atMillis millis: Int64) -> Int {
        if millis >= validFrom, millis < validUntil { return offset }
        let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
        offset = rules.utcOffsetSeconds(at: date)
        guard let zone = rules.timeZone else {
            (validFrom, validUntil) = (.min, .max)
            return offset
        }
        validFrom = millis
        validUntil = zone.nextDaylightSavingTimeTransition(after: date).map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) } ?? .max
        return offset
    }
}

/// What the baselines keep of a finished day.
struct DaySummary {
    var day: Int
    var buyers: Int
    /// Distinct orders read or given an event (shipped, delivered, ...).
    var touched: Int
    var role: Int32
    var reads: Tally
    var busiestHour: Tally
    /// The day's unexplained and past-retention orders, when the day was not high on its own.
    var unexplained: Tally
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

/// A count of entries with their time span and the first 50 sequences and distinct orders.
struct Tally {
    var count = 0
    var from = Int64.max
    var to = Int64.min
    var sequences: [Int64] = []
    var orders: [Int32] = []
    /// Every distinct order, for the rules whose sentence says "N orders" (`nil`: not counted).
    private var orderSet: Set<Int32>?

    init(countingOrders: Bool = false) {
        if countingOrders { orderSet = [] }
    }

    /// Oldest first, then by first entry: an order of tallies that does not depend on where they
    /// were kept (dictionaries iterate in a different order on each run).
    static func precedes(_ a: Tally, _ b: Tally) -> Bool {
        (a.from, a.sequences.first ?? .max) < (b.from, b.sequences.first ?? .max)
    }

    /// Distinct orders among the entries (all of them when counted, else at most 50).
    var distinctOrders: Int { orderSet?.count ?? orders.count }

    mutating func add(_ event: AuditEvent) {
        add(time: event.timeMillis, sequence: event.sequence, order: event.order)
    }

    /// Adds one entry by its time, sequence and order (-1 for none).
    mutating func add(time: Int64, sequence: Int64, order: Int32) {
        count += 1
        from = min(from, time)
        to = max(to, time)
        if sequences.count < 50 { sequences.append(sequence) }
        if order >= 0 {
            if orders.count < 50, !orders.contains(order) { orders.append(order) }
            orderSet?.insert(order)
        }
    }

    /// Adds another tally's entries; the evidence keeps the lowest sequences and orders of both,
    /// so the result does not depend on the order of merging.
    mutating func merge(_ other: Tally) {
        count += other.count
        from = min(from, other.from)
        to = max(to, other.to)
        sequences = Array((sequences + other.sequences).sorted().prefix(50))
        for order in other.orders where !orders.contains(order) { orders.append(order) }
        orders = Array(orders.sorted().prefix(50))
        if let theirs = other.orderSet { orderSet = (orderSet ?? Set(orders)).union(theirs) }
    }

    func evidence(_ symbols: AuditSymbolTable) -> Evidence {
        Evidence(sequences: sequences, count: count, orders: orders.map { symbols[$0] }.sorted())
    }
}

/// The entries of the last `length` seconds, oldest first, with a count per key (buyer): adding
/// and expiring are amortised O(1), so a scan stays linear however dense the traffic.
struct SlidingWindow {
    let lengthMillis: Int64
    private var times: [Int64] = []
    private var keys: [Int32] = []
    private var sequences: [Int64] = []
    private var orders: [Int32] = []
    private var head = 0
    private var keyCounts: [Int32: Int] = [:]

    init(length: TimeInterval) { lengthMillis = Int64(length * 1000) }

    var count: Int { times.count - head }
    var distinctKeys: Int { keyCounts.count }
    var oldest: Int64 { times[head] }

    mutating func add(_ event: AuditEvent, key: Int32) {
        while head < times.count, event.timeMillis - times[head] > lengthMillis {
            let old = keys[head]
            if keyCounts[old] == 1 { keyCounts[old] = nil } else { keyCounts[old]! -= 1 }
            head += 1
        }
        if head > 4096, head * 2 > times.count {  // compact now and then
            times.removeFirst(head); keys.removeFirst(head); sequences.removeFirst(head); orders.removeFirst(head)
            head = 0
        }
        times.append(event.timeMillis); keys.append(key); sequences.append(event.sequence); orders.append(event.order)
        keyCounts[key, default: 0] += 1
    }

    /// The distinct keys (buyers) in the window.
    var distinctKeySet: Set<Int32> { Set(keyCounts.keys) }

    /// The window's entries as a tally (its first 50 sequences and orders).
    var tally: Tally {
        var tally = Tally()
        for index in head..<times.count { tally.add(time: times[index], sequence: sequences[index], order: orders[index]) }
        return tally
    }

    /// The first 50 entries in the window, their count and their orders.
    func evidence(_ symbols: AuditSymbolTable) -> Evidence {
        let range = head..<min(times.count, head + 50)
        return Evidence(sequences: Array(sequences[range]), count: count,
                        orders: Array(Set(orders[range].filter { $0 >= 0 }.map { symbols[$0] })).sorted())
    }
}
