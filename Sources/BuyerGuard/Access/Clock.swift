public import Foundation

/// Where the broker and the audit log get the time. Apps use ``SystemClock``; tests fix it.
public protocol BuyerGuardClock: Sendable {
    /// The current time.
    var now: Date { get }
}

/// The system's wall clock.
public struct SystemClock: BuyerGuardClock {
    /// The system clock.
    public init() {}
    /// `Date()`.
    public var now: Date { Date() }
}
