public import BuyerGuard
public import BuyerGuardDetect
public import Foundation

/// What an auditor reads about a vault's audit log: what was covered and whether the log verified,
/// how much of the access the orders' state explains, who did what on which day, the findings
/// with their evidence, denials by reason, retention and keys. ``AuditReportPage`` renders it as
/// one self-contained HTML file (`buyerguard audit report`).
///
/// Counts, actors, order ids, rule names and times only: no personal data, no pseudonym of a buyer
/// and nothing that needs the vault key to read.
public struct AuditReport: Sendable, Codable {
    /// What the report covers.
    public struct Coverage: Sendable, Codable {
        /// The vault's id, when the report was made from the vault (not from a copy of the log alone).
        public var vaultID: String?
        /// The log's id (the vault binds it).
        public var logID: String
        /// Entries in the whole log.
        public var entriesInLog: Int64
        /// Entries the rules read (those inside the filter).
        public var entriesCovered: Int
        /// The first and the newest entry covered.
        public var firstEntry: Date?
        /// The newest entry covered.
        public var lastEntry: Date?
        /// The filter asked for: an actor, a start, an end (as given).
        public var actor: String?
        /// Start of the filter, if any.
        public var from: Date?
        /// End of the filter, if any.
        public var to: Date?
        /// Canary orders the scan watched (their number, never which).
        public var canaries: Int
        /// Rules switched off by the rules file.
        public var rulesDisabled: [String]
        /// The rules' fixed offset from UTC in hours, used when no ``timeZone`` is named.
        public var utcOffsetHours: Int
        /// The time zone days and hours in ``AccessActivity`` are counted in: an IANA name
        /// (`Europe/Rome`) or a fixed offset (`UTC+1`).
        public var timeZone: String?
        /// When the report was made.
        public var generatedAt: Date
    }

    /// Whether the log is whole and untouched, and against what.
    public struct Integrity: Sendable, Codable {
        /// The verification of the whole chain and every checkpoint signature.
        public var verification: AuditVerification
        /// The newest checkpoint signed into the log: its entry count and time.
        public var newestCheckpointEntries: Int64?
        /// When the newest checkpoint was signed.
        public var newestCheckpointTime: Date?
        /// The exported checkpoint the log was also checked against (`--checkpoint`), if any.
        public var exportedCheckpoint: ExportedCheckpoint?
        /// The key checkpoints were required to be signed with, if one was trusted.
        public var trustedPublicKey: String?
    }

    /// An exported checkpoint, as the report names it.
    public struct ExportedCheckpoint: Sendable, Codable {
        /// Entries it covers.
        public var entryCount: Int64
        /// The head hash it signs.
        public var headHash: String
        /// When it was signed.
        public var time: Date
    }

    /// One maintenance entry of the log (an import, a purge, an erasure, a key rotation, ...).
    public struct Maintenance: Sendable, Codable {
        /// Its sequence in the log.
        public var sequence: Int64
        /// When.
        public var time: Date
        /// The event kind (`purge`, `erase`, `key-rotation-finished`, ...).
        public var kind: String
        /// Who ran it.
        public var actor: String
        /// Its counts and settings; for an erasure, the number of orders, never their ids or the buyer.
        public var details: [String: String]
    }

    /// Keys: the versions the vault holds and the log's record of rotations.
    public struct Keys: Sendable, Codable {
        /// The data key versions, when the report was made from the vault.
        public var versions: [VaultStatistics.KeyVersion]?
        /// The libsodium version that seals them, when the report was made from the vault.
        public var sodiumVersion: String?
        /// Rotations, retirements and rewraps in the period.
        public var events: [Maintenance]
    }

    /// Retention: where the vault stands and the purges and erasures in the period.
    public struct Retention: Sendable, Codable {
        /// The vault's retention status now, when the report was made from the vault.
        public var status: RetentionStatus?
        /// Purges, erasures and interrupted jobs in the period.
        public var runs: [Maintenance]
    }

    /// What the report covers.
    public var coverage: Coverage
    /// Whether the log verified.
    public var integrity: Integrity
    /// The per-actor, per-day picture.
    public var activity: AccessActivity
    /// Every finding, most severe first.
    public var findings: [Finding]
    /// Retention.
    public var retention: Retention
    /// Keys.
    public var keys: Keys
    /// Other maintenance in the period (imports, canaries planted, the vault's creation).
    public var otherMaintenance: [Maintenance]

