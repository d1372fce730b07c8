import ArgumentParser
import BuyerGuard
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault folder and, unless one is given, a new master key file (mode 0600).",
        discussion: """
            The key file goes beside the vault folder (<vault>.key), never inside it, so a copy of the \
            vault folder alone cannot be opened. Move it to your secret store and pass --key-file. \
            Refuses to overwrite an existing vault or key file.
            """)

    @OptionGroup var options: VaultOptions

    func run() async throws {
        let folder = options.vaultURL
        if Vault.exists(at: folder) {
            throw BuyerGuardError(.alreadyExists, "a vault already exists here; refusing to overwrite it", location: folder.path)
        }
        let provider: any KeyProvider
        var createdKeyFile: String?
        if let path = options.explicitKeyFile, FileManager.default.fileExists(atPath: path) {
            provider = KeyFileProvider(path: path)
        } else if options.explicitKeyFile == nil, let value = options.environment[EnvironmentKeyProvider.defaultVariable], !value.isEmpty {
            provider = EnvironmentKeyProvider()
        } else if options.passphrase {
            provider = PassphraseKeyProvider(passphrase: try options.readPassphrase(confirm: true))
        } else {
            let path = options.explicitKeyFile ?? options.defaultKeyFile
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try KeyFileProvider.write(try MasterKey.generate(), to: path)
            createdKeyFile = path
            provider = KeyFileProvider(path: path)
        }
        do {
            let vault = try await Vault.create(at: folder, keyProvider: provider, configuration: try options.configuration(), logger: options.logger)
            print("Created vault \(folder.path) (id \(vault.vaultID))")
            if let createdKeyFile {
                print("Wrote a new master key to \(createdKeyFile) (mode 0600). Keep it apart from the vault and its backups:")
                print("without it the vault cannot be opened.")
            }
        } catch {
            if let createdKeyFile { unlink(createdKeyFile) }  // no vault, so no orphan key
            throw error
        }
    }
}
