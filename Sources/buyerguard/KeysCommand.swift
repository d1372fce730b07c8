import ArgumentParser
import BuyerGuard
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect data keys and replace the master key.",
        subcommands: [Status.self, Rotate.self, Retire.self, Rewrap.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make new data key versions primary and re-encrypt everything under them, online and resumably.",
            discussion: """
                New writes use the new keys at once; existing values are re-encrypted in batches while the shop keeps \
                running (the broker serves from old and new versions meanwhile). Progress is saved with every batch: \
                a rotation that was killed resumes with --resume (and `keys status` shows it). Afterwards \
                `keys retire` destroys the old versions.
                """)
        @OptionGroup var options: VaultOptions
        @Option(help: "Rotate only this key: field or blind-index (default: both).") var only: String?
        @Flag(help: "Resume the rotation in progress.") var resume = false
        @Option(help: "Rows per transaction.") var batchSize: Int = 2000
        @Option(help: "Pause between batches, in milliseconds (throttle).") var throttleMs: Int = 0
        @Option(help: "Who rotates, as recorded in the audit log.") var actor: String = "buyerguard-cli"
        @Flag(help: "No progress bar.") var quiet = false

        func validate() throws {
            if let only, RotatableKey(rawValue: only) == nil { throw ValidationError("--only is field or blind-index") }
            if batchSize < 1 || throttleMs < 0 { throw ValidationError("--batch-size must be positive and --throttle-ms not negative") }
        }

        func run() async throws {
            let vault = try await options.openVault(actingAs: actor, for: "keys rotate")
            let bar = ProgressBar(enabled: Terminal.stderrIsTerminal && !quiet)
            let progress: @Sendable (RotationProgress) -> Void = { bar.update(label: "re-encrypting", done: $0.rowsDone, total: $0.rowsTotal) }
            let summary: RotationSummary
            let inProgress = try await vault.rotationInProgress()
            if resume || inProgress {
                summary = try await vault.continueRotation(actor: actor, batchSize: batchSize, pause: .milliseconds(throttleMs), progress: progress)
            } else {
                let keys: Set<RotatableKey> = only.flatMap(RotatableKey.init(rawValue:)).map { [$0] } ?? Set(RotatableKey.allCases)
                summary = try await vault.rotateKeys(keys, actor: actor, batchSize: batchSize, pause: .milliseconds(throttleMs), progress: progress)
            }
            bar.finish()
            let versions = summary.newVersions.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", ")
            print("rotated to \(versions): \(summary.valuesResealed) values re-encrypted, \(summary.indexEntriesRebuilt) index entries rebuilt in \(summary.passes) pass(es)")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy an old data key version, once no stored value uses it (the command counts).")
        @OptionGroup var options: VaultOptions
        @Option(help: "field or blind-index.") var key: String
        @Option(help: "The version to destroy.") var version: Int
        @Option(help: "Who retires it, as recorded in the audit log.") var actor: String = "buyerguard-cli"

        func run() async throws {
            guard let rotatable = RotatableKey(rawValue: key) else { throw ValidationError("--key is field or blind-index") }
            let vault = try await options.openVault(actingAs: actor, for: "keys retire")
            try await vault.retireKey(rotatable, version: version, actor: actor)
            print("destroyed \(key) key v\(version): no stored value used it")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Data key versions, which is primary, how many stored values each still protects, and their age.")
        @OptionGroup var options: VaultOptions
        @Option(help: "Warn about keys older than this many days.") var cryptoperiodDays: Int = 365
        @Option(help: ArgumentHelp("Output: text or json.", valueName: "format")) var format: OutputFormat = .text

        func run() async throws {
            let vault = try await options.openVault()
            let keys = try await vault.keyStatus(cryptoperiod: TimeInterval(cryptoperiodDays) * 86_400)
            if try await vault.rotationInProgress() {
                Terminal.note("a key rotation is in progress: `buyerguard keys rotate` resumes it")
            }
            switch format {
            case .json:
                print(try JSONOutput.encode(keys))
            case .text:
                print(["role", "version", "state", "age (days)", "values"].joined(separator: "\t"))
                for key in keys {
                    let state = key.isPrimary ? "primary" : "active"
                    print([key.role, "v\(key.version)", state, String(key.ageDays) + (key.pastCryptoperiod ? " (past \(cryptoperiodDays): rotate)" : ""),
                           key.valuesUsingIt.map(String.init) ?? "-"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap the data keys under a new master key, atomically; the old master key stops working.",
            discussion: """
                With a --new-key-file that does not exist yet, a new random key is written there (mode 0600) first. \
                Buyer data is not re-encrypted (it is sealed with the data keys, which stay the same). Afterwards, \
                use the new key file and destroy every copy of the old one.
                """)
        @OptionGroup var options: VaultOptions
        @Option(help: ArgumentHelp("The new master key file (created if missing).", valueName: "file")) var newKeyFile: String
        @Option(help: "Who does it, as recorded in the audit log.") var actor: String = "buyerguard-cli"

        func run() async throws {
            let vault = try await options.openVault(actingAs: actor, for: "keys rewrap")
            var created = false
            if !FileManager.default.fileExists(atPath: newKeyFile) {
                try KeyFileProvider.write(try MasterKey.generate(), to: newKeyFile)
                created = true
            }
            let newKey = try KeyFileProvider(path: newKeyFile).load()
            try await vault.rewrap(to: newKey, actor: actor)
            print("re-wrapped the data keys under the master key in \(newKeyFile)\(created ? " (new, mode 0600)" : "")")
            print("the old master key no longer opens this vault: use --key-file \(newKeyFile) and destroy the old key")
        }
    }
}
