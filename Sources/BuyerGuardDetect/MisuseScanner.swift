public import BuyerGuard
import Foundation

/// Reads an audit log and reports, with evidence, who used buyer data for something other than
/// shipping, order messaging or support. Usable from apps for live alerts as well as from
/// `buyerguard audit scan`. One pass over the entries; memory grows with actors, not entries.
public struct MisuseScanner: Sendable {
    /// The thresholds.
    public var rules: DetectionRules

    /// A scanner with `rules`.
    public init(rules: DetectionRules = DetectionRules()) {
        self.rules = rules
    }

    /// Scans `log` (optionally a filtered part of it); the log's integrity is checked first and
    /// any problem is reported as a critical `log-integrity` finding, listed first.
    public func scan(_ log: AuditLog, filter: AuditFilter = AuditFilter(), trustedPublicKey: String? = nil) throws -> [Finding] {
        var findings: [Finding] = []
        let verification = try log.verify(trustedPublicKey: trustedPublicKey)
        for problem in verification.problems {
            findings.append(Finding(
                rule: "log-integrity", severity: .critical, actor: "-", from: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 0),
                evidence: Evidence(sequences: [problem.sequence], count: 1, orders: []),
                explanation: "The audit log was tampered with: \(problem.message) (entry \(problem.sequence))."))
        }
        var state = ScanState(rules: rules)
        try log.forEachEntry(matching: filter) { state.consume($0) }
        findings += state.finish()
        return findings.sorted { ($0.severity, $1.from) > ($1.severity, $0.from) }
    }
}

/// The running state of one scan.
struct ScanState {
    let rules: DetectionRules
    var findings: [Finding] = []

    /// Recent denials per actor, oldest first.
    var denials: [String: SlidingWindow] = [:]
    var probingReported: [String: Date] = [:]
    /// Recent granted reads per actor, oldest first, with a count per buyer.
    var reads: [String: SlidingWindow] = [:]
    var bulkReported: [String: Date] = [:]
    /// Per actor and day: emails read (sequences) and messages sent.
    var emailReads: [String: (count: Int, sequences: [Int64])] = [:]
    var emailOrders: [String: Set<String>] = [:]
    var messagesSent: [String: Int] = [:]
    var dayBounds: [String: (Date, Date)] = [:]
    var offHours: [String: (Date, Date, [Int64], Int)] = [:]

    init(rules: DetectionRules) { self.rules = rules }

    mutating func consume(_ entry: AuditEntry) {
        // UTC day and hour by arithmetic: a formatter or calendar per entry was a large share of a scan.
        let seconds = Int(entry.time.timeIntervalSince1970.rounded(.down))
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let key = entry.actor + "|" + String(day)
        if entry.kind == "message-sent" { messagesSent[key, default: 0] += 1 }
        guard entry.kind == "access" else { return }

        if let order = entry.orderID, rules.canaryOrders.contains(order) {
            findings.append(Finding(
                rule: "canary", severity: .critical, actor: entry.actor, from: entry.time, to: entry.time,
                evidence: Evidence(sequences: [entry.sequence], count: 1, orders: [order]),
                explanation: "\(entry.actor) touched canary order \(order), a decoy no legitimate work ever needs."))
        }

        if entry.decision == .denied {
            if rules.deniedPurposes, ["purpose-prohibited", "purpose-unrecognized"].contains(entry.reason ?? "") {
                let purpose = entry.purpose ?? "?"
                let severe = ["marketing", "export", "promotion", "third-party"].contains(purpose)
                findings.append(Finding(
                    rule: "denied-purpose", severity: severe ? .high : .medium, actor: entry.actor, from: entry.time, to: entry.time,
                    evidence: Evidence(sequences: [entry.sequence], count: 1, orders: entry.orderID.map { [$0] } ?? []),
                    explanation: "\(entry.actor) asked for buyer data for \(purpose), which the marketplace forbids; it was refused."))
            }
            // Mutated in place: a copy would duplicate the window's arrays on every entry.
            denials[entry.actor, default: SlidingWindow(length: rules.probingWindow)]
                .add(time: entry.time, key: "", sequence: entry.sequence, order: entry.orderID)
            let window = denials[entry.actor]!
            if window.count >= rules.probingDenials,
               Self.firstReport(in: &probingReported, actor: entry.actor, at: entry.time, window: rules.probingWindow) {
                findings.append(Finding(
                    rule: "probing", severity: .high, actor: entry.actor, from: window.oldest, to: entry.time,
                    evidence: window.evidence(),
                    explanation: "\(entry.actor) was refused \(window.count) times within \(Int(rules.probingWindow / 60)) minutes: someone trying what is allowed."))
            }
            return
        }
        guard entry.decision == .granted, let buyer = entry.buyer else { return }

        // Bulk reads: distinct buyers in a sliding window.
        reads[entry.actor, default: SlidingWindow(length: rules.bulkWindow)]
            .add(time: entry.time, key: buyer, sequence: entry.sequence, order: entry.orderID)
        let window = reads[entry.actor]!
        if window.distinctKeys >= rules.bulkDistinctBuyers,
           Self.firstReport(in: &bulkReported, actor: entry.actor, at: entry.time, window: rules.bulkWindow) {
            findings.append(Finding(
                rule: "bulk-read", severity: .high, actor: entry.actor, from: window.oldest, to: entry.time,
                evidence: window.evidence(),
                explanation: "\(entry.actor) read \(window.distinctKeys) different buyers within \(Int(rules.bulkWindow / 60)) minutes, more than day-to-day work needs."))
        }

        if entry.fieldsReleased.contains(ContactField.buyerEmail.rawValue) {
            emailReads[key, default: (0, [])].count += 1
            if emailReads[key]!.sequences.count < 50 { emailReads[key]!.sequences.append(entry.sequence) }
            if let order = entry.orderID, emailOrders[key, default: []].count < 50 { emailOrders[key, default: []].insert(order) }
            let bounds = dayBounds[key] ?? (entry.time, entry.time)
            dayBounds[key] = (min(bounds.0, entry.time), max(bounds.1, entry.time))
        }

        if let hours = rules.businessHours {
            let hour = (seconds - day * 86_400) / 3600
            if !hours.contains(hour) {
                let current = offHours[entry.actor] ?? (entry.time, entry.time, [], 0)
                offHours[entry.actor] = (min(current.0, entry.time), max(current.1, entry.time), Array((current.2 + [entry.sequence]).prefix(50)), current.3 + 1)
            }
        }
    }

