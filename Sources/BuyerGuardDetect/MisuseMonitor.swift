public import BuyerGuard
public import Foundation
import Synchronization

/// Watches entries as they are written, for live alerts: in an app (``attach(to:)``) or following
/// a log file that any process writes (``catchUp(with:)``, what `buyerguard audit watch` runs).
///
/// The rules that look at moments (canary, probing, bulk reads, sequential walks, first-time
/// behaviour, clock) report as the entry arrives; the ones that look at whole days report when the
/// actor's next day begins, or on ``finish()``.
///
/// The monitor checks the chain it is fed: every entry must follow the previous one (sequence,
/// previous hash) and hash to its own ``AuditEntry/hash``; a gap, a fork or an altered entry is a
/// critical `log-integrity` finding.
///
/// With a state file it survives restarts: the file records how far it got, the head hash there
/// and the findings it already reported. ``resume(from:)`` replays the log up to that point without
/// reporting (so the day so far and the history the rules learn from are back), checks the log
/// still holds the same entry there, and reports what came after, never a finding twice.
///
/// ```swift
/// let monitor = MisuseMonitor(rules: rules, minimumSeverity: .high, stateFile: stateURL) { finding in
///     Task { await pager.send(finding) }   // keep the handler short: it runs on the writer's path
/// }
/// try monitor.attach(to: vault.auditLog)
/// ```
public final class MisuseMonitor: Sendable {
    /// Called with each new finding at or above ``minimumSeverity``, once.
    public typealias AlertHandler = @Sendable (Finding) -> Void

    /// Findings below this severity are kept out of alerts (``observe(_:)`` still returns them).
    public let minimumSeverity: Severity
    /// Where the monitor keeps its place between runs; `nil`: it starts afresh each time.
    public let stateFile: URL?
    private let alert: AlertHandler?
    private let inner: Mutex<Inner>

    private struct Inner {
        var state: ScanState
        var reportedCount = 0
        var lastSequence: Int64 = 0
        var lastHash = AuditEntry.genesisHash
        /// Whether an entry was taken in: a fresh monitor starts where it is first fed.
        var started = false
        var logID: String?
        var reported = ReportedKeys()
        var unsaved = 0
        var lastSave = Date.distantPast
    }

    /// A monitor with `rules`.
    ///
    /// - Parameters:
    ///   - minimumSeverity: the lowest severity `alert` is called for.
    ///   - stateFile: a JSON file the monitor keeps its place in (created 0600 when missing);
    ///     ``resume(from:)`` reads it.
    ///   - alert: called once for each new finding at or above `minimumSeverity`.
    public init(rules: DetectionRules = DetectionRules(), minimumSeverity: Severity = .info, stateFile: URL? = nil,
                alert: AlertHandler? = nil) {
        self.minimumSeverity = minimumSeverity
        self.stateFile = stateFile
        self.alert = alert
        inner = Mutex(Inner(state: ScanState(rules: rules, symbols: AuditSymbolTable())))
    }

    /// The sequence number of the last entry taken in.
    public var lastSequence: Int64 { inner.withLock { $0.lastSequence } }

    /// Takes the next entry (in sequence order); returns the findings it completes, and alerts
    /// on the new ones. An entry already taken in (a sequence at or below ``lastSequence``) is skipped.
    @discardableResult
    public func observe(_ entry: AuditEntry) -> [Finding] {
        let found = inner.withLock { inner in Self.take(entry, into: &inner) }
        return deliver(found)
    }

    /// Reads from `log` every entry after ``lastSequence`` and takes each in, as ``observe(_:)``
    /// does; returns the new findings. `audit watch` calls this each time the log grows.
    @discardableResult
    public func catchUp(with log: AuditLog) throws -> [Finding] {
        let found = try inner.withLock { inner in try Self.catchUp(&inner, log) }
        return deliver(found)
    }

