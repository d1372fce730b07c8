import BuyerGuard
import Foundation

/// The running state of one scan: every enabled rule (``ScanRule``), fed one event at a time.
///
/// The state judges each event once for all rules (``ScannedEvent``: its local day and hour, what
/// it released, whether the order's state explains it), keeps the actors' open days and the
/// activity counts, and calls the rules. Rules that look at a moment (canary, probing, bulk
/// windows, walks, first-time behaviour, the clock) report as the event arrives; rules that look
/// at a day (denied purposes, harvesting, unexplained and stale reads, off-hours) when the actor's
/// day closes; rules that need everything (baselines, peers, support cases, slow patterns, the
/// seller's daily volume) in ``finish()``.
struct ScanState {
    private(set) var context: ScanContext
    var rules: DetectionRules { context.rules }
    var symbols: AuditSymbolTable { context.symbols }
    /// The findings so far, in the order they were made.
    var findings: [Finding] { context.findings }

    // The rules, each nil when switched off: concrete types called in a fixed order, so the
    // per-entry path has no dynamic dispatch and a scan's findings come in the same order every run.
    private var logClock: LogClockRule?
    private var canary: CanaryRule?
    private var firstTimeRule: FirstTimeRule?
    private var deniedPurpose: DeniedPurposeRule?
    private var probing: ProbingRule?
    private var bulkRead: BulkReadRule?
    private var emailHarvesting: EmailHarvestingRule?
    private var unexplainedAccess: UnexplainedAccessRule?
    private var staleData: StaleDataRule?
    private var baseline: BaselineRule?
    private var offHours: OffHoursRule?

    private var actorSlots: [Int32: Int] = [:]
    private var lastMillis = Int64.min
    private var localTime: LocalTime
    /// Whether the shop records its support cases (a `case-opened` was seen): from then on the
    /// broker's explanation of a support read is trusted, before it every one would be unexplained.
    private var casesRecorded = false
    private var fieldMasks: [Int32: UInt32] = [:]

    // Symbols compared on every event.
    private let access, messageSent, caseOpened, shipping, messaging, support: Int32
    private let shipped, delivered, returned, refunded: Int32
    private let orderUnavailable, shipmentDelay, returnConfirmation, refundConfirmation: Int32
    private let prohibited, unrecognized, retentionEnded, purged, shippingWindowClosed, orderCancelled: Int32
    private let unexplainedLimit, unexplainedMessageKind, unexplainedCode, messagingChannel: Int32
    private let maintenanceKinds: Set<Int32>

    // The per-actor, per-day picture (``AccessActivity``), in symbols until the end.
    private var activityDays: [(actor: Int32, day: Int, counts: AccessActivity.Counts)] = []
    private var denialReasons: [Int32: Int] = [:]
    private var grantedPurposes: [Int32: Int] = [:]
    private var maintenance: [Int64] = []

    init(rules: DetectionRules, symbols: AuditSymbolTable) {
        context = ScanContext(rules: rules, symbols: symbols)
        func s(_ text: String) -> Int32 { symbols.intern(text) }
        typealias Reason = AccessBroker.DenialReason
        access = s(AuditEntry.accessKind); messageSent = s(AuditEventKind.messageSent.rawValue); caseOpened = s(AuditEventKind.caseOpened.rawValue)
        shipping = s(Purpose.Family.shipping.rawValue); messaging = s(Purpose.Family.orderMessaging.rawValue)
        support = s(Purpose.Family.customerSupport.rawValue)
        shipped = s(OrderStatus.shipped.rawValue); delivered = s(OrderStatus.delivered.rawValue)
        returned = s(OrderStatus.returned.rawValue); refunded = s(OrderStatus.refunded.rawValue)
        orderUnavailable = s(MessageKind.orderUnavailable.rawValue); shipmentDelay = s(MessageKind.shipmentDelay.rawValue)
        returnConfirmation = s(MessageKind.returnConfirmation.rawValue); refundConfirmation = s(MessageKind.refundConfirmation.rawValue)
        prohibited = s(Reason.purposeProhibited.rawValue); unrecognized = s(Reason.purposeUnrecognized.rawValue)
        retentionEnded = s(Reason.retentionEnded.rawValue); purged = s(Reason.purged.rawValue)
        shippingWindowClosed = s(Reason.shippingWindowClosed.rawValue); orderCancelled = s(Reason.orderCancelled.rawValue)
        unexplainedLimit = s(Reason.unexplainedLimit.rawValue); unexplainedMessageKind = s(Reason.unexplainedMessageKind.rawValue)
        unexplainedCode = s(AccessExplanation.unexplained.rawValue); messagingChannel = s(AccessChannel.messaging.rawValue)
        maintenanceKinds = Set(AccessActivity.maintenanceKinds.map { s($0.rawValue) })
        localTime = LocalTime(rules: rules)

        func on(_ rule: DetectionRules.Rule) -> Bool { rules.isEnabled(rule) }
        logClock = on(.logIntegrity) ? LogClockRule() : nil
        canary = on(.canary) ? CanaryRule(rules: rules, symbols: symbols) : nil
        firstTimeRule = on(.firstTime) ? FirstTimeRule(rules: rules) : nil
        deniedPurpose = on(.deniedPurpose) ? DeniedPurposeRule() : nil
        probing = on(.probing) ? ProbingRule() : nil
        bulkRead = on(.bulkRead) ? BulkReadRule(rules: rules) : nil
        emailHarvesting = on(.emailHarvesting) ? EmailHarvestingRule(symbols: symbols) : nil
        unexplainedAccess = on(.unexplainedAccess) ? UnexplainedAccessRule(symbols: symbols) : nil
        staleData = on(.staleData) ? StaleDataRule() : nil
        baseline = on(.baseline) ? BaselineRule() : nil
        offHours = on(.offHours) ? OffHoursRule() : nil
    }

