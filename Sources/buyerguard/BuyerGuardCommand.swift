import ArgumentParser
import BuyerGuard
import Foundation

@main
struct BuyerGuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buyerguard",
        abstract: "Hold buyers' personal data encrypted, release it only for what the marketplace allows, and prove it.",
        discussion: """
            Environment: BUYERGUARD_VAULT (vault folder), BUYERGUARD_KEY_FILE (master key file), \
            BUYERGUARD_MASTER_KEY (master key as hex or base64), BUYERGUARD_PASSPHRASE (with --passphrase), \
            BUYERGUARD_POLICY (access policy file).
            Exit codes: 0 ok; 1 failure; 2 done, but some input rows were rejected; 3 wrong master key; \
            4 key file readable by others; 5 audit log or vault tampered; 6 access denied or message refused; 7 audit log unavailable; 8 audit scan findings; \
            64 usage; 65 input is not an order file; 66 vault, order or file not found; \
            73 refusing to overwrite; 74 I/O or database error; 75 database busy (nothing changed, try again).
            """,
        version: BuyerGuardVersion.current,
        subcommands: [InitCommand.self, ImportCommand.self, StatusCommand.self, AccessCommand.self, OrdersCommand.self, CasesCommand.self, AuditCommand.self, PurgeCommand.self, EraseCommand.self, KeysCommand.self, MessageCommand.self, CanaryCommand.self, ComplianceCommand.self]
    )

    /// Runs the command and turns BuyerGuard errors into a message on stderr and a distinct exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BuyerGuardError {
            Terminal.error(error.description)
            Foundation.exit(ExitStatus.code(for: error).rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

enum BuyerGuardVersion {
    static let current = "0.1.0"
}
