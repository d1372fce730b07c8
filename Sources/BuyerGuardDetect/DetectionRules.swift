import BuyerGuard
public import Foundation

/// The thresholds of each rule. The defaults suit a small or medium seller (1 to 50 staff,
/// 100 to 100,000 orders a month); each can be changed, and any rule disabled, in a rules file
/// (``init(toml:file:)``; `docs/detection.md` lists every setting).
public struct DetectionRules: Sendable, Equatable {
    /// The rules, by their stable names.
    public enum Rule: String, Sendable, CaseIterable, Codable {
        /// A broken chain, bad signature, gap, clock going backwards, or no checkpoint for too long.
        case logIntegrity = "log-integrity"
        /// Any access to a canary order.
        case canary
        /// An attempt at a prohibited or unknown purpose.
        case deniedPurpose = "denied-purpose"
        /// Many denials in a short time.
        case probing
        /// Many distinct buyers in a short window, more in an hour than a day's orders, or orders read in sequence.
        case bulkRead = "bulk-read"
        /// Buyer emails read without the messages that would explain them.
        case emailHarvesting = "email-harvesting"
        /// Reads the order's state does not explain.
        case unexplainedAccess = "unexplained-access"
        /// Reads of orders near or past their retention end.
        case staleData = "stale-data"
        /// A day far above the actor's own history or their peers'.
        case baseline
        /// Reads outside business hours.
        case offHours = "off-hours"
        /// A new actor, a new channel or a new field for an actor.
        case firstTime = "first-time"
    }

    /// Rules switched off.
    public var disabled: Set<Rule> = []

    // log-integrity
    /// Entries written more than this many seconds before their predecessor are a clock going backwards.
    public var clockToleranceSeconds: TimeInterval = 5
    /// Entries older than this that no signed checkpoint covers are reported (run `audit checkpoint` daily).
    public var checkpointMaxAgeHours: Double = 7 * 24

    // canary
    /// Orders planted as canaries (`buyerguard canary add`): any access to one is critical.
    public var canaryOrders: Set<String> = []

    // denied-purpose and probing
    /// Purposes whose attempts are high severity (others are medium).
    public var severePurposes: Set<String> = ["marketing", "export", "promotion", "third-party", "review-request"]
    /// This many denials by one actor within ``probingWindow`` is probing.
    public var probingDenials = 10
    /// The window for ``probingDenials``, in seconds.
    public var probingWindow: TimeInterval = 600

    // bulk-read
    /// This many distinct buyers read by one actor within ``bulkWindow`` is a bulk read.
    public var bulkDistinctBuyers = 25
    /// The window for ``bulkDistinctBuyers``, in seconds.
    public var bulkWindow: TimeInterval = 300
    /// The window threshold can also follow the shop's volume: at least this multiple of the pace
    /// at which the median day's orders would be worked through in 8 hours (with 3: 3,300 orders a
    /// day give 103 buyers in 5 minutes). Off (0) by default: the window counts only accesses
    /// nothing explains (or made at night), which a bigger shop does not make more of.
    public var bulkPaceFactor = 0.0
    /// One actor reading more distinct buyers in an hour than this multiple of the seller's average
    /// day of orders (and at least ``bulkDistinctBuyers``) is a sweep.
    public var hourlyShareOfDailyOrders = 2.0
    /// This many distinct orders read one after another in increasing order-id order is a walk
    /// through the order list.
    public var sequentialRun = 20

    // email-harvesting
    /// An actor who read at least this many buyer emails in a day (not counting the read
    /// ``AccessBroker``'s `send` makes for its own message, nor the reads of a support case the
    /// buyer opened)...
    public var harvestMinimumEmails = 20
    /// ...while sending fewer messages than this share of those reads is harvesting emails.
    public var harvestMessageRatio = 0.5

    // unexplained-access
    /// Shipping reads this many days or more after delivery are unexplained.
    public var shippingDaysAfterDelivery = 2
    /// A support case id used for more distinct buyers than this is unexplained.
    public var caseMaxBuyers = 3
    /// An actor with this many support case ids in a day that are used once and never answered
    /// (no message to that order) is unexplained.
    public var singleUseCasesPerDay = 8
    /// An actor-day with this many unexplained orders is medium severity (fewer: low)...
    public var unexplainedMediumCount = 5
    /// ...and with this many, high; medium is high too when the unexplained are at least
    /// ``unexplainedHighShare`` of the actor's requests that day.
    public var unexplainedHighCount = 10
    /// See ``unexplainedHighCount``.
    public var unexplainedHighShare = 0.5
    /// Slow patterns: the days over which an actor's unexplained orders (below a high day) add up...
    public var slowDays = 28
    /// ...to this many for medium...
    public var slowMediumCount = 20
    /// ...or this many for high...
    public var slowHighCount = 40
    /// ...on at least this many different days...
    public var slowMinimumDays = 8
    /// ...when they are at least this share of the actor's requests in the window (on the days
    /// that were not high): legitimate unexplained reads, such as cases re-read after closing,
    /// grow with an actor's work, so a busy actor's count alone says little (on the mid-size
    /// shops, busy agents' re-reads stayed under 2% of their requests; the owner's slow browsing
    /// was over half of theirs).
    public var slowShare = 0.05
    /// Seller-wide: the days over which the unexplained orders of several actors (each below a
    /// high day) add up...
    public var sellerWideDays = 7
    /// ...to this many for high...
    public var sellerWideCount = 40
    /// ...from at least this many actors, each with at least ``sellerWideActorMinimum``.
    public var sellerWideActors = 2
    /// See ``sellerWideActors``.
    public var sellerWideActorMinimum = 5
    /// ...when they are at least this share of those actors' requests in the window.
    public var sellerWideShare = 0.05