    /// Restores the monitor's place from its state file, if there is one, by replaying `log` up to
    /// it without reporting; then takes in (and reports) everything written since.
    ///
    /// With no state file (or a first run), the log's history is replayed without reporting: the
    /// rules learn from it, and alerts begin with the entries after. Run `buyerguard audit scan`
    /// for findings in the history itself.
    ///
    /// - Throws: ``BuyerGuardError/Code/malformedInput`` for a state file that cannot be read, or
    ///   one written for another log (``BuyerGuardError/Code/auditTampered``).
    @discardableResult
    public func resume(from log: AuditLog) throws -> [Finding] {
        let saved = try stateFile.flatMap(MonitorState.read)
        let found = try inner.withLock { inner -> [Finding] in
            var findings: [Finding] = []
            if let saved {
                guard saved.logID == log.logID else {
                    throw BuyerGuardError(.auditTampered, "the monitor's state was kept for another audit log (\(saved.logID)), not for \(log.logID)",
                                          location: stateFile?.path)
                }
                inner.reported = ReportedKeys(saved.reported)
            }
            inner.logID = log.logID
            // Without a state file, the whole history is learnt.
            let target = saved?.lastSequence ?? .max
            findings += try Self.replay(&inner, log, through: target)
            inner.reportedCount = inner.state.findings.count  // replayed findings were reported before
            if let saved, inner.lastSequence == saved.lastSequence, inner.lastHash != saved.lastHash {
                findings.append(Self.integrityFinding(
                    at: saved.lastSequence, time: inner.state.lastTime ?? Date(timeIntervalSince1970: 0),
                    "entry \(saved.lastSequence) is not the one the monitor saw there (its hash changed): the log was rewritten up to it"))
            } else if let saved, inner.lastSequence < saved.lastSequence {
                findings.append(Self.integrityFinding(
                    at: inner.lastSequence + 1, time: inner.state.lastTime ?? Date(timeIntervalSince1970: 0),
                    "the log ends at entry \(inner.lastSequence), but the monitor had already seen \(saved.lastSequence): it was cut short"))
            }
            findings += try Self.catchUp(&inner, log)
            return findings
        }
        let delivered = deliver(found)
        try save(force: true)
        return delivered
    }

    /// Feeds the monitor with what this process appends to `log` from now on (after
    /// ``resume(from:)`` has caught it up), reading any entries other processes wrote in between
    /// from the log. Alerts arrive before the broker releases the data an entry records.
    public func attach(to log: AuditLog) throws {
        try resume(from: log)
        log.observeAppends { [weak self] entries in
            guard let self else { return }
            let found = self.inner.withLock { inner -> [Finding] in
                var found: [Finding] = []
                for entry in entries where entry.sequence > inner.lastSequence {
                    if entry.sequence > inner.lastSequence + 1 {
                        // Another process wrote in between: read its entries first.
                        do { found += try Self.catchUp(&inner, log) } catch {
                            found.append(Self.integrityFinding(at: inner.lastSequence + 1, time: entry.time,
                                                               "entries before \(entry.sequence) could not be read: \(error)"))
                        }
                        if entry.sequence <= inner.lastSequence { continue }
                    }
                    found += Self.take(entry, into: &inner)
                }
                return found
            }
            _ = self.deliver(found)
        }
    }

    /// What the open days and the rules that need the whole history find so far; the monitor can
    /// go on observing afterwards (a later call reports them again, with what came since).
    public func finish() -> [Finding] {
        inner.withLock { inner in Array(inner.state.finish()[inner.state.findings.count...]) }
    }

    /// Writes the state file now (``observe(_:)`` and the others write it after every alert, and
    /// otherwise at most every second).
    public func save() throws { try save(force: true) }

    // MARK: Inside

    private static func take(_ entry: AuditEntry, into inner: inout Inner) -> [Finding] {
        guard entry.sequence > inner.lastSequence else { return [] }
        var found: [Finding] = []
        if !inner.started {
            // The first entry a fresh monitor sees: where it starts, not a gap.
        } else if entry.sequence != inner.lastSequence + 1 {
            found.append(integrityFinding(at: inner.lastSequence + 1, time: entry.time,
                                          "entries \(inner.lastSequence + 1)-\(entry.sequence - 1) never reached the monitor: they are missing from the log"))
        } else if entry.previousHash != inner.lastHash {
            found.append(integrityFinding(at: entry.sequence, time: entry.time,
                                          "its previous-hash does not match entry \(inner.lastSequence) as the monitor saw it: the chain was forked or rewritten"))
        }
        if entry.recomputedHash() != entry.hash {
            found.append(integrityFinding(at: entry.sequence, time: entry.time, "its contents do not match its hash: the entry was altered"))
        }
        inner.state.consume(AuditEvent(entry, symbols: inner.state.symbols))
        inner.lastSequence = entry.sequence
        inner.lastHash = entry.hash
        inner.started = true
        inner.unsaved += 1
        found += inner.state.findings[inner.reportedCount...]
        inner.reportedCount = inner.state.findings.count
        return found
    }

    private static func catchUp(_ inner: inout Inner, _ log: AuditLog) throws -> [Finding] {
        var found: [Finding] = []
        try log.forEachEntry(matching: AuditFilter(afterSequence: inner.lastSequence)) { entry in
            found += take(entry, into: &inner)
        }
        return found
    }

