import ArgumentParser
import BuyerGuard
import Foundation

struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "Record support cases: the buyer opened one, who handles it, when it closed (what explains support reads).",
        subcommands: [Open.self, Assign.self, Close.self, Import.self])

    /// Options every case event takes.
    struct CaseOptions: ParsableArguments {
        @OptionGroup var vault: VaultOptions

        @Option(name: .customLong("case"), help: "The case id (the marketplace's, or your help desk's).")
        var caseID: String

        @Option(help: "The order the case is about.")
        var order: String

        @Option(help: "Who records it.")
        var actor: String = "buyerguard-cli"

        func record(_ event: SupportCaseEvent, _ what: String) async throws {
            let vault = try await self.vault.openVault(actingAs: actor, for: "case \(what)")
            try await vault.recordCase(event, caseID: caseID, for: try OrderID(order), actor: actor, channel: .cli)
            print("case \(AuditText.escaped(caseID)) (order \(order)): \(what)")
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that the buyer opened a case about an order.")
        @OptionGroup var options: CaseOptions
        @Option(help: "When the buyer's message arrived (ISO 8601; default now).") var date: String?
        func run() async throws {
            try await options.record(.opened(at: try ISO8601DateFormatter.commandLineDate(date) ?? Date()), "opened")
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record who handles a case (the actor their reads name).")
        @OptionGroup var options: CaseOptions
        @Option(help: "The handler, as the broker's requests name them.") var to: String
        func run() async throws { try await options.record(.assigned(to: to), "assigned to \(AuditText.escaped(to))") }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a case is closed.")
        @OptionGroup var options: CaseOptions
        @Option(help: "When (ISO 8601; default now).") var date: String?
        func run() async throws {
            try await options.record(.closed(at: try ISO8601DateFormatter.commandLineDate(date) ?? Date()), "closed")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read support-case feeds (tab-separated: case-id, order-id, opened-at, handler, closed-at) and record what is new.")
        @OptionGroup var vault: VaultOptions
        @Option(help: "Who records it.") var actor: String = "buyerguard-cli"
        @Argument(help: "Feed files.") var files: [String]

        func run() async throws {
            let vault = try await self.vault.openVault(actingAs: actor, for: "cases feed")
            try await OrdersCommand.ImportFeed.importEach(files, updated: "cases") { try await vault.importCases(from: $0, actor: actor) }
        }
    }
}