    /// Scans `log` with `scanner` (every rule and the integrity check, one pass) and gathers the
    /// report. With `vault`, the retention status and the key versions are added; without, the
    /// report covers what the log alone shows.
    ///
    /// - Parameters:
    ///   - filter: the part of the log to cover (actor, period).
    ///   - trustedPublicKey, checkpoint: what integrity is checked against, as for ``AuditLog/verify(trustedPublicKey:checkpoint:)``.
    ///   - policy: the retention rule the status is measured against.
    ///   - progress: called with entries read so far on long runs.
    public static func make(
        log: AuditLog, vault: Vault? = nil, scanner: MisuseScanner = MisuseScanner(), filter: AuditFilter = AuditFilter(),
        trustedPublicKey: String? = nil, checkpoint: AuditCheckpoint? = nil, policy: AccessPolicy = AccessPolicy(),
        now: Date = Date(), progress: ((Int) -> Void)? = nil
    ) async throws -> AuditReport {
        let trusted = trustedPublicKey ?? log.signingPublicKey
        let scan = try scanner.report(log, filter: filter, trustedPublicKey: trusted, checkpoint: checkpoint, progress: progress)
        let newest = try log.newestCheckpoint()
        let maintenance = try scan.activity.maintenance.compactMap { try log.entry(sequence: $0).map(Maintenance.init) }
        let keyKinds = Set([AuditEventKind.keyRotationStarted, .keyRotationFinished, .keyRetired, .masterKeyRewrapped].map(\.rawValue))
        let retentionKinds = Set([AuditEventKind.purge, .erase, .jobInterrupted].map(\.rawValue))
        let statistics = try await vault?.statistics()
        return AuditReport(
            coverage: Coverage(
                vaultID: vault?.vaultID, logID: log.logID, entriesInLog: try await log.count(), entriesCovered: scan.entriesScanned,
                firstEntry: scan.period?.lowerBound, lastEntry: scan.period?.upperBound, actor: filter.actor, from: filter.from, to: filter.to,
                canaries: scanner.rules.canaryOrders.count, rulesDisabled: scanner.rules.disabled.map(\.rawValue).sorted(),
                utcOffsetHours: scanner.rules.utcOffsetHours, timeZone: scanner.rules.timeZoneName, generatedAt: now),
            integrity: Integrity(
                verification: scan.verification, newestCheckpointEntries: newest?.entryCount, newestCheckpointTime: newest?.time,
                exportedCheckpoint: checkpoint.map {
                    ExportedCheckpoint(entryCount: $0.entryCount, headHash: $0.headHash,
                                       time: Date(timeIntervalSince1970: TimeInterval($0.timeMillis) / 1000))
                },
                trustedPublicKey: trusted),
            activity: scan.activity,
            findings: scan.findings,
            retention: Retention(status: try await vault?.retentionStatus(policy: policy),
                                 runs: maintenance.filter { retentionKinds.contains($0.kind) }),
            keys: Keys(versions: statistics?.keys, sodiumVersion: statistics?.sodiumVersion,
                       events: maintenance.filter { keyKinds.contains($0.kind) }),
            otherMaintenance: maintenance.filter { !keyKinds.contains($0.kind) && !retentionKinds.contains($0.kind) })
    }

    /// The findings at `severity`.
    public func findings(_ severity: Severity) -> [Finding] {
        findings.filter { $0.severity == severity }
    }
}

extension AuditReport.Maintenance {
    /// The entry's kind, actor, time and details: counts, and the few named settings in
    /// ``shown``; anything else is left out, so a detail added later never reaches a report
    /// unless it is listed. An erasure's order ids become their number; its buyer pseudonym is
    /// never shown (a report names no buyer).
    public init(_ entry: AuditEntry) {
        var details: [String: String] = [:]
        if let text = entry.details, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            for (key, value) in object {
                guard let value = value as? String else { continue }
                if Self.shown.contains(key) || (!value.isEmpty && value.allSatisfy(\.isNumber)) { details[key] = value }
            }
            if let orders = object["orders"] as? String, entry.kind == AuditEventKind.erase.rawValue {
                details["orders"] = String(orders.split(separator: ",").count)
            }
        }
        self.init(sequence: entry.sequence, time: entry.time, kind: entry.kind, actor: entry.actor, details: details)
    }

    /// Detail keys shown whatever their value: the imported file's name, the keys a rotation
    /// covers, the job an interruption concerns, a retired key's name and version.
    static let shown: Set<String> = ["file", "keys", "key", "version", "job", "operation", "outcome"]
}

extension Finding {
    /// The `buyerguard audit log` command that lists this finding's entries (its actor, from its
    /// start to a second after its end), shell-quoted; `nil` for findings about the log itself.
    public var auditLogCommand: String? {
        guard actor != "-" else { return nil }
        let times = ISO8601DateFormatter()
        return "buyerguard audit log --actor \(ShellText.quoted(actor)) --from \(times.string(from: from)) --to \(times.string(from: to.addingTimeInterval(1)))"
    }
}