    /// Feeds the rules entries up to `target` without reporting, through the scanner's fast reader,
    /// with the chain checked by the log's verifier; the head hash at `target` is read back.
    /// Returns the verifier's problems up to `target`, as findings (reported unless they were before).
    private static func replay(_ inner: inout Inner, _ log: AuditLog, through target: Int64) throws -> [Finding] {
        guard target > 0 else { return [] }
        struct Stop: Error {}
        var state = inner.state
        do {
            try log.forEachEvent(matching: AuditFilter(afterSequence: inner.lastSequence), symbols: state.symbols) { event in
                if event.sequence > target { throw Stop() }
                state.consume(event)
            }
        } catch is Stop {}
        inner.state = state
        let verification = try log.verify()
        if let head = try log.entry(sequence: min(target, verification.entries)) {
            inner.lastSequence = head.sequence
            inner.lastHash = head.hash
            inner.started = true
        }
        return verification.problems.filter { $0.sequence <= target }.map { problem in
            let time = (try? log.entry(sequence: problem.sequence))?.time ?? Date(timeIntervalSince1970: 0)
            return integrityFinding(at: problem.sequence, time: time, "\(problem.message) (entry \(problem.sequence))")
        }
    }

    private static func integrityFinding(at sequence: Int64, time: Date, _ message: String) -> Finding {
        Finding(rule: DetectionRules.Rule.logIntegrity.rawValue, severity: .critical, actor: "-", from: time, to: time,
                evidence: Evidence(sequences: [sequence], count: 1, orders: []),
                explanation: "The audit log the monitor follows was tampered with: \(message).")
    }

    /// Alerts on the findings not reported before, saves the state, and returns them.
    private func deliver(_ found: [Finding]) -> [Finding] {
        let fresh = inner.withLock { inner in found.filter { inner.reported.insert($0.fingerprint) } }
        if let alert {
            for finding in fresh where finding.severity >= minimumSeverity { alert(finding) }
        }
        try? save(force: !fresh.isEmpty)
        return fresh
    }

    private func save(force: Bool) throws {
        guard let stateFile else { return }
        let snapshot = inner.withLock { inner -> MonitorState? in
            guard let logID = inner.logID, force || (inner.unsaved > 0 && Date().timeIntervalSince(inner.lastSave) >= 1) else { return nil }
            inner.unsaved = 0
            inner.lastSave = Date()
            return MonitorState(logID: logID, lastSequence: inner.lastSequence, lastHash: inner.lastHash, reported: inner.reported.keys)
        }
        try snapshot?.write(to: stateFile)
    }
}

/// The findings a monitor reported, by ``Finding/fingerprint`` (the same when the same entries give
/// the same finding again, as in a replay; the scan's state file keys them alike). The newest 10,000 are kept.
struct ReportedKeys {
    private(set) var keys: [String] = []
    private var set = Set<String>()
    static let limit = 10_000

    init(_ keys: [String] = []) {
        self.keys = Array(keys.suffix(Self.limit))
        set = Set(self.keys)
    }

    /// Adds `key`; `false` if it was there already.
    mutating func insert(_ key: String) -> Bool {
        guard set.insert(key).inserted else { return false }
        keys.append(key)
        if keys.count > Self.limit * 2 {
            keys.removeFirst(keys.count - Self.limit)
            set = Set(keys)
        }
        return true
    }
}

/// The monitor's state file (`format` `buyerguard-monitor-1`).
struct MonitorState: Codable {
    var format = "buyerguard-monitor-1"
    var logID: String
    var lastSequence: Int64
    var lastHash: String
    var reported: [String]

    init(logID: String, lastSequence: Int64, lastHash: String, reported: [String]) {
        self.logID = logID
        self.lastSequence = lastSequence
        self.lastHash = lastHash
        self.reported = reported
    }

    static func read(_ url: URL) throws -> MonitorState? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if FileManager.default.fileExists(atPath: url.path) {
                throw BuyerGuardError(.inputNotFound, "cannot read the monitor's state file", location: url.path)
            }
            return nil
        }
        guard let state = try? JSONDecoder().decode(MonitorState.self, from: data), state.format == "buyerguard-monitor-1" else {
            throw BuyerGuardError(.malformedInput, "not a monitor state file (buyerguard-monitor-1)", location: url.path)
        }
        return state
    }

    /// Written whole: a temporary file beside it, 0600, then renamed over it.
    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw BuyerGuardError(.io, "cannot encode the monitor's state", location: url.path)
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw BuyerGuardError(.io, "cannot write the monitor's state", location: url.path)
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw BuyerGuardError(.io, "cannot write the monitor's state: \(String(cString: strerror(errno)))", location: url.path)
        }
    }
}
