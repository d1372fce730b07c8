public import CoreMetrics
import Dispatch
import Synchronization
public import Tracing

/// Where BuyerGuard sends its metrics (swift-metrics) and spans (swift-distributed-tracing).
///
/// Off unless the app bootstraps a backend: by default the vault uses `MetricsSystem.factory` and
/// `InstrumentationSystem.tracer` as they are when it opens, which do nothing until
/// `MetricsSystem.bootstrap(_:)` / `InstrumentationSystem.bootstrap(_:)` is called. An app or a
/// test can also hand a vault its own factory and tracer here, without touching the globals.
///
/// What is emitted never carries personal data or anything a metrics system could join to a buyer:
/// no values, emails, names, pseudonyms, order ids, case ids or actor names. Only bounded labels:
///
/// | name | kind | dimensions |
/// |---|---|---|
/// | `buyerguard_access_total` | counter | `decision` (granted, denied, failed), `purpose` (shipping, order-messaging, customer-support, other), `reason` (a denial or failure code, or `none`) |
/// | `buyerguard_audit_append_seconds` | timer | (one commit of the log, as its callers wait for it) |
/// | `buyerguard_audit_batch_entries` | recorder | (entries per commit: group commit's batch size) |
/// | `buyerguard_import_seconds` | timer | `format` |
/// | `buyerguard_scan_seconds` | timer | |
///
/// Spans: `buyerguard.access` around each broker decision (attributes `buyerguard.purpose`,
/// `buyerguard.message_kind`, `buyerguard.fields_asked`, `buyerguard.fields_released`,
/// `buyerguard.decision`, `buyerguard.reason`, `buyerguard.channel`) and `buyerguard.import`.
public struct Telemetry: Sendable {
    /// The factory metrics are made with; `nil`: `MetricsSystem.factory` when the vault opens.
    public var metrics: (any MetricsFactory)?
    /// The tracer spans are started on; `nil`: `InstrumentationSystem.tracer` when the vault opens.
    public var tracer: (any Tracer)?

    /// Telemetry through `metrics` and `tracer`, or the global systems where `nil`.
    public init(metrics: (any MetricsFactory)? = nil, tracer: (any Tracer)? = nil) {
        self.metrics = metrics
        self.tracer = tracer
    }
}

/// The instruments one vault writes to, made once (a metric object per label set, cached).
package final class Instruments: Sendable {
    let factory: any MetricsFactory
    let tracer: any Tracer
    let auditAppend: Timer
    let auditBatch: Recorder
    /// One misuse scan's wall time (`buyerguard_scan_seconds`).
    package let scanDuration: Timer
    private let accessCounters = Mutex<[AccessKey: Counter]>([:])

    init(_ telemetry: Telemetry) {
        factory = telemetry.metrics ?? MetricsSystem.factory
        tracer = telemetry.tracer ?? InstrumentationSystem.tracer
        auditAppend = Timer(label: "buyerguard_audit_append_seconds", dimensions: [], factory: factory)
        auditBatch = Recorder(label: "buyerguard_audit_batch_entries", dimensions: [], aggregate: true, factory: factory)
        scanDuration = Timer(label: "buyerguard_scan_seconds", dimensions: [], factory: factory)
    }

    /// One import's wall time, by file format (`tsv:order-report`, `jsonl`, ...; never a file name).
    func recordImport(format: String, since start: UInt64) {
        let label = format.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: " ") } && format.utf8.count <= 40 ? format : "other"
        Timer(label: "buyerguard_import_seconds", dimensions: [("format", label)], factory: factory)
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
    }

    private struct AccessKey: Hashable {
        var decision: AuditDecision
        var purpose: String
        var reason: String
    }

    /// Counts one broker decision. Purpose and reason are reduced to their bounded vocabularies
    /// first, so that a caller's free text (an unrecognised purpose) never becomes a label.
    func countAccess(decision: AuditDecision, purpose: String, reason: String?) {
        let key = AccessKey(decision: decision, purpose: Self.purposeLabel(purpose), reason: Self.reasonLabel(reason))
        let counter = accessCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "buyerguard_access_total",
                dimensions: [("decision", key.decision.rawValue), ("purpose", key.purpose), ("reason", key.reason)], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    static func purposeLabel(_ family: String) -> String {
        switch family {
        case "shipping", "order-messaging", "customer-support": family
        default: "other"
        }
    }

    /// Reasons are the library's own codes (denial reasons, error codes, `buyer-link-invalid`),
    /// never a caller's text; anything that does not look like one is `other`.
    static func reasonLabel(_ reason: String?) -> String {
        guard let reason else { return "none" }
        let isCode = (1...40).contains(reason.utf8.count) && reason.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        return isCode ? reason : "other"
    }

    /// One commit of the audit log: how long its callers waited and how many entries it carried.
    func recordCommit(entries: Int, since start: UInt64) {
        auditAppend.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
        auditBatch.record(entries)
    }

}