    // stale-data
    /// Retention after delivery, in days, as in the access policy.
    public var retentionDaysAfterDelivery = 30
    /// Retention after purchase for orders never delivered, in days, as in the access policy.
    public var retentionDaysWithoutDelivery = 60
    /// Reads this many days or fewer before the retention end are "near" it.
    public var staleWithinDays = 3

    // baseline
    /// Days of history an actor's day is compared with.
    public var baselineDays = 28
    /// Days of history needed before the rule speaks.
    public var baselineMinimumDays = 7
    /// How many standard deviations above the mean is "far above".
    public var baselineSigmas = 3.0
    /// Days with fewer distinct buyers than this are never reported (the rule counts, like the
    /// window rules, the buyers of accesses nothing explains or made outside business hours).
    public var baselineFloor = 10
    /// A day above this multiple of the median of the actor's peers (same role, same day) is far above them.
    public var peerFactor = 4.0
    /// Peers (others with the role, active that day) needed for the peer comparison.
    public var peerMinimum = 2

    // off-hours
    /// Business hours (local hours, start inclusive, end exclusive).
    public var businessHours: Range<Int> = 7..<21
    /// The seller's offset from UTC, in hours (business hours are local), when no ``timeZone`` is set.
    public var utcOffsetHours = 0
    /// The seller's time zone (`time-zone = "Europe/Rome"` in a rules file): days and business
    /// hours follow its daylight saving time. When set, ``utcOffsetHours`` is not used.
    public var timeZone: TimeZone?

    /// The seller's offset from UTC at `date`, in seconds.
    public func utcOffsetSeconds(at date: Date) -> Int {
        timeZone?.secondsFromGMT(for: date) ?? utcOffsetHours * 3600
    }

    /// The time zone as a report names it: `Europe/Rome`, or `UTC+1` for a fixed offset.
    public var timeZoneName: String {
        timeZone?.identifier ?? (utcOffsetHours == 0 ? "UTC" : String(format: "UTC%+d", utcOffsetHours))
    }

    // first-time
    /// The first days of the log only teach what is normal; first-time behaviour is reported after them.
    public var learningDays = 7

    /// The defaults.
    public init() {}

    /// Whether `rule` is on.
    public func isEnabled(_ rule: Rule) -> Bool { !disabled.contains(rule) }
}

