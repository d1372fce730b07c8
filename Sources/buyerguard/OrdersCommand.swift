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
            let vault = try await self.vault.openVault(actingAs: actor, for: event.auditKind)
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
            let vault = try await options.openVault(actingAs: actor, for: "orders feed")
            try await Self.importEach(files, updated: "orders") { try await vault.importFeed(from: $0, actor: actor) }
        }

        /// Reads each feed file with `body`, printing its summary (`updated` names what its count
        /// counts) and its rejected rows; exits with `rowsRejected` when any row was rejected.
        static func importEach(_ files: [String], updated: String, _ body: (URL) async throws -> FeedImportSummary) async throws {
            var rejected = 0
            for file in files {
                let summary = try await body(URL(fileURLWithPath: file))
                print("\(file): \(summary.format), rows \(summary.rowsRead), \(updated) updated \(summary.ordersUpdated), not in vault \(summary.unknownOrders)")
                for row in summary.rejected { Terminal.note("rejected \(row)") }
                rejected += summary.rejected.count
            }
            if rejected > 0 { throw ExitStatus.rowsRejected.exitCode }
        }
    }
}

extension ISO8601DateFormatter {
    /// A time given on the command line: a full ISO 8601 time or a bare date; `nil` for `nil`.
    ///
    /// Read strictly: a day or time that does not exist (`2026-02-30`, `24:30`, `23:61`) is a usage
    /// error. `ISO8601DateFormatter` rolls such values over into another day, or reads only the
    /// date of a time it cannot parse, and a wrong date moves an order's retention clock.
    static func commandLineDate(_ text: String?) throws -> Date? {
        guard let text else { return nil }
        guard let time = CommandLineTime(text) else {
            throw ValidationError("'\(text)' is not an ISO 8601 time (e.g. 2026-11-20T15:00:00Z or 2026-11-20)")
        }
        if let impossibility = time.impossibility {
            throw ValidationError("'\(text)' is not a real time: \(impossibility)")
        }
        return time.date
    }
}

/// The fields of a time typed on the command line: `YYYY-MM-DD`, optionally followed by
/// `THH:MM:SS`, fractional seconds, and `Z`, `±HH:MM` or `±HHMM`.
struct CommandLineTime {
    var year = 0, month = 0, day = 0
    var hour = 0, minute = 0, second = 0
    var fraction = 0.0
    var offsetHours = 0, offsetMinutes = 0
    var offsetSign = 1

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Reads the fields; `nil` when the text is not in one of the forms above.
    init?(_ text: String) {
        var bytes = Substring(text).utf8[...]
        func number(_ digits: Int) -> Int? {
            let prefix = bytes.prefix(digits)
            guard prefix.count == digits, prefix.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            bytes = bytes.dropFirst(digits)
            return prefix.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func expect(_ character: Unicode.Scalar) -> Bool {
            guard bytes.first == UInt8(ascii: character) else { return false }
            bytes = bytes.dropFirst()
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
        if bytes.isEmpty { return }
        guard expect("T"), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2)
        else { return nil }
        (self.hour, self.minute, self.second) = (hour, minute, second)
        if expect(".") {
            let digits = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !digits.isEmpty, let value = Double("0." + String(decoding: digits, as: UTF8.self)) else { return nil }
            fraction = value
            bytes = bytes.dropFirst(digits.count)
        }
        if expect("Z") {
            guard bytes.isEmpty else { return nil }
            return
        }
        if expect("+") { offsetSign = 1 } else if expect("-") { offsetSign = -1 } else { return nil }
        guard let offsetHours = number(2) else { return nil }
        _ = expect(":")
        guard let offsetMinutes = number(2), bytes.isEmpty else { return nil }
        (self.offsetHours, self.offsetMinutes) = (offsetHours, offsetMinutes)
    }

    /// Why the fields name no real time (a day the month lacks, hour 24...), or `nil`.
    var impossibility: String? {
        guard (1...12).contains(month) else { return "there is no month \(month)" }
        let first = Self.utc.date(from: DateComponents(year: year, month: month, day: 1))!
        let days = Self.utc.range(of: .day, in: .month, for: first)!.count
        guard (1...days).contains(day) else {
            return "\(String(format: "%04d-%02d", year, month)) has \(days) days"
        }
        if hour > 23 { return "hours run from 00 to 23" }
        if minute > 59 || second > 59 { return "minutes and seconds run from 00 to 59" }
        if offsetMinutes > 59 || offsetHours * 60 + offsetMinutes > 14 * 60 { return "time zone offsets run from -14:00 to +14:00" }
        return nil
    }

    /// The moment, once ``impossibility`` is `nil`.
    var date: Date {
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let offset = offsetSign * (offsetHours * 3600 + offsetMinutes * 60)
        return Self.utc.date(from: components)!.addingTimeInterval(fraction - TimeInterval(offset))
    }
}
