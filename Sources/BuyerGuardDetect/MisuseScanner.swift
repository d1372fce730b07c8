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

    /// Recent denials per actor (times and sequences).
    var denials: [String: [(Date, Int64, String?)]] = [:]
    var probingReported: [String: Date] = [:]
    /// Recent granted reads per actor: (time, buyer, sequence, order).
    var reads: [String: [(Date, String, Int64, String?)]] = [:]
    var bulkReported: [String: Date] = [:]
    /// Per actor and day: emails read (sequences) and messages sent.
    var emailReads: [String: [Int64]] = [:]
    var emailOrders: [String: Set<String>] = [:]
    var messagesSent: [String: Int] = [:]
    var dayBounds: [String: (Date, Date)] = [:]
    var offHours: [String: (Date, Date, [Int64], Int)] = [:]

    init(rules: DetectionRules) { self.rules = rules }

    mutating func consume(_ entry: AuditEntry) {
        let day = ISO8601DateFormatter.day.string(from: entry.time)
        let key = entry.actor + "|" + day
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
            var recent = denials[entry.actor, default: []].filter { entry.time.timeIntervalSince($0.0) <= rules.probingWindow }
            recent.append((entry.time, entry.sequence, entry.orderID))
            denials[entry.actor] = recent
            if recent.count >= rules.probingDenials, probingReported[entry.actor].map({ entry.time.timeIntervalSince($0) > rules.probingWindow }) ?? true {
                probingReported[entry.actor] = entry.time
                findings.append(Finding(
                    rule: "probing", severity: .high, actor: entry.actor, from: recent.first!.0, to: entry.time,
                    evidence: Evidence(sequences: recent.map(\.1).prefix(50).map { $0 }, count: recent.count, orders: Array(Set(recent.compactMap(\.2))).sorted().prefix(50).map { $0 }),
                    explanation: "\(entry.actor) was refused \(recent.count) times within \(Int(rules.probingWindow / 60)) minutes: someone trying what is allowed."))
            }
            return
        }
        guard entry.decision == .granted, let buyer = entry.buyer else { return }

        // Bulk reads: distinct buyers in a sliding window.
        var recent = reads[entry.actor, default: []].filter { entry.time.timeIntervalSince($0.0) <= rules.bulkWindow }
        recent.append((entry.time, buyer, entry.sequence, entry.orderID))
        reads[entry.actor] = recent
        let distinct = Set(recent.map(\.1)).count
        if distinct >= rules.bulkDistinctBuyers, bulkReported[entry.actor].map({ entry.time.timeIntervalSince($0) > rules.bulkWindow }) ?? true {
            bulkReported[entry.actor] = entry.time
            findings.append(Finding(
                rule: "bulk-read", severity: .high, actor: entry.actor, from: recent.first!.0, to: entry.time,
                evidence: Evidence(sequences: recent.map(\.2).prefix(50).map { $0 }, count: recent.count,
                                   orders: Array(Set(recent.compactMap(\.3))).sorted().prefix(50).map { $0 }),
                explanation: "\(entry.actor) read \(distinct) different buyers within \(Int(rules.bulkWindow / 60)) minutes, more than day-to-day work needs."))
        }

        if entry.fieldsReleased.contains(ContactField.buyerEmail.rawValue) {
            emailReads[key, default: []].append(entry.sequence)
            if let order = entry.orderID { emailOrders[key, default: []].insert(order) }
            let bounds = dayBounds[key] ?? (entry.time, entry.time)
            dayBounds[key] = (min(bounds.0, entry.time), max(bounds.1, entry.time))
        }

        if let hours = rules.businessHours {
            let hour = Calendar.utc.component(.hour, from: entry.time)
            if !hours.contains(hour) {
                let current = offHours[entry.actor] ?? (entry.time, entry.time, [], 0)
                offHours[entry.actor] = (min(current.0, entry.time), max(current.1, entry.time), Array((current.2 + [entry.sequence]).prefix(50)), current.3 + 1)
            }
        }
    }

    mutating func finish() -> [Finding] {
        for (key, sequences) in emailReads where sequences.count >= rules.harvestMinimumEmails {
            let sent = messagesSent[key, default: 0]
            guard Double(sent) < Double(sequences.count) * rules.harvestMessageRatio else { continue }
            let actor = String(key.split(separator: "|").first ?? "")
            let bounds = dayBounds[key]!
            findings.append(Finding(
                rule: "email-harvesting", severity: .high, actor: actor, from: bounds.0, to: bounds.1,
                evidence: Evidence(sequences: Array(sequences.prefix(50)), count: sequences.count,
                                   orders: Array(emailOrders[key, default: []]).sorted().prefix(50).map { $0 }),
                explanation: "\(actor) read \(sequences.count) buyer emails in a day but sent \(sent) messages: emails collected, not used for orders."))
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

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let day: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }()
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
