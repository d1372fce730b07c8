import BuyerGuard

/// `log-integrity`, the part a scan sees in order: the clock stepping back between two entries.
/// (The chain and the checkpoints are verified beside the scan, in ``MisuseScanner``.)
struct LogClockRule: ScanRule {
    private var previousMillis = Int64.min

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event
        defer { previousMillis = event.timeMillis }
        // Against the entry just before: one clock step back is one finding, however many entries follow it.
        guard previousMillis != .min, event.timeMillis < previousMillis - Int64(context.rules.clockToleranceSeconds * 1000) else { return }
        let back = Double(previousMillis - event.timeMillis) / 1000
        context.add(.logIntegrity, .critical, context.symbols[event.actor], from: event.timeMillis, to: previousMillis,
                    evidence: Evidence(sequences: [event.sequence - 1, event.sequence], count: 1, orders: []),
                    "The clock went backwards by \(String(format: "%.0f", back)) s at entry \(event.sequence): entries written with a wrong clock, or moved.")
    }
}