    /// The newest entry's time.
    var lastTime: Date? { lastMillis == .min ? nil : ScanContext.date(lastMillis) }
    /// The first entry's time.
    var firstTime: Date? { context.firstMillis.map(ScanContext.date) }
    /// Entries consumed.
    private(set) var entries = 0

    // MARK: Consuming

    mutating func consume(_ event: AuditEvent) {
        lastMillis = max(lastMillis, event.timeMillis)
        entries += 1
        if context.firstMillis == nil { context.firstMillis = event.timeMillis }

        // Local day and hour by arithmetic: a calendar per entry was a large share of a scan. The
        // offset is looked up again only when a daylight-saving change is passed.
        let seconds = Int(event.timeMillis >= 0 ? event.timeMillis / 1000 : (event.timeMillis - 999) / 1000)
            + localTime.offsetSeconds(atMillis: event.timeMillis)
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let hour = (seconds - day * 86_400) / 3600

        let slot = self.slot(for: event.actor)
        if context.actors[slot].day != day { closeDay(slot, next: day) }
        let kind: ScannedEvent.Kind = event.kind == access ? .access : event.kind == messageSent ? .messageSent : .other
        var scanned = ScannedEvent(event: event, kind: kind, slot: slot, day: day, hour: hour, offHours: !rules.businessHours.contains(hour))
        switch kind {
        case .messageSent:
            context.actors[slot].counts.messagesSent += 1
        case .other:
            if event.kind == caseOpened { casesRecorded = true }
            if maintenanceKinds.contains(event.kind) { maintenance.append(event.sequence) }
            if event.decision == .denied {  // an operation refused before it ran (actor-refused)
                context.actors[slot].counts.denied += 1
                denialReasons[event.reason, default: 0] += 1
            }
        case .access:
            judge(&scanned)
        }

        logClock?.consume(scanned, in: &context)
        canary?.consume(scanned, in: &context)
        firstTimeRule?.consume(scanned, in: &context)
        deniedPurpose?.consume(scanned, in: &context)
        probing?.consume(scanned, in: &context)
        bulkRead?.consume(scanned, in: &context)
        emailHarvesting?.consume(scanned, in: &context)
        unexplainedAccess?.consume(scanned, in: &context)
        staleData?.consume(scanned, in: &context)
        baseline?.consume(scanned, in: &context)
        offHours?.consume(scanned, in: &context)
    }

