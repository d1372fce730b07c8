public import BuyerGuard
public import BuyerGuardDetect
public import Foundation

/// The evidence a seller attaches to the marketplace's data-protection review (the questionnaire
/// every seller answers before it may receive buyer PII through the API): encryption at rest,
/// access control, logging, retention, monitoring and incident response, each item made from the
/// vault and its log, saying what it proves and what the seller must still add by hand.
/// `buyerguard compliance evidence` writes it as Markdown and JSON; `docs/compliance.md` lists
/// which questionnaire topics it covers and which it cannot.
public struct ComplianceEvidence: Sendable, Codable {
    /// A questionnaire topic.
    public enum Topic: String, Sendable, Codable, CaseIterable {
        /// Encryption at rest and key management.
        case encryptionAtRest = "encryption-at-rest"
        /// Need-to-know access: who may use buyer data for what.
        case accessControl = "access-control"
        /// Logging of access to buyer data.
        case logging
        /// Retention and deletion.
        case retention
        /// Monitoring for misuse.
        case monitoring
        /// Incident response.
        case incidentResponse = "incident-response"

        /// The topic's heading.
        public var title: String {
            switch self {
            case .encryptionAtRest: "Encryption at rest"
            case .accessControl: "Access control (need to know)"
            case .logging: "Logging"
            case .retention: "Retention and deletion"
            case .monitoring: "Monitoring"
            case .incidentResponse: "Incident response"
            }
        }
    }

    /// How far an item answers its question from the vault alone.
    public enum Standing: String, Sendable, Codable, CaseIterable {
        /// The vault and its log show it.
        case evidenced
        /// The vault shows part of it; the seller adds the rest.
        case partial
        /// The vault shows something the seller should fix before answering (a purge overdue, a tampered log).
        case attention
        /// Only the seller can answer it.
        case manual
    }

    /// One answer.
    public struct Item: Sendable, Codable {
        /// A stable id (`encryption-at-rest.fields`, ...).
        public var id: String
        /// The topic.
        public var topic: Topic
        /// The question it answers.
        public var question: String
        /// The facts read from the vault and the log.
        public var facts: [Fact]
        /// What these facts prove.
        public var proves: String
        /// What the seller must still add by hand.
        public var sellerMustAdd: String
        /// How far it answers.
        public var standing: Standing
    }

    /// One fact: a name and its value.
    public struct Fact: Sendable, Codable {
        /// What it is.
        public var name: String
        /// Its value.
        public var value: String
    }

    /// Format of this evidence.
    public var format = "buyerguard-compliance-evidence-v1"
    /// The vault.
    public var vaultID: String
    /// When it was made.
    public var generatedAt: Date
    /// The period the log's figures cover.
    public var periodFrom: Date?
    /// End of the period.
    public var periodTo: Date?
    /// The answers, topic by topic.
    public var items: [Item]
    /// Questionnaire topics BuyerGuard holds no evidence for.
    public var notCovered: [String]

    /// Where the master key lives, as the seller's command line chose it.
    public enum MasterKeyLocation: Sendable, Codable, Equatable {
        /// A key file (its path; never its content), and whether it lies outside the vault folder.
        case keyFile(path: String, outsideVault: Bool)
        /// An environment variable.
        case environment(variable: String)
        /// Derived from a passphrase with Argon2id.
        case passphrase
        /// Supplied by the app's own ``KeyProvider`` (a KMS, a secret store).
        case provider(String)

        var description: String {
            switch self {
            case .keyFile(let path, let outside):
                "a key file at \(path) (BuyerGuard refuses one that group or others can read)"
                    + (outside ? ", outside the vault folder" : "; it is INSIDE the vault folder, so a copy of the folder opens the vault: move it")
            case .environment(let variable): "the environment variable \(variable), set by the service that runs BuyerGuard"
            case .passphrase: "derived from a passphrase with Argon2id (libsodium crypto_pwhash); the passphrase is stored nowhere"
            case .provider(let name): "supplied by \(name)"
            }
        }
    }

    /// What a scan state file (`audit scan --state`) shows of the scan schedule.
    public struct ScanSchedule: Sendable, Codable {
        /// Runs recorded in the file.
        public var runs: Int
        /// The newest run.
        public var lastRun: Date?
        /// The median time between runs.
        public var typicalInterval: TimeInterval?

