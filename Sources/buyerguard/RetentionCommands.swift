import ArgumentParser
import BuyerGuard
import Foundation

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove the PII of orders whose retention ended (default 30 days after delivery; 60 after purchase if never delivered).",
        discussion: """
            Keeps the non-personal order records and the audit trail, logs one purge event with the counts, \
            and checkpoints the database so the removed ciphertext is gone from the WAL too. Windows come from \
            --policy (see docs/formats.md).
            """)

    @OptionGroup var options: VaultOptions

    @Flag(help: "Count what would be removed; change nothing.")
    var dryRun = false

    @Option(help: "Who purges, as recorded in the audit log.")
    var actor: String = "buyerguard-cli"

    func run() async throws {
        let vault = try await options.openVault(actingAs: actor, for: "purge")
        let summary = try await vault.purgeExpired(policy: try options.accessPolicy(), actor: actor, dryRun: dryRun)
        let verb = dryRun ? "would remove" : "removed"
        print("\(verb) the PII of \(summary.orders) orders and \(summary.buyers) buyers")
        if summary.ordersWithoutDates > 0 {
            print("\(summary.ordersWithoutDates) orders have neither a delivery nor a purchase date and were kept: record their delivery")
        }
    }
}

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase one buyer's PII at once (GDPR Art. 17), by email or by one of their orders.",
        discussion: "Leaves the non-personal order records and an erase event (who, when, which order ids; never the email) in the audit log.")

    @OptionGroup var options: VaultOptions

    @Option(help: "The buyer's email (visible to other users in `ps`: prefer --buyer-email-file).")
    var buyerEmail: String?

    @Option(help: ArgumentHelp("Read the buyer's email from this file's first line, or from standard input with -.", valueName: "path"))
    var buyerEmailFile: String?

    @Option(help: "One of the buyer's orders.")
    var order: String?

    @Option(help: "Who erases, as recorded in the audit log.")
    var actor: String = "buyerguard-cli"

    func validate() throws {
        if [buyerEmail != nil, buyerEmailFile != nil, order != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --buyer-email, --buyer-email-file and --order")
        }
    }

    func run() async throws {
        let email = try EmailInput.read(email: buyerEmail, file: buyerEmailFile)
        let vault = try await options.openVault(actingAs: actor, for: "erase")
        let summary = try await vault.erase(buyerEmail: email, orderID: try order.map { try OrderID($0) }, actor: actor)
        print("erased the buyer's PII from \(summary.orderIDs.count) orders: \(summary.orderIDs.joined(separator: ", "))")
    }
}
