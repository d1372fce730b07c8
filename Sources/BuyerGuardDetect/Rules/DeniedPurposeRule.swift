import BuyerGuard

/// `denied-purpose`: an actor's day of requests for a use the marketplace forbids (or nobody
/// defined), one finding per purpose; high for the severe ones (marketing, export, ...).
struct DeniedPurposeRule: ScanRule {
    /// Each actor's open day, by purpose.
    private var days: [[Int32: Tally]] = []

    mutating func addActor(in context: inout ScanContext) { days.append([:]) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        guard scanned.refusedPurpose else { return }
        days[scanned.slot][scanned.event.purpose, default: Tally()].add(scanned.event)
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        defer { days[slot].removeAll() }
        let name = context.name(slot)
        for (purpose, tally) in days[slot].sorted(by: { Tally.precedes($0.value, $1.value) }) {
            let purposeName = purpose >= 0 ? context.symbols[purpose] : "an unnamed purpose"
            let times = tally.count == 1 ? "" : " \(tally.count) times"
            context.add(.deniedPurpose, context.rules.severePurposes.contains(purposeName) ? .high : .medium, name, tally,
                        "\(name) asked for buyer data for \(purposeName)\(times), which the marketplace forbids; it was refused.")
        }
    }
}