        /// The schedule a state file shows.
        public init(_ state: ReportedFindings) {
            let runs = state.runs.sorted()
            self.runs = runs.count
            lastRun = runs.last
            let gaps = zip(runs.dropFirst(), runs).map { $0.timeIntervalSince($1) }.sorted()
            typicalInterval = gaps.isEmpty ? nil : gaps[gaps.count / 2]
        }
    }

    /// Builds the evidence from an audit report of the period (``AuditReport/make(log:vault:scanner:filter:trustedPublicKey:checkpoint:policy:now:progress:)``,
    /// made from the vault), the access policy, where the master key lives, and optionally the scan schedule.
    public init(report: AuditReport, policy: AccessPolicy, masterKey: MasterKeyLocation, schedule: ScanSchedule?) {
        vaultID = report.coverage.vaultID ?? report.coverage.logID
        generatedAt = report.coverage.generatedAt
        periodFrom = report.coverage.from ?? report.coverage.firstEntry
        periodTo = report.coverage.to ?? report.coverage.lastEntry
        let now = report.coverage.generatedAt
        let times = ISO8601DateFormatter()
        func time(_ date: Date?) -> String { date.map(times.string) ?? "never" }
        func days(_ since: Date) -> String { "\(Int(max(0, now.timeIntervalSince(since)) / 86_400)) days" }
        var items: [Item] = []

        // Encryption at rest.
        let keys = report.keys.versions ?? []
        let live = keys.filter { $0.retiredAt == nil }
        items.append(Item(
            id: "encryption-at-rest.fields", topic: .encryptionAtRest,
            question: "Is buyer PII encrypted at rest?",
            facts: [
                Fact(name: "fields sealed", value: ContactField.allCases.filter(ContactField.stored.contains).map(\.rawValue).joined(separator: ", ")
                     + "; the buyer's own phone number is not stored at all"),
                Fact(name: "algorithm", value: "XChaCha20-Poly1305 (AEAD) per field, a fresh random 192-bit nonce per value, the record (order or buyer) and the field bound as associated data"),
                Fact(name: "library", value: "libsodium \(report.keys.sodiumVersion ?? "(version not known: the report was made without the vault)")"),
                Fact(name: "email lookup", value: "a keyed BLAKE2b blind index (no plaintext index)"),
                Fact(name: "data key versions", value: live.map { "\($0.role) v\($0.version)\($0.isPrimary ? " (primary)" : "") created \(time($0.createdAt)), \(days($0.createdAt)) old" }.joined(separator: "; ")),
            ],
            proves: "Buyer PII is stored only as ciphertext in the vault's database files, field by field; a copy of the files without the master key reveals no buyer's data.",
            sellerMustAdd: "Disk or volume encryption and backup encryption of the machine that runs the vault, and where backups are kept.",
            standing: keys.isEmpty ? .partial : .evidenced))
        items.append(Item(
            id: "encryption-at-rest.master-key", topic: .encryptionAtRest,
            question: "Where do the encryption keys live and who can use them?",
            facts: [
                Fact(name: "master key", value: masterKey.description),
                Fact(name: "data keys", value: "wrapped (XChaCha20-Poly1305) under a key derived from the master key (libsodium crypto_kdf) and kept inside the vault; the master key itself encrypts nothing"),
            ],
            proves: "The keys that decrypt buyer PII are not stored beside it in clear; whoever lacks the master key cannot read the vault.",
            sellerMustAdd: "Who can read the key file or set the variable (accounts, machines), how the master key is backed up, and how it is revoked when staff leave.",
            standing: masterKey.isInsideVault ? .attention : .partial))
        let rotations = report.keys.events.filter { $0.kind == AuditEventKind.keyRotationFinished.rawValue }
        let oldestLive = live.filter { $0.role == "field" && $0.isPrimary }.map(\.createdAt).min()
        items.append(Item(
            id: "encryption-at-rest.rotation", topic: .encryptionAtRest,
            question: "Are keys rotated?",
            facts: [
                Fact(name: "primary field key age", value: oldestLive.map(days) ?? "unknown"),
                Fact(name: "rotations finished in the period", value: "\(rotations.count)" + (rotations.last.map { ", the last at \(time($0.time))" } ?? "")),
                Fact(name: "key versions retired in the period", value: "\(report.keys.events.filter { $0.kind == AuditEventKind.keyRetired.rawValue }.count)"),
                Fact(name: "master key rewraps in the period", value: "\(report.keys.events.filter { $0.kind == AuditEventKind.masterKeyRewrapped.rawValue }.count)"),
            ],
            proves: "When keys were last rotated, from the vault's own key table and the audit log's rotation entries.",
            sellerMustAdd: "The rotation schedule the seller commits to (for example yearly, and at once after a suspected leak).",
            standing: .evidenced))

        // Access control.
        var roleFacts = policy.roles.values.sorted { $0.name < $1.name }.map {
            Fact(name: "role \($0.name)", value: "may use " + $0.purposes.sorted().joined(separator: ", "))
        }
        if roleFacts.isEmpty {
            roleFacts.append(Fact(name: "roles", value: "none defined: every actor may use the three permitted purposes (define roles in the policy file to narrow them)"))
        }
        roleFacts.append(Fact(name: "actors bound to roles", value: "\(policy.actorRoles.count)" + (policy.requireRole ? " (an actor without a role is refused)" : "")))
        roleFacts.append(Fact(name: "identities bound to actors", value: "\(policy.identityActors.count)" + (policy.requireIdentity ? " (a request without an authenticated identity is refused)" : "")))
        let permitted: [Purpose] = [.shipping, .orderMessaging(.shipmentDelay), .customerSupport(caseID: "case")]
        roleFacts.append(Fact(name: "purposes and fields", value: permitted.map { purpose in
            "\(purpose.family): " + purpose.allowedFields.sorted().map(\.rawValue).joined(separator: ", ")
        }.joined(separator: "; ") + "; every other purpose (marketing, export, ...) is refused"))
        roleFacts.append(Fact(name: "order state checks", value: "no shipping data after \(Int(policy.shippingGraceAfterDelivery / 86_400)) days past delivery; nothing after the retention end"))
        items.append(Item(
            id: "access-control.purposes", topic: .accessControl,
            question: "Is access to buyer PII limited to those who need it, for the purposes the marketplace allows?",
            facts: roleFacts,
            proves: "Every read goes through a broker that releases only the fields the stated purpose needs, only to roles the policy allows, and refuses marketing, exports and unknown purposes.",
            sellerMustAdd: policy.roles.isEmpty
                ? "Which staff and services act under which role, how they authenticate to the seller's app, and a policy file with roles (none is defined yet)."
                : "How staff and services authenticate to the seller's app, and how accounts are removed when people leave.",
            standing: policy.roles.isEmpty ? .partial : .evidenced))
        let totals = report.activity.totals
        items.append(Item(
            id: "access-control.enforced", topic: .accessControl,
            question: "Is the policy enforced in practice?",
            facts: [
                Fact(name: "requests granted", value: "\(totals.granted)"),
                Fact(name: "requests denied", value: "\(totals.denied)" + (report.activity.denialsByReason.isEmpty ? "" : " ("
                    + AccessActivity.ranked(report.activity.denialsByReason).map { "\($0.name) \($0.count)" }.joined(separator: ", ") + ")")),
                Fact(name: "explained by the order's state", value: totals.explainedShare.map { String(format: "%.1f%% of granted requests", $0 * 100) } ?? "no request granted"),
                Fact(name: "actors", value: "\(report.activity.actors.count)"),
            ],
            proves: "The broker refused what the policy forbids, and the log shows how much of what it granted the orders' state explains.",
            sellerMustAdd: "Nothing for the figures; explain any denials the seller's own staff caused.",
            standing: .evidenced))

        // Logging.
        let verification = report.integrity.verification
        items.append(Item(
            id: "logging.audit-log", topic: .logging,
            question: "Is every access to buyer PII logged, and can the log be trusted?",
            facts: [
                Fact(name: "what is logged", value: "every request (granted, denied or failed): actor, role, authenticated identity, purpose, fields asked and released, order, buyer pseudonym, reason, time"),
                Fact(name: "durability", value: "the entry is committed before any plaintext is released; if it cannot be written, the access fails"),
                Fact(name: "tamper evidence", value: "a BLAKE2b hash chain over every entry, and Ed25519-signed checkpoints"),
                Fact(name: "entries", value: "\(verification.entries)"),
                Fact(name: "verified", value: "\(time(now)): \(verification.isIntact ? "intact" : "FAILED (\(verification.problems.count) problems)"), head \(verification.headHash), \(verification.checkpointsVerified) checkpoints"),
                Fact(name: "newest checkpoint", value: report.integrity.newestCheckpointTime.map { "\(time($0)) at entry \(report.integrity.newestCheckpointEntries ?? 0)" } ?? "none"),
                Fact(name: "exported checkpoint checked", value: report.integrity.exportedCheckpoint.map { "entry \($0.entryCount), signed \(time($0.time)): the log still contains it" } ?? "none given"),
                Fact(name: "how long the log is kept", value: "for the life of the vault: entries are never deleted or changed; a purge removes PII from orders, not log entries (which hold no PII)"),
            ],
            proves: verification.isIntact
                ? "Access to buyer PII is logged completely, and the log verified intact against its own chain and signatures at the time of this evidence."
                : "The log FAILED verification: it was altered. Do not submit this evidence before the incident is handled.",
            sellerMustAdd: "Where exported checkpoints are kept (off the vault's machine), and who reviews the log how often.",
            standing: verification.isIntact ? (report.integrity.exportedCheckpoint == nil ? .partial : .evidenced) : .attention))

        // Retention.
        if let status = report.retention.status {
            let purges = report.retention.runs.filter { $0.kind == AuditEventKind.purge.rawValue }
            let erasures = report.retention.runs.filter { $0.kind == AuditEventKind.erase.rawValue }
            items.append(Item(
                id: "retention.rule", topic: .retention,
                question: "How long is buyer PII kept, and is it deleted when that time ends?",
                facts: [
                    Fact(name: "rule", value: "\(status.retentionDaysAfterDelivery) days after delivery, \(status.retentionDaysWithoutDelivery) days after purchase for orders never delivered"),
                    Fact(name: "orders holding PII", value: "\(status.ordersWithPII)"),
                    Fact(name: "orders past their retention end", value: "\(status.ordersPastRetention)"),
                    Fact(name: "earliest retention end among PII held", value: time(status.oldestRetentionEnd)),
                    Fact(name: "orders with no date to judge", value: "\(status.ordersWithoutDates)"),
                    Fact(name: "purges in the period", value: "\(purges.count)" + (purges.last.map { ", the last at \(time($0.time)) (\($0.details["orders"] ?? "?") orders)" } ?? "")),
                    Fact(name: "orders whose PII was removed", value: status.ordersWithPIIRemoved.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ").nonEmpty ?? "none"),
                ],
                proves: status.ordersPastRetention > 0
                    ? "\(status.ordersPastRetention) orders hold PII past the retention rule: run `buyerguard purge` (and schedule it daily) before answering."
                    : "No buyer PII is held past the retention rule"
                        + (purges.isEmpty ? " (no purge ran in the period: nothing was due yet, or the schedule is missing)." : "; the purges of the period are logged.")
                        + (status.ordersWithoutDates > 0 ? " \(status.ordersWithoutDates) orders hold PII with no date to judge them by: record their delivery or erase them." : ""),
                sellerMustAdd: "The written retention policy, and that `buyerguard purge` runs on a schedule (cron or the app).",
                standing: status.ordersPastRetention > 0 ? .attention : (purges.isEmpty || status.ordersWithoutDates > 0) ? .partial : .evidenced))
            items.append(Item(
                id: "retention.erasure", topic: .retention,
                question: "Can a buyer's data be erased on request?",
                facts: [
                    Fact(name: "erasures in the period", value: "\(erasures.count)"),
                    Fact(name: "how", value: "`buyerguard erase --email` or `--order`: every order of the buyer loses its PII at once; the log records the order ids, never the email"),
                ],
                proves: "Erasure requests can be carried out and each one is logged.",
                sellerMustAdd: "How buyers reach the seller with a request, and the response time committed to.",
                standing: .partial))
        }

        // Monitoring.
        var monitoring = [
            Fact(name: "findings in the period", value: Severity.allCases.reversed().map { "\($0.rawValue) \(report.findings($0).count)" }.joined(separator: ", ")),
            Fact(name: "rules run", value: DetectionRules.Rule.allCases.map(\.rawValue).filter { !report.coverage.rulesDisabled.contains($0) }.joined(separator: ", ")),
            Fact(name: "rules switched off", value: report.coverage.rulesDisabled.isEmpty ? "none" : report.coverage.rulesDisabled.joined(separator: ", ")),
            Fact(name: "canary orders planted in the period", value: "\(report.otherMaintenance.filter { $0.kind == AuditEventKind.canariesPlanted.rawValue }.compactMap { Int($0.details["count"] ?? "") }.reduce(0, +))"),
        ]
        if let schedule {
            monitoring.append(Fact(name: "scheduled scans", value: "\(schedule.runs) runs recorded, the last at \(time(schedule.lastRun))"
                                   + (schedule.typicalInterval.map { String(format: ", typically every %.1f hours", $0 / 3600) } ?? "")))
        } else {
            monitoring.append(Fact(name: "scheduled scans", value: "no scan state file given (pass --state with the file the daily `audit scan --state` uses)"))
        }
        let serious = report.findings.filter { $0.severity >= .high }.count
        // A schedule counts only when scans ran, the newest within two days of this evidence.
        let scheduled = schedule.map { $0.runs > 0 && now.timeIntervalSince($0.lastRun ?? .distantPast) <= 2 * 86_400 } ?? false
        items.append(Item(
            id: "monitoring.scans", topic: .monitoring,
            question: "Is access to buyer PII monitored for misuse?",
            facts: monitoring,
            proves: "The log is scanned for misuse with the rules listed; the findings of the period are counted above.",
            sellerMustAdd: "Who receives the findings, how fast they act on a high or critical one" + (serious > 0 ? ", and what was done about the \(serious) high or critical findings of the period." : "."),
            standing: serious > 0 ? .attention : scheduled ? .evidenced : .partial))

        // Incident response.
        items.append(Item(
            id: "incident-response.plan", topic: .incidentResponse,
            question: "What happens when buyer PII is misused or leaked?",
            facts: [
                Fact(name: "what BuyerGuard gives", value: "findings with evidence (`audit scan`), the entries behind them (`audit log`), integrity verification against exported checkpoints (`audit verify --checkpoint`), key rotation (`keys rotate`) and erasure"),
            ],
            proves: "The tools to investigate an incident and to contain it (rotate keys, refuse an actor by policy) exist.",
            sellerMustAdd: "The incident response plan itself: who is called, how the marketplace and buyers are told (within the marketplace's and the law's deadlines, e.g. 72 hours under GDPR), and how it is rehearsed.",
            standing: .manual))
        self.items = items
        notCovered = [
            "network security of the seller's systems (firewalls, TLS, remote access)",
            "endpoint and device security of staff computers",
            "staff training and confidentiality agreements",
            "vendors and sub-processors that receive buyer data outside BuyerGuard",
            "physical security of premises and printed labels",
            "secure development practices of the seller's own app",
        ]
    }

    /// The evidence as Markdown, one section a topic.
    public func markdown() -> String {
        let times = ISO8601DateFormatter()
        var text = "# Data-protection evidence\n\n"
        text += "Vault `\(vaultID)`, generated \(times.string(from: generatedAt)) by `buyerguard compliance evidence`."
        if let periodFrom, let periodTo { text += " The log's figures cover \(times.string(from: periodFrom)) to \(times.string(from: periodTo))." }
        text += "\nIt holds counts, settings and times: no buyer's personal data.\n\n"
        text += "| item | standing |\n|---|---|\n"
        for item in items { text += "| \(item.id) | \(item.standing.rawValue) |\n" }
        for topic in Topic.allCases {
            let topicItems = items.filter { $0.topic == topic }
            guard !topicItems.isEmpty else { continue }
            text += "\n## \(topic.title)\n"
            for item in topicItems {
                text += "\n### \(item.question)\n\n`\(item.id)`: **\(item.standing.rawValue)**\n\n"
                for fact in item.facts { text += "- \(Self.escaped(fact.name)): \(Self.escaped(fact.value))\n" }
                text += "\n**What it proves.** \(item.proves)\n\n**What the seller must add.** \(item.sellerMustAdd)\n"
            }
        }
        text += "\n## Not covered by BuyerGuard\n\n"
        for topic in notCovered { text += "- \(topic)\n" }
        return text
    }

    /// Text from the vault (actor and role names, paths) made inert in Markdown.
    static func escaped(_ text: String) -> String {
        var output = ""
        for character in AuditText.escaped(text) {
            if "\\`*_[]<>|#".contains(character) { output.append("\\") }
            output.append(character)
        }
        return output
    }

    /// The evidence as JSON (sorted keys, ISO 8601 dates).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

extension ComplianceEvidence.MasterKeyLocation {
    var isInsideVault: Bool {
        if case .keyFile(_, let outside) = self { return !outside }
        return false
    }
}
