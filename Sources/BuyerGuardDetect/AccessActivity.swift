public import BuyerGuard
public import Foundation

/// Who used buyer data on which day, and how it went: the per-actor, per-day picture a scan
/// gathers beside its findings (``MisuseScanner/Report/activity``), for an audit report.
///
/// Counts only, never an order, a buyer or a value. "Unexplained" is the scan's own judgement of
/// single entries against the order's state at the time (shipping data read long after delivery,
/// a message kind no order event calls for; see `docs/detection.md`); support cases judged as a
/// whole (reused for many buyers, used once and never answered) are findings, not counted here.
public struct AccessActivity: Sendable, Codable, Equatable {
    /// What one actor did on one day (or in all).
    public struct Counts: Sendable, Codable, Equatable {
        /// Access requests granted.
        public var granted = 0
        /// Of those, the ones the order's state did not explain.
        public var unexplained = 0
        /// Requests refused by the policy, and operations refused because the identity may not act as the actor.
        public var denied = 0
        /// Requests that failed (the vault could not answer, the log could not be written).
        public var failed = 0
        /// Messages sent to buyers through the broker.
        public var messagesSent = 0

        /// A zero count.
        public init() {}

        /// Every access request, whatever its outcome.
        public var requests: Int { granted + denied + failed }

        /// The share of granted requests the order's state explained; `nil` when none was granted.
        public var explainedShare: Double? {
            granted == 0 ? nil : Double(granted - unexplained) / Double(granted)
        }

        /// Adds `other`'s counts to these.
        public mutating func add(_ other: Counts) {
            granted += other.granted
            unexplained += other.unexplained
            denied += other.denied
            failed += other.failed
            messagesSent += other.messagesSent
        }
    }

    /// One actor's day.
    public struct ActorDay: Sendable, Codable, Equatable {
        /// The actor, as logged.
        public var actor: String
        /// The day: whole days since 1970-01-01 in the rules' time zone (``DetectionRules/timeZone``,
        /// else ``DetectionRules/utcOffsetHours``).
        public var day: Int
        /// What the actor did that day.
        public var counts: Counts

        /// The day's counts for `actor`.
        public init(actor: String, day: Int, counts: Counts) {
            self.actor = actor
            self.day = day
            self.counts = counts
        }
    }

    /// Every actor's days with at least one request or message, by day, then actor.
    public var days: [ActorDay] = []
    /// Refused requests and operations by reason code (`purpose-prohibited`, `retention-ended`, `actor-not-permitted`, ...).
    public var denialsByReason: [String: Int] = [:]
    /// Granted requests by purpose (`shipping`, `order-messaging`, `customer-support`).
    public var grantsByPurpose: [String: Int] = [:]
    /// The sequences of the entries that record maintenance: imports, purges, erasures, key
    /// rotations and retirements, master key rewraps, interrupted jobs, canaries planted.
    public var maintenance: [Int64] = []

    /// An empty picture.
    public init() {}

    /// The kinds whose entries ``maintenance`` lists.
    public static let maintenanceKinds: [AuditEventKind] = [
        .vaultCreated, .ordersImported, .purge, .erase, .keyRotationStarted, .keyRotationFinished, .keyRetired,
        .masterKeyRewrapped, .jobInterrupted, .canariesPlanted,
    ]

    /// The sums over every day.
    public var totals: Counts {
        days.reduce(into: Counts()) { $0.add($1.counts) }
    }

    /// Each actor's sums, busiest first.
    public var actors: [(actor: String, counts: Counts)] {
        var sums: [String: Counts] = [:]
        for day in days { sums[day.actor, default: Counts()].add(day.counts) }
        return sums.map { ($0.key, $0.value) }.sorted { ($0.counts.requests, $1.actor) > ($1.counts.requests, $0.actor) }
    }

    /// `day` as a calendar date: midnight UTC of the same year, month and day (format it in UTC).
    public static func calendarDate(ofDay day: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day * 86_400))
    }

    /// `counts` (``denialsByReason``, ``grantsByPurpose``) largest first, then by name.
    public static func ranked(_ counts: [String: Int]) -> [(name: String, count: Int)] {
        counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
    }

    /// The midnight that starts `day` in a time zone `utcOffsetHours` from UTC.
    public static func start(ofDay day: Int, utcOffsetHours: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day * 86_400 - utcOffsetHours * 3600))
    }

    /// The midnight that starts `day` in the rules' time zone (daylight saving time included).
    public static func start(ofDay day: Int, rules: DetectionRules) -> Date {
        let localMidnight = TimeInterval(day * 86_400)
        // The offset at that midnight: found from the offset half a day later, then checked.
        var offset = rules.utcOffsetSeconds(at: Date(timeIntervalSince1970: localMidnight + 43_200))
        offset = rules.utcOffsetSeconds(at: Date(timeIntervalSince1970: localMidnight - TimeInterval(offset)))
        return Date(timeIntervalSince1970: localMidnight - TimeInterval(offset))
    }
}
