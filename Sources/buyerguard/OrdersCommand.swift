import ArgumentParser
import BuyerGuard
import Foundation

struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Record what happened to orders: shipped, delivered, returned, refunded, cancelled.",
        subcommands: [Ship.self, Deliver.self, Return.self, Refund.self, Cancel.self, ImportFeed.self])

    /// Options shared by the single-order events.
    struct EventOptions: ParsableArguments {
        @OptionGroup var vault: VaultOptions

        @Option(help: "The order id.")
        var order: String

        @Option(help: "When (ISO 8601; default now).")
        var date: String?

        @Option(help: "Who records it.")
        var actor: String = "buyerguard-cli"

        func when() throws -> Date {
            try ISO8601DateFormatter.commandLineDate(date) ?? Date()
        }

        func record(_ event: OrderEvent) async throws {
            let vault = try await self.vault.openVault()
            try await vault.record(event, for: try OrderID(order), actor: actor, channel: .cli)
            print("order \(order): \(event.status.rawValue)")
        }
    }

    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an order shipped.")
        @OptionGroup var options: EventOptions
        @Option(help: "The carrier (BRT, Poste Italiane, GLS, DHL, ...).") var carrier: String?
        @Option(help: "The tracking number.") var tracking: String?
        func run() async throws {
            try await options.record(.shipped(at: try options.when(), carrier: carrier, trackingNumber: tracking))
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an order delivered (its retention clock starts).")
        @OptionGroup var options: EventOptions
        func run() async throws { try await options.record(.delivered(at: try options.when())) }
    }

    struct Return: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an order returned.")
        @OptionGroup var options: EventOptions
        func run() async throws { try await options.record(.returned(at: try options.when())) }
    }

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an order refunded.")
        @OptionGroup var options: EventOptions
        @Option(help: "The adjustment reason code (NoInventory, CouldNotShip, CustomerReturn, ...).") var reason: String?
        func run() async throws { try await options.record(.refunded(at: try options.when(), reason: reason)) }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an order cancelled.")
        @OptionGroup var options: EventOptions
        @Option(help: "Why.") var reason: String?
        func run() async throws { try await options.record(.cancelled(at: try options.when(), reason: reason)) }
    }

    struct ImportFeed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-feed",
            abstract: "Read a Shipping Confirmation feed or an Order Adjustment file and record each order's event.")
        @OptionGroup var options: VaultOptions
        @Option(help: "Who records it.") var actor: String = "buyerguard-cli"
        @Argument(help: "Feed files.") var files: [String]

        func run() async throws {
            let vault = try await options.openVault()
            var rejected = 0
            for file in files {
                let summary = try await vault.importFeed(from: URL(fileURLWithPath: file), actor: actor)
                print("\(file): \(summary.format), rows \(summary.rowsRead), orders updated \(summary.ordersUpdated), not in vault \(summary.unknownOrders)")
                for row in summary.rejected { Terminal.note("rejected \(row)") }
                rejected += summary.rejected.count
            }
            if rejected > 0 { throw ExitStatus.rowsRejected.exitCode }
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let dateOnly: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }()

    /// A time given on the command line: a full ISO 8601 time or a bare date; `nil` for `nil`.
    static func commandLineDate(_ text: String?) throws -> Date? {
        guard let text else { return nil }
        guard let date = ISO8601DateFormatter().date(from: text) ?? dateOnly.date(from: text) else {
            throw ValidationError("'\(text)' is not an ISO 8601 time (e.g. 2026-11-20T15:00:00Z or 2026-11-20)")
        }
        return date
    }
}
