import BuyerGuard
import Foundation

/// One rule family of a scan (``DetectionRules/Rule``): fed every event in log order, told when
/// an actor's day closes, and asked at the end for what needs the whole history.
///
/// A rule keeps its own state, reads what the scan made of an event from ``ScannedEvent``, and
/// reports into ``ScanContext/findings``. ``ScanState`` holds one value of each enabled rule's
/// type (no rule runs when it is switched off) and calls them in a fixed order, so a scan gives
/// the same findings in the same order on every run.
protocol ScanRule {
    /// A new actor, at ``ScanContext/actors``' next slot, before its first event.
    mutating func addActor(in context: inout ScanContext)
    /// One event. `event.slot`'s day has already been closed if the event starts a new one.
    mutating func consume(_ event: ScannedEvent, in context: inout ScanContext)
    /// The day the actor at `slot` was on (``ScanContext/ActorDay/day``) is over: report it and
    /// start afresh. Called only for an actor that had a day.
    mutating func closeDay(_ slot: Int, in context: inout ScanContext)
    /// After every day is closed: what needs the whole history.
    mutating func finish(in context: inout ScanContext)
}

extension ScanRule {
    mutating func addActor(in context: inout ScanContext) {}
    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {}
    mutating func finish(in context: inout ScanContext) {}
}

/// What every rule shares: the settings, the symbols, the actors and their open day, and the
/// findings so far (append-only but for a bulk-read burst rewritten as it grows; a live monitor
/// reports the new ones by index).
struct ScanContext {
    let rules: DetectionRules
    let symbols: AuditSymbolTable
    var findings: [Finding] = []
    /// Every actor seen, by slot.
    var actors: [ActorDay] = []
    /// The first entry's time.
    var firstMillis: Int64?

    /// An actor and the day it is on.
    struct ActorDay {
        let name: Int32
        /// The actor's open local day (days since 1970 in the rules' time zone), `Int.min` before its first event.
        var day = Int.min
        /// The open day's requests and messages.
        var counts = AccessActivity.Counts()
    }

    /// The actor's name.
    func name(_ slot: Int) -> String { symbols[actors[slot].name] }

    /// Reports a finding over a tally's entries.
    mutating func add(_ rule: DetectionRules.Rule, _ severity: Severity, _ actor: String, _ tally: Tally, _ explanation: String) {
        add(rule, severity, actor, from: tally.from, to: tally.to, evidence: tally.evidence(symbols), explanation)
    }

    /// Reports a finding from `from` to `to` (milliseconds).
    mutating func add(_ rule: DetectionRules.Rule, _ severity: Severity, _ actor: String, from: Int64, to: Int64, evidence: Evidence,
                      _ explanation: String) {
        findings.append(Finding(rule: rule.rawValue, severity: severity, actor: actor, from: Self.date(from), to: Self.date(to),
                                evidence: evidence, explanation: explanation))
    }

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }

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
}

/// An event as the rules see it: the entry, and what the scan judged of it once for all rules.
struct ScannedEvent {
    enum Kind {
        /// A broker decision (``AuditEntry/accessKind``).
        case access
        /// ``AuditEventKind/messageSent``.
        case messageSent
        /// Any other event (order events, imports, maintenance, ...).
        case other
    }

    /// Where a granted read stands against the order's retention end.
    enum Retention {
        case inside
        /// Within ``DetectionRules/staleWithinDays`` of it.
        case near
        case past
    }

    let event: AuditEvent
    let kind: Kind
    /// The actor's slot in ``ScanContext/actors``.
    let slot: Int
    /// The local day and hour (the rules' time zone).
    let day: Int
    let hour: Int
    /// Outside ``DetectionRules/businessHours``.
    let offHours: Bool
    /// The fields a granted access released, as bits of ``ContactField/index``.
    var released: UInt32 = 0
    /// A granted access about a buyer.
    var isRead = false
    /// A read the order's state does not call for (the broker's explanation where the entry has one).
    var unexplained = false
    /// A support read explained by its case (the shop records its cases).
    var caseExplained = false
    /// A read for a message kind outside `send`, the only channel that delivers messages.
    var messageTaken = false
    /// A refusal for the purpose itself (prohibited or unrecognized).
    var refusedPurpose = false
    /// A refusal for the order's state or because nothing explained it (see ``ScanState``).
    var refusedAsUnexplained = false
    /// Of those, for an order past its retention end (retention ended, purged).
    var refusedPastRetention = false
    /// A granted read's place against the retention end.
    var retention = Retention.inside

    /// Counted by the window and volume rules: a read nothing explains or made at night (granted,
    /// or refused for the order's state). Explained work in any volume is not.
    var counted: Bool {
        event.buyer >= 0 && (isRead ? unexplained || offHours || messageTaken : refusedAsUnexplained)
    }

    /// Past the retention end: a granted read, or a refusal for it.
    var pastRetention: Bool { refusedPastRetention || (isRead && retention == .past) }

    static func bit(_ field: ContactField) -> UInt32 { 1 << UInt32(field.index) }
}
