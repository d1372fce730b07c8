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
        @Option(help: ArgumentHelp("Append the ids to this file (created 0600 if missing; an existing one must be yours and 0600); default: print them.", valueName: "file"))
        var out: String?

        func run() async throws {
            let vault = try await options.openVault()
            guard let out else {
                print(try await vault.plantCanaries(count: count).map(\.rawValue).joined(separator: "\n"))
                return
            }
            let list = try SecretOutput.appending(out)  // before anything is planted
            let orders: [OrderID]
            do { orders = try await vault.plantCanaries(count: count) } catch {
                list.abandon()
                throw error
            }
            let lines = orders.map(\.rawValue).joined(separator: "\n") + "\n"
            do { try list.finish(writing: Data(lines.utf8)) } catch let error as BuyerGuardError {
                throw BuyerGuardError(error.code, "\(error.message); the canaries are planted, their ids follow:\n\(lines)", location: out)
            }
            print("planted \(orders.count) canary orders; their ids were appended to \(out)")
        }
    }
}
