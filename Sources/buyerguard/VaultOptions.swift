import ArgumentParser
import BuyerGuard
import Foundation
import Logging

/// Options every command that opens a vault shares.
struct VaultOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Vault folder (env BUYERGUARD_VAULT).", valueName: "dir"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp(
        "Master key file (env BUYERGUARD_KEY_FILE; default: <vault>.key beside the vault folder).", valueName: "file"))
    var keyFile: String?

    @Flag(name: .long, help: "Derive the master key from a passphrase (env BUYERGUARD_PASSPHRASE, else asked on the terminal).")
    var passphrase = false

    @Option(name: .long, help: ArgumentHelp("Access policy file, TOML: roles, windows, which OS users may act as which actors (env BUYERGUARD_POLICY).", valueName: "file"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp(
        "full (default: a committed audit entry survives power loss) or normal (survives a crash of the process) (env BUYERGUARD_DURABILITY).",
        valueName: "mode"))
    var durability: String?

    @Option(name: .long, help: ArgumentHelp("Log level for diagnostics on stderr: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: Logger.Level = .warning

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The vault folder: the option, else the environment, else `./buyerguard-vault`.
    var vaultURL: URL {
        URL(fileURLWithPath: vault ?? environment["BUYERGUARD_VAULT"] ?? "buyerguard-vault").standardizedFileURL
    }

    /// The key file named by option or environment, if any.
    var explicitKeyFile: String? { keyFile ?? environment["BUYERGUARD_KEY_FILE"] }

    /// The default key file: `<vault folder>.key`, beside (never inside) the vault.
    var defaultKeyFile: String { vaultURL.path + ".key" }

    /// The master key source, in order: key file option/env, BUYERGUARD_MASTER_KEY, passphrase, default key file.
    func keyProvider() throws -> any KeyProvider {
        if let path = explicitKeyFile { return KeyFileProvider(path: path) }
        if let value = environment[EnvironmentKeyProvider.defaultVariable], !value.isEmpty {
            return EnvironmentKeyProvider()
        }
        if passphrase { return PassphraseKeyProvider(passphrase: try readPassphrase()) }
        return KeyFileProvider(path: defaultKeyFile)
    }

    func readPassphrase(confirm: Bool = false) throws -> String {
        if let value = environment["BUYERGUARD_PASSPHRASE"], !value.isEmpty { return value }
        guard let first = Terminal.readSecret(prompt: "Passphrase: ") else {
            throw BuyerGuardError(.invalidKey, "no passphrase: set BUYERGUARD_PASSPHRASE or run on a terminal")
        }
        if confirm {
            guard Terminal.readSecret(prompt: "Repeat passphrase: ") == first else {
                throw BuyerGuardError(.invalidKey, "the two passphrases differ")
            }
        }
        return first
    }

    var logger: Logger {
        var logger = Logger(label: "buyerguard") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }

    /// The access policy: the file named by option or environment, else the defaults.
    func accessPolicy() throws -> AccessPolicy {
        guard let path = policy ?? environment["BUYERGUARD_POLICY"] else { return AccessPolicy() }
        return try AccessPolicy(contentsOf: URL(fileURLWithPath: path))
    }

    /// The settings: durability, and the OS user that runs the command as the identity written
    /// beside the actor in every entry (and checked against the policy's `[identities]`).
    func configuration() throws -> VaultConfiguration {
        var configuration = VaultConfiguration()
        configuration.identity = .operatingSystemUser()
        if let mode = durability ?? environment["BUYERGUARD_DURABILITY"] {
            guard let value = Durability(rawValue: mode.lowercased()) else {
                throw ValidationError("durability is full or normal, not '\(mode)'")
            }
            configuration.durability = value
        }
        return configuration
    }

    func openVault() async throws -> Vault {
        try await Vault.open(at: vaultURL, keyProvider: try keyProvider(), configuration: try configuration(), logger: logger)
    }

    /// Opens the vault for an operation run as `actor`, refused (and logged) when the OS user may
    /// not act as `actor` under the policy.
    func openVault(actingAs actor: String, for operation: String) async throws -> Vault {
        let policy = try accessPolicy()
        let vault = try await openVault()
        try await vault.authorize(actor: actor, for: operation, under: policy, channel: .cli)
        return vault
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
