import ArgumentParser
import BuyerGuard
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect data keys and replace the master key.",
        subcommands: [Status.self, Rewrap.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Data key versions, which is primary, how many stored values each still protects, and their age.")
        @OptionGroup var options: VaultOptions
        @Option(help: "Warn about keys older than this many days.") var cryptoperiodDays: Int = 365
        @Option(help: ArgumentHelp("Output: text or json.", valueName: "format")) var format: OutputFormat = .text

        func run() async throws {
            let vault = try await options.openVault()
            let keys = try await vault.keyStatus(cryptoperiod: TimeInterval(cryptoperiodDays) * 86_400)
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
            let vault = try await options.openVault()
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