    /// Counts an access and judges it for the rules: what it released, and whether the order's
    /// state explains it.
    private mutating func judge(_ scanned: inout ScannedEvent) {
        let event = scanned.event
        switch event.decision {
        case .granted:
            context.actors[scanned.slot].counts.granted += 1
            grantedPurposes[event.purpose, default: 0] += 1
            scanned.released = fieldMask(event.fieldsReleased)
        case .denied:
            context.actors[scanned.slot].counts.denied += 1
            denialReasons[event.reason, default: 0] += 1
            let reason = event.reason
            scanned.refusedPurpose = reason == prohibited || reason == unrecognized
            // Refused for the order's state, or as unexplained: the same pattern as a granted read nothing explains.
            scanned.refusedAsUnexplained = reason == shippingWindowClosed || reason == orderCancelled || reason == retentionEnded
                || reason == purged || reason == unexplainedLimit || reason == unexplainedMessageKind
            scanned.refusedPastRetention = reason == retentionEnded || reason == purged
            return
        case .failed:
            context.actors[scanned.slot].counts.failed += 1
            return
        case .event:
            return
        }
        guard event.buyer >= 0 else { return }
        scanned.isRead = true

        // Unexplained by the order's state: the broker's explanation, where the entry has one (a
        // support read only once the shop records its cases); else judged here from the entry.
        if event.explanation >= 0 {
            scanned.unexplained = event.explanation == unexplainedCode && (event.purpose != support || casesRecorded)
            scanned.caseExplained = event.purpose == support && casesRecorded && event.explanation != unexplainedCode
        } else if event.purpose == shipping {
            scanned.unexplained = event.daysSinceDelivery >= rules.shippingDaysAfterDelivery
        } else if event.purpose == messaging {
            let status = event.orderStatus
            scanned.unexplained = switch event.messageKind {
            case orderUnavailable, shipmentDelay: status == shipped || status == delivered || status == returned || status == refunded
            case returnConfirmation: status != returned && status != refunded
            case refundConfirmation: status != refunded
            default: false
            }
        }  // else support: judged as whole cases at the end
        if scanned.unexplained { context.actors[scanned.slot].counts.unexplained += 1 }
        // A message kind explains the message, which only `send` (the messaging channel) delivers:
        // an email taken for a message kind anywhere else is counted like an unexplained one.
        scanned.messageTaken = event.purpose == messaging && event.channel != messagingChannel

        // Near or past the retention end.
        let remaining = event.daysSinceDelivery >= 0
            ? rules.retentionDaysAfterDelivery - Int(event.daysSinceDelivery)
            : event.daysSincePurchase >= 0 ? rules.retentionDaysWithoutDelivery - Int(event.daysSincePurchase) : Int.max
        scanned.retention = remaining < 0 ? .past : remaining <= rules.staleWithinDays ? .near : .inside
    }

    private mutating func slot(for actor: Int32) -> Int {
        if let slot = actorSlots[actor] { return slot }
        actorSlots[actor] = context.actors.count
        logClock?.addActor(in: &context)
        canary?.addActor(in: &context)
        firstTimeRule?.addActor(in: &context)
        deniedPurpose?.addActor(in: &context)
        probing?.addActor(in: &context)
        bulkRead?.addActor(in: &context)
        emailHarvesting?.addActor(in: &context)
        unexplainedAccess?.addActor(in: &context)
        staleData?.addActor(in: &context)
        baseline?.addActor(in: &context)
        offHours?.addActor(in: &context)
        context.actors.append(ScanContext.ActorDay(name: actor))
        return context.actors.count - 1
    }

    /// The released fields of a list symbol as a bit mask (computed once per distinct list).
    private mutating func fieldMask(_ list: Int32) -> UInt32 {
        guard list >= 0 else { return 0 }
        if let mask = fieldMasks[list] { return mask }
        var mask: UInt32 = 0
        for name in symbols[list].split(separator: ",") {
            if let field = ContactField(rawValue: String(name)) { mask |= ScannedEvent.bit(field) }
        }
        fieldMasks[list] = mask
        return mask
    }

    // MARK: Days

    /// Has the rules report the day an actor just finished, and starts the next.
    private mutating func closeDay(_ slot: Int, next: Int) {
        if context.actors[slot].day != .min {
            logClock?.closeDay(slot, in: &context)
            canary?.closeDay(slot, in: &context)
            firstTimeRule?.closeDay(slot, in: &context)
            deniedPurpose?.closeDay(slot, in: &context)
            probing?.closeDay(slot, in: &context)
            bulkRead?.closeDay(slot, in: &context)
            emailHarvesting?.closeDay(slot, in: &context)
            unexplainedAccess?.closeDay(slot, in: &context)
            staleData?.closeDay(slot, in: &context)
            baseline?.closeDay(slot, in: &context)
            offHours?.closeDay(slot, in: &context)
            let actor = context.actors[slot]
            if actor.counts.requests + actor.counts.messagesSent > 0 { activityDays.append((actor.name, actor.day, actor.counts)) }
        }
        context.actors[slot].day = next
        context.actors[slot].counts = AccessActivity.Counts()
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
        for slot in copy.context.actors.indices where copy.context.actors[slot].day != .min { copy.closeDay(slot, next: .min) }
        copy.logClock?.finish(in: &copy.context)
        copy.canary?.finish(in: &copy.context)
        copy.firstTimeRule?.finish(in: &copy.context)
        copy.deniedPurpose?.finish(in: &copy.context)
        copy.probing?.finish(in: &copy.context)
        copy.bulkRead?.finish(in: &copy.context)
        copy.emailHarvesting?.finish(in: &copy.context)
        copy.unexplainedAccess?.finish(in: &copy.context)
        copy.staleData?.finish(in: &copy.context)
        copy.baseline?.finish(in: &copy.context)
        copy.offHours?.finish(in: &copy.context)
        return (copy.context.findings, copy.activity())
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

