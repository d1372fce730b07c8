import ArgumentParser
import BuyerGuard
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import marketplace order reports (tab-separated) or Orders API JSON / JSON Lines.",
        discussion: """
            Each report is checked whole before anything is written; an order with a bad row is left out \
            entirely and reported with file, line and reason. Importing the same file again changes nothing. \
            Exit code 2 means the good orders were imported and some rows were rejected.
            """)

    @OptionGroup var options: VaultOptions

    @Option(help: ArgumentHelp("Text encoding of TSV reports: auto, utf-8, windows-1252, iso-8859-1.", valueName: "name"))
    var encoding: String = "auto"

    @Option(help: "Orders per transaction for JSON input (TSV reports commit every ~200 ms instead).")
    var batchSize: Int = 2000

    @Option(help: ArgumentHelp("Summary format: text or json.", valueName: "format"))
    var format: OutputFormat = .text

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: "Who imports, as recorded in the audit log.")
    var actor: String = "buyerguard-cli"

    @Argument(help: ArgumentHelp("Order report files.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to import") }
        if encoding != "auto" && ReportEncoding(rawValue: encoding.lowercased()) == nil {
            throw ValidationError("unknown encoding '\(encoding)'; use auto, utf-8, windows-1252 or iso-8859-1")
        }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() async throws {
        for file in files {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), isFolder.boolValue {
                throw BuyerGuardError(.inputNotFound, "is a folder, not an order file (name the files in it)", location: file)
            }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw BuyerGuardError(.inputNotFound, "no such file, or it cannot be read", location: file)
            }
        }
        let vault = try await options.openVault(actingAs: actor, for: "import")
        var importOptions = ImportOptions(encoding: encoding == "auto" ? nil : ReportEncoding(rawValue: encoding.lowercased()))
        importOptions.batchSize = batchSize
        importOptions.actor = actor
        let bar = ProgressBar(enabled: Terminal.stderrIsTerminal && !quiet)
        var summaries: [ImportFileSummary] = []
        for file in files {
            let url = URL(fileURLWithPath: file)
            let name = url.lastPathComponent
            let summary = try await vault.importOrders(from: url, options: importOptions) { progress in
                bar.update(label: "\(progress.phase.rawValue) \(name)", done: progress.bytesDone, total: progress.bytesTotal)
            }
            bar.finish()
            summaries.append(summary)
        }
        switch format {
        case .json:
            print(try JSONOutput.encode(summaries))
        case .text:
            for summary in summaries { printText(summary) }
        }
        let rejected = summaries.reduce(0) { $0 + $1.rowsRejected }
        if rejected > 0 {
            throw ExitStatus.rowsRejected.exitCode
        }
    }

    private func printText(_ summary: ImportFileSummary) {
        let stored = summary.stored
        var lines = ["\(summary.file): \(summary.format)" + (summary.encoding.map { ", \($0.rawValue)" } ?? "")]
        lines.append("  rows read \(summary.rowsRead), accepted \(summary.rowsAccepted), rejected \(summary.rowsRejected)")
        lines.append("  orders new \(stored.ordersInserted), updated \(stored.ordersUpdated), unchanged \(stored.ordersUnchanged), skipped \(summary.ordersSkipped)")
        lines.append("  buyers new \(stored.buyersInserted), item lines written \(stored.itemsWritten)")
        print(lines.joined(separator: "\n"))
        let shown = 20
        for row in summary.rejected.prefix(shown) {
            Terminal.note("rejected \(row.description)" + (row.orderID.map { " (order \($0) left out)" } ?? ""))
        }
        if summary.rowsRejected > shown {
            Terminal.note("... and \(summary.rowsRejected - shown) more rejected rows (use --format json for all kept)")
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// One compact line (JSON Lines), as a SIEM or a pipe reads it.
    static func line(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
