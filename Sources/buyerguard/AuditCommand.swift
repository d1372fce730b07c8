import ArgumentParser
import BuyerGuard
import BuyerGuardDetect
import BuyerGuardReports
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, verify and checkpoint the audit log.",
        subcommands: [Log.self, Verify.self, Checkpoint.self, Pseudonym.self, Scan.self, Report.self, Watch.self])

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find misuse in the audit log: marketing exports, email harvesting, sweeps, probing, canaries, unexplained or stale reads, unusual days.",
            discussion: """
                Rules and their settings: docs/detection.md. Exit codes: 0 no (new) finding at or above --min-severity; \
                8 findings; 5 the log failed its integrity check; 64 usage; 65 a malformed rules, state or canary file.
                """)
        @OptionGroup var location: LogLocation
        @OptionGroup var selection: ScanSelection
        @Option(help: "Report findings at or above: info, low, medium, high, critical.") var minSeverity: String = "low"
        @Option(help: ArgumentHelp("State file: report only findings earlier runs with this file did not (for cron).", valueName: "file"))
        var state: String?
        @OptionGroup var trust: TrustOptions
        @Option(help: ArgumentHelp("text, json or jsonl.", valueName: "format")) var format: String = "text"

        func run() async throws {
            guard ["text", "json", "jsonl"].contains(format) else { throw ValidationError("--format is text, json or jsonl") }
            guard let threshold = Severity(rawValue: minSeverity) else { throw ValidationError("--min-severity is info, low, medium, high or critical") }
            let detection = try selection.detectionRules()
            let ledger = try state.map { try ReportedFindings(contentsOf: URL(fileURLWithPath: $0)) }
            let filter = try selection.filter()

            let external = try trust.exportedCheckpoint()
            let (log, trustedKey) = try await location.open()
            let report = try MisuseScanner(rules: detection)
                .report(log, filter: filter, trustedPublicKey: trust.publicKey ?? trustedKey, checkpoint: external)
            var findings = report.findings.filter { $0.severity >= threshold }
            // Warnings (an untrusted key, an unsigned tail) go to stderr, out of the JSON a SIEM reads.
            for warning in report.verification.warnings { Terminal.warning(warning) }
            if let state, var ledger {
                findings = ledger.takeNew(findings, now: Date())
                try ledger.write(to: URL(fileURLWithPath: state))
            }
            switch format {
            case "json":  // what was covered, then what was found
                print(try JSONOutput.encode(ScanOutput(coverage: report.coverage, findings: findings)))
            case "jsonl":
                for finding in findings { print(try JSONOutput.line(finding)) }
            default:
                let times = ISO8601DateFormatter()
                let period = report.period.map { " from \(times.string(from: $0.lowerBound)) to \(times.string(from: $0.upperBound))" } ?? ""
                print("\(log.url.path): \(report.entriesScanned) entries scanned\(period); "
                      + "chain of \(report.verification.entries) entries and \(report.verification.checkpointsVerified) checkpoints verified")
                print(Self.explanationSummary(report.coverage) + "\n")
                printReport(findings, threshold: threshold)
            }
            if findings.contains(where: { $0.rule == DetectionRules.Rule.logIntegrity.rawValue }) {
                throw ExitStatus.auditTampered.exitCode
            }
            if !findings.isEmpty { throw ExitStatus.findings.exitCode }
        }

        /// `audit scan --format json`: the coverage, then the findings.
        struct ScanOutput: Encodable {
            var coverage: ScanCoverage
            var findings: [Finding]
        }

        /// One line: the explanation rate overall, and the actors and the day it was lowest.
        static func explanationSummary(_ coverage: ScanCoverage) -> String {
            func percent(_ explanation: ScanCoverage.Explanation) -> String {
                explanation.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
            }
            let total = coverage.explanation
            guard total.granted > 0 else { return "explained: no access granted" }
            var line = "explained: \(percent(total)) of \(total.granted) granted accesses"
            let lowest = coverage.byActor.filter { $0.explanation.unexplained > 0 }
                .sorted { ($0.explanation.rate ?? 1, $0.actor) < ($1.explanation.rate ?? 1, $1.actor) }.prefix(3)
            if !lowest.isEmpty {
                line += "; lowest: " + lowest.map { "\(AuditText.escaped($0.actor)) \(percent($0.explanation)) of \($0.explanation.granted)" }
                    .joined(separator: ", ")
            }
            if let day = coverage.byDay.filter({ $0.explanation.unexplained > 0 }).min(by: { ($0.explanation.rate ?? 1, $0.day) < ($1.explanation.rate ?? 1, $1.day) }) {
                line += "; lowest day \(day.day) \(percent(day.explanation))"
            }
            return line
        }

        /// Grouped by severity, then by actor, with the evidence under each finding.
        func printReport(_ findings: [Finding], threshold: Severity) {
            if findings.isEmpty { print("no \(state == nil ? "" : "new ")findings at or above \(threshold.rawValue)"); return }
            let times = ISO8601DateFormatter()
            for severity in Severity.allCases.reversed() {
                let group = findings.filter { $0.severity == severity }
                guard !group.isEmpty else { continue }
                print("\(severity.rawValue.uppercased()) (\(group.count))")
                let actors = group.map(\.actor).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                for actor in actors {
                    print("  \(AuditText.escaped(actor))")
                    for finding in group where finding.actor == actor {
                        print("    [\(finding.rule)] \(times.string(from: finding.from)) – \(times.string(from: finding.to))")
                        print("      \(AuditText.escaped(finding.explanation))")
                        let sequences = finding.evidence.sequences.prefix(10).map(String.init).joined(separator: ", ")
                        let orders = finding.evidence.orders.prefix(5).map(AuditText.escaped).joined(separator: ", ")
                        print("      evidence: \(finding.evidence.count) entries (\(sequences)\(finding.evidence.count > 10 ? ", ..." : ""))"
                              + (orders.isEmpty ? "" : "; orders \(orders)\(finding.evidence.orders.count > 5 ? ", ..." : "")"))
                        if let command = finding.auditLogCommand { print("      see: \(command)") }  // where to read the entries themselves
                    }
                }
            }
            let counts = Severity.allCases.reversed().compactMap { severity -> String? in
                let count = findings.filter { $0.severity == severity }.count
                return count == 0 ? nil : "\(count) \(severity.rawValue)"
            }
            print("\(findings.count) findings: \(counts.joined(separator: ", "))")
        }
    }

    /// What the log's integrity is checked against, beyond its own chain.
    struct TrustOptions: ParsableArguments {
        @Option(help: ArgumentHelp("A checkpoint exported earlier (`audit checkpoint --out`) the log must still contain.", valueName: "file"))
        var checkpoint: String?
        @Option(help: ArgumentHelp("The trusted signing key (hex); default: the vault's, or the checkpoint file's.", valueName: "hex"))
        var publicKey: String?

        func exportedCheckpoint() throws -> AuditCheckpoint? {
            try checkpoint.map { try AuditCheckpoint(contentsOf: URL(fileURLWithPath: $0)) }
        }
    }

    /// Where the log is: `--log FILE` (an auditor's copy, no key needed) or the vault's own.
    struct LogLocation: ParsableArguments {
        @OptionGroup var vault: VaultOptions

        @Option(help: ArgumentHelp("An audit.sqlite to read on its own (no vault or key needed).", valueName: "file"))
        var log: String?

        /// The log, and the vault's trusted signing key when the vault was opened.
        func open() async throws -> (AuditLog, trustedKey: String?) {
            let source = try await openSource()
            return (source.log, source.vault?.auditLog.signingPublicKey)
        }

        /// The log, and the vault when the log is the vault's own.
        func openSource() async throws -> (log: AuditLog, vault: Vault?) {
            if let log { return (try AuditLog.openForReading(at: URL(fileURLWithPath: log)), nil) }
            let vault = try await vault.openVault()
            return (vault.auditLog, vault)
        }
    }

    /// The rules a scan or a watch runs, and the canaries it knows.
    struct RuleOptions: ParsableArguments {
        @Option(help: ArgumentHelp("Rules file (TOML): thresholds, business hours, rules switched off.", valueName: "file"))
        var rules: String?
        @Option(help: ArgumentHelp("Canary list written by `canary add` (one order id a line).", valueName: "file"))
        var canaries: String?
        @Option(parsing: .upToNextOption, help: "Canary order ids: any access to one is critical.") var canary: [String] = []

        func detectionRules() throws -> DetectionRules {
            var detection = try rules.map { try DetectionRules(contentsOf: URL(fileURLWithPath: $0)) } ?? DetectionRules()
            detection.canaryOrders.formUnion(canary)
            if let canaries { detection.canaryOrders.formUnion(try Vault.readCanaryList(at: URL(fileURLWithPath: canaries)).map(\.rawValue)) }
            return detection
        }
    }

    /// Which entries a scan reads and with which rules: the options `scan` and `report` share.
    struct ScanSelection: ParsableArguments {
        @Option(help: "Only this actor.") var actor: String?
        @Option(help: "From this time (ISO 8601).") var from: String?
        @Option(help: "Before this time (ISO 8601).") var to: String?
        @OptionGroup var rules: RuleOptions

        func detectionRules() throws -> DetectionRules { try rules.detectionRules() }

        func filter() throws -> AuditFilter {
            AuditFilter(actor: actor, from: try ISO8601DateFormatter.commandLineDate(from), to: try ISO8601DateFormatter.commandLineDate(to))
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries, filtered, as a table or JSON Lines.")
        @OptionGroup var location: LogLocation
        @Option(help: "Only this actor.") var actor: String?
        @Option(help: "Only this purpose (shipping, order-messaging, customer-support, marketing, ...).") var purpose: String?
        @Option(help: "Only this order.") var order: String?
        @Option(help: "Only this buyer pseudonym (see `audit pseudonym`).") var buyer: String?
        @Option(help: "Only granted, denied, failed or event.") var decision: String?
        @Option(help: "From this time (ISO 8601).") var from: String?
        @Option(help: "Before this time (ISO 8601).") var to: String?
        @Option(help: ArgumentHelp("table or jsonl.", valueName: "format")) var format: String = "table"

        func run() async throws {
            guard ["table", "jsonl"].contains(format) else { throw ValidationError("--format is table or jsonl") }
            var decisionFilter: AuditDecision?
            if let decision {
                guard let parsed = AuditDecision(rawValue: decision) else { throw ValidationError("--decision is granted, denied, failed or event") }
                decisionFilter = parsed
            }
            let filter = AuditFilter(actor: actor, purpose: purpose, orderID: order, buyer: buyer, decision: decisionFilter,
                                     from: try ISO8601DateFormatter.commandLineDate(from), to: try ISO8601DateFormatter.commandLineDate(to))
            let (log, _) = try await location.open()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let times = ISO8601DateFormatter()
            if format == "table" {
                print(["seq", "time", "actor", "role", "purpose", "order", "decision", "reason", "fields/details", "explanation", "identity"].joined(separator: "\t"))
            }
            try log.forEachEntry(matching: filter) { entry in
                if format == "jsonl" {
                    print(String(decoding: try encoder.encode(entry), as: UTF8.self))
                } else {
                    let purpose = [entry.purpose ?? entry.kind, entry.messageKind, entry.caseID].compactMap { $0 }.joined(separator: ":")
                    let fields = entry.decision == .granted ? entry.fieldsReleased : entry.fieldsAsked
                    let last = entry.decision == .event ? (entry.details ?? "") : fields.joined(separator: ",")
                    // Every column escaped: a tab or newline in a logged text must not make a column or a row.
                    print([String(entry.sequence), times.string(from: entry.time), entry.actor, entry.role ?? "-", purpose,
                           entry.orderID ?? "-", entry.decision.rawValue, entry.reason ?? "-", last, entry.explanation ?? "-", entry.identity ?? "-"]
                        .map(AuditText.escaped).joined(separator: "\t"))
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the whole hash chain and every checkpoint signature; exit 5 if the log was tampered with.")
        @OptionGroup var location: LogLocation
        @OptionGroup var trust: TrustOptions
        @Option(help: ArgumentHelp("Output: text or json.", valueName: "format")) var format: OutputFormat = .text

        func run() async throws {
            let external = try trust.exportedCheckpoint()
            let (log, trustedKey) = try await location.open()
            let started = ContinuousClock.now
            let report = try log.verify(trustedPublicKey: trust.publicKey ?? trustedKey, checkpoint: external)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            switch format {
            case .json:
                print(try JSONOutput.encode(report))
            case .text:
                print("\(log.url.path): \(report.entries) entries, head \(report.headHash.prefix(16))…, \(report.checkpointsVerified) checkpoints checked in \(String(format: "%.2f", seconds)) s")
                for warning in report.warnings { print("warning: \(warning)") }
                for problem in report.problems { print("TAMPERED: \(problem)") }
                print(report.isIntact ? "OK: the log is intact" : "FAILED: the log was altered (first problem at entry \(report.problems.map(\.sequence).min() ?? 0))")
            }
            if !report.isIntact { throw ExitStatus.auditTampered.exitCode }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the log's current size and head hash; with --out, write it to a file to keep elsewhere.")
        @OptionGroup var options: VaultOptions
        @Option(help: ArgumentHelp("Write the checkpoint (JSON) here.", valueName: "file")) var out: String?

        func run() async throws {
            let vault = try await options.openVault()
            let file = try out.map(SecretOutput.create)  // a bad path fails before anything is signed
            let checkpoint: AuditCheckpoint
            do { checkpoint = try await vault.auditLog.checkpoint() } catch {
                file?.abandon()
                throw error
            }
            try file?.finish(writing: try checkpoint.jsonData())
            print("checkpoint: \(checkpoint.entryCount) entries, head \(checkpoint.headHash), key \(checkpoint.publicKey)")
        }
    }

    struct Pseudonym: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the pseudonym under which a buyer appears in the audit log.")
        @OptionGroup var options: VaultOptions
        @OptionGroup var email: EmailInput
        @Option(help: "Who looks it up, as recorded in the audit log.") var actor: String = "buyerguard-cli"

        func validate() throws {
            if !email.isGiven { throw ValidationError("give --email or --email-file") }
        }

        func run() async throws {
            let address = try email.read()!
            let vault = try await options.openVault(actingAs: actor, for: "audit pseudonym")
            guard let pseudonym = try await vault.auditPseudonym(forEmail: address, actor: actor) else {
                throw BuyerGuardError(.orderNotFound, "no buyer with that email in the vault")
            }
            print(pseudonym)
        }
    }
}
