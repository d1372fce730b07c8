import BuyerGuard

/// `off-hours`: an actor's day of requests outside business hours, granted or refused (asking
/// at night is night work too, whether or not the broker said yes).
struct OffHoursRule: ScanRule {
    private struct Day {
        var requests = Tally()
        /// Of ``requests``, the ones the broker refused.
        var refused = 0
    }

    private var days: [Day] = []

    mutating func addActor(in context: inout ScanContext) { days.append(Day()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        guard scanned.offHours, scanned.kind == .access else { return }
        if scanned.event.decision == .denied {
            days[scanned.slot].requests.add(scanned.event)
            days[scanned.slot].refused += 1
        } else if scanned.isRead {
            days[scanned.slot].requests.add(scanned.event)
        }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        let day = days[slot]
        days[slot] = Day()
        guard day.requests.count > 0 else { return }
        let name = context.name(slot), hours = context.rules.businessHours
        let what = day.refused == 0 ? "read buyer data \(ScanContext.count(day.requests.count, "time"))"
            : day.refused == day.requests.count ? "asked for buyer data \(ScanContext.count(day.refused, "time")), refused each time,"
            : "read or asked for buyer data \(ScanContext.count(day.requests.count, "time")) (\(day.refused) refused)"
        context.add(.offHours, .low, name, day.requests, "\(name) \(what) outside business hours (\(hours.lowerBound):00-\(hours.upperBound):00).")
    }
}
