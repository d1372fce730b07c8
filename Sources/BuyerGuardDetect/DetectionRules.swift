public import Foundation

/// The thresholds of each rule. The defaults suit a small or medium seller (1 to 50 staff,
/// 100 to 100,000 orders a month); each can be changed or the rule disabled.
public struct DetectionRules: Sendable, Equatable {
    /// Report each attempt at a prohibited or unknown purpose.
    public var deniedPurposes = true
    /// This many denials by one actor within ``probingWindow`` is probing.
    public var probingDenials = 10
    /// The window for ``probingDenials``.
    public var probingWindow: TimeInterval = 600
    /// This many distinct buyers read by one actor within ``bulkWindow`` is a bulk read.
    public var bulkDistinctBuyers = 25
    /// The window for ``bulkDistinctBuyers``.
    public var bulkWindow: TimeInterval = 300
    /// An actor who read at least this many buyer emails in a day...
    public var harvestMinimumEmails = 20
    /// ...while sending fewer messages than this share of those reads is harvesting emails.
    public var harvestMessageRatio = 0.5
    /// Orders planted as canaries: any access to one is critical.
    public var canaryOrders: Set<String> = []
    /// Business hours (UTC hours, start inclusive, end exclusive); `nil` disables the off-hours rule.
    public var businessHours: Range<Int>? = 7..<21

    /// The defaults.
    public init() {}
}
