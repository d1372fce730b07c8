public import Foundation

/// What a scan covered, for the head of its report (`audit scan --format json` writes it before
/// the findings): the entries and the period, the chain and checkpoints verified, and how much of
/// the granted access the orders' state explained, overall, per actor and per day.
///
/// Counts only, never an order, a buyer or a value. Its arrays are sorted (actors by name, days
/// by date), so the same log gives the same bytes.
public struct ScanCoverage: Sendable, Codable, Equatable {
    /// Granted accesses and how many of them something explained.
    public struct Explanation: Sendable, Codable, Equatable {
        /// Access requests granted.
        public var granted: Int
        /// Of those, the ones nothing in the order's state or its cases explained.
        public var unexplained: Int
        /// `(granted - unexplained) / granted`; `nil` when nothing was granted.
        public var rate: Double?

        /// From an actor's or a day's counts.
        public init(_ counts: AccessActivity.Counts) {
            granted = counts.granted
            unexplained = counts.unexplained
            rate = counts.explainedShare.map { ($0 * 10_000).rounded() / 10_000 }  // four places: stable text
        }
    }

    /// One actor's explanation over the period.
    public struct ActorExplanation: Sendable, Codable, Equatable {
        /// The actor, as logged.
        public var actor: String
        /// Their grants.
        public var explanation: Explanation
    }

    /// One day's explanation, every actor together.
    public struct DayExplanation: Sendable, Codable, Equatable {
        /// The day in the rules' time zone, `YYYY-MM-DD`.
        public var day: String
        /// The day's grants.
        public var explanation: Explanation
    }

    /// Entries the rules read (those matching the filter).
    public var entriesScanned: Int
    /// Entries in the whole log, as verified.
    public var logEntries: Int64
    /// The first and the newest entry read; `nil` when none matched.
    public var from: Date?
    public var to: Date?
    /// Signed checkpoints verified against the chain.
    public var checkpointsVerified: Int
    /// Whether the chain and every checkpoint verified.
    public var intact: Bool
    /// Granted accesses explained, overall.
    public var explanation: Explanation
    /// Per actor, by name.
    public var byActor: [ActorExplanation]
    /// Per day, by date.
    public var byDay: [DayExplanation]
}

extension MisuseScanner.Report {
    /// What this scan covered (``ScanCoverage``).
    public var coverage: ScanCoverage {
        var actors: [String: AccessActivity.Counts] = [:]
        var days: [Int: AccessActivity.Counts] = [:]
        for day in activity.days {
            actors[day.actor, default: AccessActivity.Counts()].add(day.counts)
            days[day.day, default: AccessActivity.Counts()].add(day.counts)
        }
        let calendar = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day()
        return ScanCoverage(
            entriesScanned: entriesScanned, logEntries: verification.entries, from: period?.lowerBound, to: period?.upperBound,
            checkpointsVerified: verification.checkpointsVerified, intact: verification.isIntact,
            explanation: ScanCoverage.Explanation(activity.totals),
            byActor: actors.filter { $0.value.granted > 0 }.sorted { $0.key < $1.key }
                .map { ScanCoverage.ActorExplanation(actor: $0.key, explanation: ScanCoverage.Explanation($0.value)) },
            byDay: days.filter { $0.value.granted > 0 }.sorted { $0.key < $1.key }
                .map { ScanCoverage.DayExplanation(day: AccessActivity.calendarDate(ofDay: $0.key).formatted(calendar),
                                                   explanation: ScanCoverage.Explanation($0.value)) })
    }
}
