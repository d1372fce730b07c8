import ArgumentParser
import BuyerGuard
import Foundation

struct CanaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary",
        abstract: "Plant decoy buyers and orders that no legitimate work touches; any access to one is critical.",
        subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plant decoy orders and append their ids to a list kept away from the people being watched.",
            discussion: """
                The vault cannot tell decoys from real orders and the audit log records only how many were planted. \\
                The list file is the only record: keep it with the auditor and scan with `audit scan --canaries FILE`.
                """)
        @OptionGroup var options: VaultOptions
        @Option(help: "How many decoys (1-1000).") var count: Int = 3
        @Option(help: ArgumentHelp("Append the ids to this file (created 0600 if missing); default: print them.", valueName: "file"))
        var out: String?

        func run() async throws {
            let vault = try await options.openVault()
            if let out { try CanaryCommand.checkWritable(out) }
            let orders = try await vault.plantCanaries(count: count)
            let lines = orders.map(\.rawValue).joined(separator: "\n") + "\n"
            guard let out else {
                print(lines, terminator: "")
                return
            }
            try CanaryCommand.append(lines, to: out)
            print("planted \(orders.count) canary orders; their ids were appended to \(out)")
        }
    }

    /// Fails early, before anything is planted, if the list file cannot be written.
    static func checkWritable(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard manager.isWritableFile(atPath: path) else { throw BuyerGuardError(.io, "the canary list is not writable", location: path) }
        } else {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw BuyerGuardError(.io, "cannot create the canary list", location: url.path)
            }
        }
    }

    static func append(_ text: String, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BuyerGuardError(.io, "cannot open the canary list", location: path) }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        } catch {
            throw BuyerGuardError(.io, "cannot write the canary list; the canaries are planted, their ids follow:\n\(text)", location: path)
        }
    }

    /// A canary list: one order id a line; blank lines and `#` comments are skipped.
    static func readList(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BuyerGuardError(.inputNotFound, "cannot read the canary list", location: path)
        }
        var ids: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let id = try? OrderID(trimmed) else {
                throw BuyerGuardError(.malformedInput, "not an order id: the canary list holds one id a line", location: "\(path):\(number + 1)")
            }
            ids.append(id.rawValue)
        }
        return ids
    }
}
