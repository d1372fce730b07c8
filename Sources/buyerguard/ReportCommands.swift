import ArgumentParser
import BuyerGuard
import BuyerGuardDetect
import BuyerGuardReports
import Foundation

extension ReportLanguage: ExpressibleByArgument {}

extension AuditCommand {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the audit report: one self-contained HTML page to open offline, print and hand on.",
            discussion: """
                Sections: coverage and integrity, the explanation rate, who accessed buyer data day by day, findings \
                by severity with their evidence, denials by reason, retention, keys. No personal data; the page \
                loads nothing from the network. From a copy of the log (--log), retention status and key versions \
                are left out. Exit codes: 0 written; 5 the log failed its integrity check (the report is written \
                and says so); 64 usage; 65 a malformed rules, canary or checkpoint file; 73/74 the file cannot be written.
                """)
        @OptionGroup var location: LogLocation
        @OptionGroup var selection: ScanSelection
        @OptionGroup var trust: TrustOptions
        @Option(help: ArgumentHelp("The HTML file to write (replaced if it exists).", valueName: "file")) var out: String
        @Option(help: ArgumentHelp("Labels: it or en (default: from the locale).", valueName: "lang")) var lang: ReportLanguage?
        @Option(help: ArgumentHelp("Also write the report's data as JSON here.", valueName: "file")) var json: String?

        func run() async throws {
            let report = try await AuditReportRun(location: location, selection: selection, trust: trust).make().report
            let language = lang ?? ReportLanguage.fromLocale()
            var files = [(path: out, data: Data(AuditReportPage(report: report, language: language).html().utf8))]
            if let json { files.append((json, Data(try JSONOutput.encode(report).utf8))) }
            try SecretOutput.replace(files)
            let totals = report.activity.totals
            let counts = Severity.allCases.reversed().map { "\(report.findings($0).count) \($0.rawValue)" }.joined(separator: ", ")
            Terminal.note("\(out): \(report.coverage.entriesCovered) entries, \(report.activity.actors.count) actors, "
                          + "\(totals.explainedShare.map { String(format: "%.1f%%", $0 * 100) } ?? "-") explained; findings: \(counts)")
            if !report.integrity.verification.isIntact { throw ExitStatus.auditTampered.exitCode }
        }
    }
}

/// One scan of the log made into an ``AuditReport``, with a progress line on long runs.
struct AuditReportRun {
    var location: AuditCommand.LogLocation
    var selection: AuditCommand.ScanSelection
    var trust: AuditCommand.TrustOptions

    /// The report, and the access policy it measured retention against.
    func make() async throws -> (report: AuditReport, policy: AccessPolicy) {
        let rules = try selection.detectionRules()
        let filter = try selection.filter()
        let external = try trust.exportedCheckpoint()
        let policy = try location.vault.accessPolicy()
        let (log, vault) = try await location.openSource()
        let total = Int(try await log.count())
        let progress = ProgressBar(unit: "entries")
        defer { progress.finish() }
        let report = try await AuditReport.make(
            log: log, vault: vault, scanner: MisuseScanner(rules: rules), filter: filter, trustedPublicKey: trust.publicKey,
            checkpoint: external, policy: policy, progress: { progress.update(label: "reading the log", done: $0, total: total) })
        for warning in report.integrity.verification.warnings { Terminal.warning(warning) }
        return (report, policy)
    }
}

struct ComplianceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Evidence for the marketplace's data-protection review.",
        subcommands: [Evidence.self])

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the evidence a seller attaches to the data-protection questionnaire, as Markdown and JSON.",
            discussion: """
                Writes DIR/evidence.md and DIR/evidence.json (DIR is created if missing; the files are replaced): \
                encryption at rest, access control, logging, retention, monitoring and incident response, each item \
                saying what it proves and what the seller must still add. Topics it cannot cover: docs/compliance.md. \
                Exit codes: 0 written; 5 the log failed its integrity check (the evidence is written and says so); \
                64 usage; 65 a malformed rules, state or checkpoint file; 73/74 the files cannot be written.
                """)
        @OptionGroup var location: AuditCommand.LogLocation
        @OptionGroup var selection: AuditCommand.ScanSelection
        @OptionGroup var trust: AuditCommand.TrustOptions
        @Option(help: ArgumentHelp("The folder to write evidence.md and evidence.json into.", valueName: "dir")) var out: String
        @Option(help: ArgumentHelp("The state file of the scheduled `audit scan --state` runs (shows the scan schedule).", valueName: "file"))
        var state: String?

        func validate() throws {
            if location.log != nil { throw ValidationError("compliance evidence reads the vault itself (its keys, retention and policy): drop --log") }
            if selection.actor != nil { throw ValidationError("compliance evidence covers every actor: drop --actor (audit report --actor shows one)") }
        }

        func run() async throws {
            if let state, !FileManager.default.fileExists(atPath: state) {
                throw BuyerGuardError(.inputNotFound, "no scan state file here (the file `audit scan --state` writes)", location: state)
            }
            let schedule = try state.map { ComplianceEvidence.ScanSchedule(try ReportedFindings(contentsOf: URL(fileURLWithPath: $0))) }
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) {
                do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false) } catch {
                    throw BuyerGuardError(.io, "cannot create the folder (does its parent exist?)", location: out, underlying: "\(error)")
                }
            } else if !isFolder.boolValue {
                throw BuyerGuardError(.alreadyExists, "this is a file, not a folder: choose a folder for the evidence", location: out)
            }
            let (report, policy) = try await AuditReportRun(location: location, selection: selection, trust: trust).make()
            let evidence = ComplianceEvidence(report: report, policy: policy, masterKey: masterKeyLocation(), schedule: schedule)
            let folder = URL(fileURLWithPath: out)
            try SecretOutput.replace([(folder.appendingPathComponent("evidence.md").path, Data(evidence.markdown().utf8)),
                                      (folder.appendingPathComponent("evidence.json").path, try evidence.jsonData())])
            let standings = ComplianceEvidence.Standing.allCases.compactMap { standing in
                let count = evidence.items.filter { $0.standing == standing }.count
                return count == 0 ? nil : "\(count) \(standing.rawValue)"
            }
            Terminal.note("\(out): evidence.md and evidence.json, \(evidence.items.count) items (\(standings.joined(separator: ", ")))")
            if !report.integrity.verification.isIntact { throw ExitStatus.auditTampered.exitCode }
        }

        /// Where the master key comes from, in the order ``VaultOptions/keyProvider()`` looks.
        func masterKeyLocation() -> ComplianceEvidence.MasterKeyLocation {
            let options = location.vault
            func keyFile(_ path: String) -> ComplianceEvidence.MasterKeyLocation {
                let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
                let vault = options.vaultURL.resolvingSymlinksInPath().path
                return .keyFile(path: file, outsideVault: !(file == vault || file.hasPrefix(vault + "/")))
            }
            if let path = options.explicitKeyFile { return keyFile(path) }
            if let value = options.environment[EnvironmentKeyProvider.defaultVariable], !value.isEmpty {
                return .environment(variable: EnvironmentKeyProvider.defaultVariable)
            }
            if options.passphrase { return .passphrase }
            return keyFile(options.defaultKeyFile)
        }
    }
}
