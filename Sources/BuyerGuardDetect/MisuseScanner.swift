public import BuyerGuard
import Dispatch
public import Foundation
import Synchronization

/// Reads an audit log and reports, with evidence, who used buyer data for something other than
/// shipping, order messaging or support. `buyerguard audit scan` runs it; apps can run it too, or
/// feed entries to a ``MisuseMonitor`` as they are written.
///
/// One pass over the entries, in sequence order, while the chain and signatures are verified on
/// the other core. Memory grows with actors, days and distinct orders, not with entries.
public struct MisuseScanner: Sendable {
    /// The thresholds.
    public var rules: DetectionRules

    /// A scanner with `rules`.
    public init(rules: DetectionRules = DetectionRules()) {
        self.rules = rules
    }

    /// What a scan covered and found.
    public struct Report: Sendable {
        /// The findings: log integrity first, then most severe first, then oldest first.
        public var findings: [Finding]
        /// Entries the rules read (those matching the filter).
        public var entriesScanned: Int
        /// From the first of them to the newest; `nil` when none matched.
        public var period: ClosedRange<Date>?
        /// The integrity check of the whole log, with its warnings (an untrusted key, an unsigned tail).
        public var verification: AuditVerification
        /// Who did what on which day, in counts (for ``AccessActivity``'s picture in an audit report).
        public var activity: AccessActivity
    }

    /// Scans `log` (optionally a filtered part of it); the findings of ``report(_:filter:trustedPublicKey:checkpoint:now:)``.
    public func scan(
        _ log: AuditLog, filter: AuditFilter = AuditFilter(), trustedPublicKey: String? = nil, checkpoint: AuditCheckpoint? = nil, now: Date? = nil
    ) throws -> [Finding] {
        try report(log, filter: filter, trustedPublicKey: trustedPublicKey, checkpoint: checkpoint, now: now).findings
    }

    /// Scans `log` (optionally a filtered part of it). The log's integrity is checked as well:
    /// any problem is a critical `log-integrity` finding, listed first.
    ///
    /// - Parameters:
    ///   - trustedPublicKey: the key checkpoints must be signed with (hex), as for ``AuditLog/verify(trustedPublicKey:checkpoint:)``.
    ///   - checkpoint: an exported checkpoint the log must still contain.
    ///   - now: the time "no checkpoint for too long" is measured against; default: the newest entry's time.
    ///   - progress: called with the entries read so far, every ``progressInterval`` entries (for a long run's progress line).
    public func report(
        _ log: AuditLog, filter: AuditFilter = AuditFilter(), trustedPublicKey: String? = nil, checkpoint: AuditCheckpoint? = nil, now: Date? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { log.instruments.scanDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started)) }
        // Verification (two threads of its own) and the rules (this one) run side by side.
        let verification = Mutex<Result<AuditVerification, any Error>?>(nil)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let result = Result { try log.verify(trustedPublicKey: trustedPublicKey, checkpoint: checkpoint) }
            verification.withLock { $0 = result }
        }
        let symbols = AuditSymbolTable()
        var state = ScanState(rules: rules, symbols: symbols)
        let scanned = Result {
            try log.forEachEvent(matching: filter, symbols: symbols) { event in
                state.consume(event)
                if let progress, state.entries % Self.progressInterval == 0 { progress(state.entries) }
            }
        }
        group.wait()
        let verified = try verification.withLock { try $0!.get() }
        try scanned.get()

        var findings = verified.problems.map { problem in
            // The damaged entry's own time, if it is still there (it may have been altered too).
            let time = (try? log.entry(sequence: problem.sequence))?.time ?? Date(timeIntervalSince1970: 0)
            return Finding(rule: DetectionRules.Rule.logIntegrity.rawValue, severity: .critical, actor: "-", from: time, to: time,
                    evidence: Evidence(sequences: [problem.sequence], count: 1, orders: []),
                    explanation: "The audit log was tampered with: \(problem.message) (entry \(problem.sequence)).")
        }
        if verified.isIntact, rules.isEnabled(.logIntegrity), let finding = try uncheckpointedTail(log, entries: verified.entries, now: now ?? state.lastTime) {
            findings.append(finding)
        }
        // Verification's problems keep their place at the top, in the verifier's order.
        let (ruleFindings, activity) = state.finished()
        return Report(findings: findings + ruleFindings.sorted(by: Finding.reportOrder), entriesScanned: state.entries,
                      period: state.firstTime.flatMap { first in state.lastTime.map { first...$0 } }, verification: verified,
                      activity: activity)
    }

    /// How many entries go between two calls of a report's `progress`.
    public static let progressInterval = 250_000

    /// `log-integrity` when entries older than the allowed age are covered by no signed checkpoint.
    func uncheckpointedTail(_ log: AuditLog, entries: Int64, now: Date?) throws -> Finding? {
        guard let now, entries > 0 else { return nil }
        let signed = try log.newestCheckpoint()?.entryCount ?? 0
        guard entries > signed else { return nil }
        guard let oldest = try log.entry(sequence: signed + 1), now.timeIntervalSince(oldest.time) > rules.checkpointMaxAgeHours * 3600 else { return nil }
        let hours = Int(now.timeIntervalSince(oldest.time) / 3600)
        return Finding(
            rule: DetectionRules.Rule.logIntegrity.rawValue, severity: .critical, actor: "-", from: oldest.time, to: now,
            evidence: Evidence(sequences: [signed + 1, entries], count: Int(entries - signed), orders: []),
            explanation: "Entries \(signed + 1)-\(entries) (the oldest \(hours) hours old) are covered by no signed checkpoint, though the log signs itself daily: were checkpoints deleted? They could be rewritten unnoticed.")
    }
}