    /// Whether a windowed rule may report `actor` now: once per window, so one sweep is one finding.
    static func firstReport(in reported: inout [String: Date], actor: String, at time: Date, window: TimeInterval) -> Bool {
        if let last = reported[actor], time.timeIntervalSince(last) <= window { return false }
        reported[actor] = time
        return true
    }

    mutating func finish() -> [Finding] {
        for (key, reads) in emailReads where reads.count >= rules.harvestMinimumEmails {
            let sent = messagesSent[key, default: 0]
            guard Double(sent) < Double(reads.count) * rules.harvestMessageRatio else { continue }
            let actor = String(key.split(separator: "|").first ?? "")
            let bounds = dayBounds[key]!
            findings.append(Finding(
                rule: "email-harvesting", severity: .high, actor: actor, from: bounds.0, to: bounds.1,
                evidence: Evidence(sequences: reads.sequences, count: reads.count,
                                   orders: Array(emailOrders[key, default: []]).sorted()),
                explanation: "\(actor) read \(reads.count) buyer emails in a day but sent \(sent) messages: emails collected, not used for orders."))
        }
        for (actor, value) in offHours {
            findings.append(Finding(
                rule: "off-hours", severity: .low, actor: actor, from: value.0, to: value.1,
                evidence: Evidence(sequences: value.2, count: value.3, orders: []),
                explanation: "\(actor) read buyer data \(value.3) times outside business hours."))
        }
        return findings
    }
}

/// The entries of the last `length` seconds, oldest first, with a count per key (buyer): adding
/// and expiring are amortised O(1), so a scan stays linear however dense the traffic.
struct SlidingWindow {
    let length: TimeInterval
    private var times: [Date] = []
    private var keys: [String] = []
    private var sequences: [Int64] = []
    private var orders: [String?] = []
    private var head = 0
    private var keyCounts: [String: Int] = [:]

    init(length: TimeInterval) { self.length = length }

    var count: Int { times.count - head }
    var distinctKeys: Int { keyCounts.count }
    var oldest: Date { times[head] }

    mutating func add(time: Date, key: String, sequence: Int64, order: String?) {
        while head < times.count, time.timeIntervalSince(times[head]) > length {
            let old = keys[head]
            if keyCounts[old] == 1 { keyCounts[old] = nil } else { keyCounts[old]! -= 1 }
            head += 1
        }
        if head > 4096, head * 2 > times.count {  // compact now and then
            times.removeFirst(head); keys.removeFirst(head); sequences.removeFirst(head); orders.removeFirst(head)
            head = 0
        }
        times.append(time); keys.append(key); sequences.append(sequence); orders.append(order)
        keyCounts[key, default: 0] += 1
    }

    /// The first 50 entries in the window, their count and their orders.
    func evidence() -> Evidence {
        let range = head..<min(times.count, head + 50)
        return Evidence(sequences: Array(sequences[range]), count: count,
                        orders: Array(Set(orders[range].compactMap { $0 })).sorted())
    }
}
