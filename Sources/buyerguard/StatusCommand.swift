import ArgumentParser
import BuyerGuard
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show counts and key versions. Shows no personal data.")

    @OptionGroup var options: VaultOptions

    @Option(help: ArgumentHelp("Output format: text or json.", valueName: "format"))
    var format: OutputFormat = .text

    func run() async throws {
        let vault = try await options.openVault()
        let stats = try await vault.statistics()
        switch format {
        case .json:
            print(try JSONOutput.encode(StatusReport(vault: vault.folder.path, statistics: stats)))
        case .text:
            let dates = ISO8601DateFormatter()
            print("vault      \(vault.folder.path)")
            print("vault id   \(stats.vaultID)")
            print("orders     \(stats.orders)  (PII removed from \(stats.ordersWithPIIRemoved))")
            let byStatus = OrderStatus.allCases.compactMap { status in stats.ordersByStatus[status].map { "\(status.rawValue) \($0)" } }
            if !byStatus.isEmpty { print("           " + byStatus.joined(separator: ", ")) }
            print("buyers     \(stats.buyers)")
            print("items      \(stats.items)")
            print("keys")
            for key in stats.keys {
                let state = key.retiredAt != nil ? "retired" : key.isPrimary ? "primary" : "active"
                print("  \(key.role.padding(toLength: 12, withPad: " ", startingAt: 0)) v\(key.version)  \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) created \(dates.string(from: key.createdAt))")
            }
            let entries = try await vault.auditLog.count()
            let checkpoint = try vault.auditLog.lastCheckpointEntryCount()
            print("audit log  \(entries) entries" + (checkpoint.map { ", last checkpoint at entry \($0)" } ?? ", no checkpoint yet"))
            print("libsodium  \(stats.sodiumVersion)")
        }
    }
}

struct StatusReport: Encodable {
    var vault: String
    var statistics: VaultStatistics
}
