import BuyerGuard
import Foundation
import Logging
import ShopServer

// shop-server: the back office on a vault made by `buyerguard init`.
//   SHOP_VAULT      the vault's folder (default ./vault); its key in SHOP_VAULT.key, or BUYERGUARD_MASTER_KEY
//   SHOP_STAFF      token<TAB>login lines, mode 0600 (default ./staff.tsv)
//   SHOP_CANARIES   a canary list written by `buyerguard canary add` (optional)
//   SHOP_PORT       default 8080 (on 127.0.0.1; put a TLS proxy in front of it)
LoggingSystem.bootstrap(StreamLogHandler.standardError)
let environment = ProcessInfo.processInfo.environment
let folder = URL(fileURLWithPath: environment["SHOP_VAULT"] ?? "vault")
let keyProvider: any KeyProvider = environment[EnvironmentKeyProvider.defaultVariable] != nil
    ? EnvironmentKeyProvider() : KeyFileProvider(path: folder.path + ".key")
do {
    var configuration = ShopConfiguration(
        vaultFolder: folder, keyProvider: keyProvider,
        staff: try StaffDirectory(contentsOf: URL(fileURLWithPath: environment["SHOP_STAFF"] ?? "staff.tsv")))
    if let list = environment["SHOP_CANARIES"] {
        configuration.canaries = Set(try Vault.readCanaryList(at: URL(fileURLWithPath: list)))
    }
    configuration.port = Int(environment["SHOP_PORT"] ?? "") ?? 8080
    let app = try await buildApplication(configuration)
    try await app.runService()
} catch let error as BuyerGuardError {
    FileHandle.standardError.write(Data("shop-server: \(error)\n".utf8))
    exit(1)
}
