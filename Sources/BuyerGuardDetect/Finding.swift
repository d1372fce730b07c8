public import Foundation

/// How bad a finding is.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    /// Worth knowing.
    case info
    /// Worth a look.
    case low
    /// Needs an explanation.
    case medium
    /// Likely misuse.
    case high
    /// Misuse or tampering: act now.
    case critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What a finding rests on: the entries, how many, and the orders involved.
public struct Evidence: Sendable, Codable, Equatable {
    /// Sequence numbers of the entries (the first 50).
    public var sequences: [Int64]
    /// How many entries in all.
    public var count: Int
    /// The orders involved (the first 50).
    public var orders: [String]

    /// Evidence of `count` entries, naming the first of them and the orders involved.
    public init(sequences: [Int64], count: Int, orders: [String]) {
        self.sequences = sequences
        self.count = count
        self.orders = orders
    }
}

/// One suspected misuse (or integrity problem) found in the audit log.
public struct Finding: Sendable, Codable, Equatable {
    /// The rule's stable name (``DetectionRules/Rule``): `log-integrity`, `canary`,
    /// `denied-purpose`, `probing`, `bulk-read`, `email-harvesting`, `unexplained-access`,
    /// `stale-data`, `baseline`, `off-hours`, `first-time`.
    public var rule: String
    /// How bad it is.
    public var severity: Severity
    /// Who.
    public var actor: String
    /// The first entry's time.
    public var from: Date
    /// The last entry's time.
    public var to: Date
    /// What it rests on.
    public var evidence: Evidence
    /// One sentence a shop owner understands.
    public var explanation: String

    /// A finding.
    public init(rule: String, severity: Severity, actor: String, from: Date, to: Date, evidence: Evidence, explanation: String) {
        self.rule = rule
        self.severity = severity
        self.actor = actor
        self.from = from
        self.to = to
        self.evidence = evidence
        self.explanation = explanation
    }
}

extension Finding {
    /// A stable identity for "the same finding" across runs (rule, actor, start and first
    /// entry), kept in a scan state file so that a daily run reports only new findings.
    public var fingerprint: String {
        "\(rule)|\(actor)|\(Int64((from.timeIntervalSince1970 * 1000).rounded()))|\(evidence.sequences.first ?? 0)"
    }

    /// Log integrity first (nothing else can be trusted without it), then most severe first,
    /// then oldest first, then by rule, actor, first entry and sentence: a total order, so the
    /// same log always gives the same report, byte for byte.
    public static func reportOrder(_ a: Finding, _ b: Finding) -> Bool {
        let integrity = DetectionRules.Rule.logIntegrity.rawValue
        if (a.rule == integrity) != (b.rule == integrity) { return a.rule == integrity }
        if a.severity != b.severity { return a.severity > b.severity }
        if a.from != b.from { return a.from < b.from }
        return (a.rule, a.actor, a.evidence.sequences.first ?? 0, a.explanation)
            < (b.rule, b.actor, b.evidence.sequences.first ?? 0, b.explanation)
    }
}
