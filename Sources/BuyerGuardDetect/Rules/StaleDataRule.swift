import BuyerGuard

/// `stale-data`: an actor's day of reads near or past the orders' retention end (and refusals
/// for it): medium past it, low within ``DetectionRules/staleWithinDays`` of it.
struct StaleDataRule: ScanRule {
    private struct Day {
        var past = Tally(countingOrders: true)
        var near = Tally(countingOrders: true)
    }

    private var days: [Day] = []

    mutating func addActor(in context: inout ScanContext) { days.append(Day()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        if scanned.pastRetention {
            days[scanned.slot].past.add(scanned.event)
        } else if scanned.isRead, scanned.retention == .near {
            days[scanned.slot].near.add(scanned.event)
        }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        let day = days[slot]
        days[slot] = Day()
        let name = context.name(slot)
        if day.past.count > 0 {
            context.add(.staleData, .medium, name, day.past,
                        "\(name) read or asked for \(ScanContext.orders(day.past)) past their retention end, data that should no longer be used.")
        }
        if day.near.count > 0 {
            context.add(.staleData, .low, name, day.near,
                        "\(name) read \(ScanContext.orders(day.near)) within \(context.rules.staleWithinDays) days of their retention end.")
        }
    }
}