extension DetectionRules {
    /// Reads a rules file (TOML): one table per rule, each with `enabled` and the rule's settings,
    /// in kebab-case; anything not set keeps its default.
    ///
    /// ```toml
    /// [bulk-read]
    /// distinct-buyers = 40
    /// window-minutes = 10
    ///
    /// [off-hours]
    /// business-hours = "08-19"
    /// utc-offset-hours = 1
    ///
    /// [first-time]
    /// enabled = false
    /// ```
    ///
    /// - Throws: `BuyerGuardError` (malformed input) naming the file, line or setting.
    public init(toml text: String, file: String = "rules") throws {
        self.init()
        let document = try TOMLSubset.parse(text, file: file)
        if let (key, _) = document.table("").first {
            throw BuyerGuardError(.malformedInput, "setting \(key) must be inside a rule's table, e.g. [bulk-read]", location: file)
        }
        for name in document.tableNames {
            guard let rule = Rule(rawValue: name) else {
                throw BuyerGuardError(.malformedInput, "unknown rule [\(name)]; rules are \(Rule.allCases.map(\.rawValue).joined(separator: ", "))", location: file)
            }
            for (key, value) in document.table(name) {
                func int() throws -> Int {
                    let number = try value.integer("\(name).\(key)", file: file)
                    guard number >= 0 else { throw BuyerGuardError(.malformedInput, "\(name).\(key) must not be negative", location: file) }
                    return number
                }
                func double() throws -> Double {
                    let number = try value.number("\(name).\(key)", file: file)
                    guard number >= 0 else { throw BuyerGuardError(.malformedInput, "\(name).\(key) must not be negative", location: file) }
                    return number
                }
                switch (rule, key) {
                case (_, "enabled"):
                    if try value.bool("\(name).\(key)", file: file) { disabled.remove(rule) } else { disabled.insert(rule) }
                case (.logIntegrity, "clock-tolerance-seconds"): clockToleranceSeconds = try double()
                case (.logIntegrity, "checkpoint-max-age-hours"): checkpointMaxAgeHours = try double()
                case (.canary, "orders"):
                    for order in try value.strings("\(name).\(key)", file: file) {
                        guard let id = try? OrderID(order) else {
                            throw BuyerGuardError(.malformedInput, "canary.orders: '\(order.prefix(40))' is not an order id", location: file)
                        }
                        canaryOrders.insert(id.rawValue)
                    }
                case (.deniedPurpose, "severe-purposes"): severePurposes = Set(try value.strings("\(name).\(key)", file: file))
                case (.probing, "denials"): probingDenials = try int()
                case (.probing, "window-minutes"): probingWindow = try double() * 60
                case (.bulkRead, "distinct-buyers"): bulkDistinctBuyers = try int()
                case (.bulkRead, "window-minutes"): bulkWindow = try double() * 60
                case (.bulkRead, "hourly-share-of-daily-orders"): hourlyShareOfDailyOrders = try double()
                case (.bulkRead, "pace-factor"): bulkPaceFactor = try double()
                case (.bulkRead, "sequential-run"): sequentialRun = try int()
                case (.emailHarvesting, "minimum-emails"): harvestMinimumEmails = try int()
                case (.emailHarvesting, "message-ratio"): harvestMessageRatio = try double()
                case (.unexplainedAccess, "shipping-days-after-delivery"): shippingDaysAfterDelivery = try int()
                case (.unexplainedAccess, "case-max-buyers"): caseMaxBuyers = try int()
                case (.unexplainedAccess, "single-use-cases-per-day"): singleUseCasesPerDay = try int()
                case (.unexplainedAccess, "medium-count"): unexplainedMediumCount = try int()
                case (.unexplainedAccess, "high-count"): unexplainedHighCount = try int()
                case (.unexplainedAccess, "high-share"): unexplainedHighShare = try double()
                case (.unexplainedAccess, "slow-days"): slowDays = try int()
                case (.unexplainedAccess, "slow-medium-count"): slowMediumCount = try int()
                case (.unexplainedAccess, "slow-high-count"): slowHighCount = try int()
                case (.unexplainedAccess, "slow-minimum-days"): slowMinimumDays = try int()
                case (.unexplainedAccess, "slow-share"): slowShare = try double()
                case (.unexplainedAccess, "seller-wide-days"): sellerWideDays = try int()
                case (.unexplainedAccess, "seller-wide-count"): sellerWideCount = try int()
                case (.unexplainedAccess, "seller-wide-actors"): sellerWideActors = try int()
                case (.unexplainedAccess, "seller-wide-actor-minimum"): sellerWideActorMinimum = try int()
                case (.unexplainedAccess, "seller-wide-share"): sellerWideShare = try double()
                case (.staleData, "retention-days-after-delivery"): retentionDaysAfterDelivery = try int()
                case (.staleData, "retention-days-without-delivery"): retentionDaysWithoutDelivery = try int()
                case (.staleData, "within-days"): staleWithinDays = try int()
                case (.baseline, "days"): baselineDays = try int()
                case (.baseline, "minimum-days"): baselineMinimumDays = try int()
                case (.baseline, "sigmas"): baselineSigmas = try double()
                case (.baseline, "floor"): baselineFloor = try int()
                case (.baseline, "peer-factor"): peerFactor = try double()
                case (.baseline, "peer-minimum"): peerMinimum = try int()
                case (.offHours, "business-hours"): businessHours = try Self.hours(try value.string("\(name).\(key)", file: file), file: file)
                case (.offHours, "utc-offset-hours"):
                    let offset = try value.integer("\(name).\(key)", file: file)
                    guard (-12...14).contains(offset) else { throw BuyerGuardError(.malformedInput, "off-hours.utc-offset-hours must be between -12 and 14", location: file) }
                    utcOffsetHours = offset
                case (.offHours, "time-zone"):
                    let identifier = try value.string("\(name).\(key)", file: file)
                    guard let zone = TimeZone(identifier: identifier) else {
                        throw BuyerGuardError(.malformedInput, "off-hours.time-zone \"\(identifier)\" is not an IANA time zone name (for example Europe/Rome)", location: file)
                    }
                    timeZone = zone
                case (.firstTime, "learning-days"): learningDays = try int()
                default:
                    throw BuyerGuardError(.malformedInput, "unknown setting \(name).\(key) (see docs/detection.md)", location: file)
                }
            }
        }
    }

    /// Reads a rules file from disk.
    public init(contentsOf url: URL) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw BuyerGuardError(.inputNotFound, "cannot read the rules file", location: url.path)
        }
        try self.init(toml: text, file: url.path)
    }

    /// `"07-21"` as `7..<21`.
    static func hours(_ text: String, file: String) throws -> Range<Int> {
        let parts = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let start = parts[0], let end = parts[1], 0 <= start, start < end, end <= 24 else {
            throw BuyerGuardError(.malformedInput, "off-hours.business-hours must look like \"07-21\" (start before end, 0-24)", location: file)
        }
        return start..<end
    }
}
