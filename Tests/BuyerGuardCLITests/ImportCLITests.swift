import Foundation
import GRDB
import Testing

/// `buyerguard import` and the date options, refusing what they cannot read faithfully.
@Suite final class ImportCLITests {
    let cli: CLITests
    let vault: String

    init() throws {
        cli = try CLITests()
        vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
    }

    func orderCount() throws -> Int {
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        defer { try? database.close() }
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") ?? 0 }
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = cli.folder.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    @Test func aFolderIsNotAnOrderFile() throws {
        let folder = cli.folder.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try cli.run(["import", "--vault", vault, folder.path])
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr.contains(folder.path), "\(result.stderr)")
        #expect(result.stderr.contains("is a folder, not an order file"), "\(result.stderr)")
        #expect(!result.stderr.contains("empty"), "\(result.stderr)")

        // Named after a good report, the folder still stops the command before anything is imported.
        let both = try cli.run(["import", "--vault", vault, CLITests.sample.path, folder.path])
        #expect(both.status == 66, "\(both.stderr)")
        #expect(try orderCount() == 0)
    }

    @Test(arguments: ["2026-02-30", "2026-02-29", "2026-04-31", "2026-02-30T10:00:00Z", "2026-11-20T24:30:00Z",
                      "2026-11-20T23:61:00Z", "2026-11-20T10:00:00+25:00", "2026-1-5"])
    func impossibleDatesAreUsageErrors(date: String) throws {
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let order = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")[1].split(separator: "\t")[0]
        let result = try cli.run(["orders", "deliver", "--vault", vault, "--order", String(order), "--date", date])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("'\(date)'"), "\(result.stderr)")
        let status = try cli.run(["status", "--vault", vault])
        #expect(!status.stdout.contains("delivered"), "\(status.stdout)")
    }

    @Test(arguments: [("2028-02-29", 1_835_395_200), ("2026-02-28", 1_772_236_800), ("2026-11-20T23:59:59Z", 1_795_219_199),
                      ("2026-11-20T10:00:00+01:00", 1_795_165_200), ("2026-11-20T10:30:00.25-0200", 1_795_177_800)])
    func possibleDatesAreAccepted(date: String, seconds: Int64) throws {
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let order = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")[1].split(separator: "\t")[0]
        let result = try cli.run(["orders", "deliver", "--vault", vault, "--order", String(order), "--date", date])
        #expect(result.status == 0, "\(result.stderr)")
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        defer { try? database.close() }
        let stored = try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT delivered_at FROM orders WHERE order_id = ?", arguments: [String(order)])
        }
        #expect(stored == seconds)
    }

    @Test func auditLogDateFiltersRefuseImpossibleDates() throws {
        let result = try cli.run(["audit", "log", "--vault", vault, "--from", "2026-02-30"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("'2026-02-30'"), "\(result.stderr)")
    }

    /// One stray Windows-1252 byte in a UTF-8 report: refused with data error 65, naming its line.
    @Test func mixedEncodingsAreRefused() throws {
        // Lines 9 and 10 of the sample hold accented letters (UTF-8); line 3 gets a Windows-1252 "è".
        var lines = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n").prefix(10).map { Array($0.utf8) }
        #expect(lines[8].contains { $0 >= 0x80 } && lines[9].contains { $0 >= 0x80 })
        let tab = lines[2].firstIndex(of: 0x09)!
        lines[2].insert(contentsOf: [0x20, 0xE8], at: lines[2][(tab + 1)...].firstIndex(of: 0x09)!)  // in order-item-id
        let file = try write("mixed.txt", lines.flatMap { $0 + [0x0D, 0x0A] })
        let result = try cli.run(["import", "--vault", vault, file.path])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("mixed.txt:3"), "\(result.stderr)")
        #expect(try orderCount() == 0)
        // Told the encoding, the CLI imports the rest; line 3 is rejected as not UTF-8.
        let forced = try cli.run(["import", "--vault", vault, "--encoding", "utf-8", file.path])
        #expect(forced.status == 2, "\(forced.stderr)")
        #expect(forced.stderr.contains("mixed.txt:3"), "\(forced.stderr)")
        #expect(try orderCount() > 0)
    }

    @Test func duplicateHeaderColumnsAreRefused() throws {
        let text = "order-id\tbuyer-email\tship-city\tBuyer-Email\n402-1234567-1234567\ta1@marketplace.amazon.it\tRoma\tb2@marketplace.amazon.it\n"
        let file = try write("twice.txt", Array(text.utf8))
        let result = try cli.run(["import", "--vault", vault, file.path])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("twice.txt:1"), "\(result.stderr)")
        #expect(result.stderr.contains("buyer-email"), "\(result.stderr)")
        #expect(!result.stderr.contains("marketplace.amazon.it"), "\(result.stderr)")
        #expect(try orderCount() == 0)
    }

    /// A JSON Lines file with a line too long to read after good orders: nothing is written.
    @Test func jsonLinesWithAnOverlongLineWritesNothing() throws {
        var text = ""
        for number in 0..<2500 {
            text += #"{"AmazonOrderId": "\#(String(format: "408-%07d-0000001", number))", "PurchaseDate": "2026-11-10T14:03:11Z", "#
            text += #""BuyerInfo": {"BuyerEmail": "b\#(number)@marketplace.amazon.it"}}"# + "\n"
        }
        text += #"{"AmazonOrderId": "408-9999999-0000001", "Notes": ""# + String(repeating: "x", count: 2 << 20) + "\"}\n"
        let file = try write("orders.jsonl", Array(text.utf8))
        let result = try cli.run(["import", "--vault", vault, file.path])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("orders.jsonl:2501"), "\(result.stderr)")
        #expect(try orderCount() == 0)
        let events = try DatabaseQueue(path: vault + "/audit.sqlite")
        defer { try? events.close() }
        #expect(try events.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM entries WHERE kind = 'import'") } == 0)
    }
}
