import Foundation
import GRDB
import Testing

/// Every command that changes the vault, killed (SIGKILL) ten times at different moments: no change
/// without its audit event, nothing lost, and running it again finishes.
///
/// After each kill the vault is opened once (`status`), which closes what the killed job left in
/// the journal; then every `job-started` in the log must have its closing entry (the job's own
/// event or `job-interrupted`), the chain must verify, no job may be left open, and whatever the
/// kill let through must be covered by a `job-started` of that command.
@Suite(.serialized) final class KilledJobTests {
    /// Half the kills come at a fixed time after start (some before the job begins, some during,
    /// some after); half come `n` ms after the job's `job-started` entry is in the log, so they
    /// land inside the job or just after it however fast the machine is.
    static let delays: [Kill] = [.afterStart(20), .afterStart(60), .afterStart(120), .afterStart(200), .afterStart(350),
                                 .afterJobStarted(0), .afterJobStarted(1), .afterJobStarted(3), .afterJobStarted(8), .afterJobStarted(20)]

    enum Kill: CustomStringConvertible {
        case afterStart(Int)
        case afterJobStarted(Int)
        var description: String {
            switch self {
            case .afterStart(let ms): "\(ms) ms after start"
            case .afterJobStarted(let ms): "\(ms) ms after job-started"
            }
        }
    }

    /// Runs the CLI and kills it (SIGKILL) as `kill` says.
    func kill(_ kill: Kill, _ arguments: [String]) throws {
        switch kill {
        case .afterStart(let ms):
            try CLITests.kill(after: ms, arguments)
        case .afterJobStarted(let ms):
            let since = try head()
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let log = try DatabaseQueue(path: vault + "/audit.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning, ContinuousClock.now < deadline,
                  try log.read({ db in try Int64.fetchOne(db, sql: "SELECT count(*) FROM entries WHERE seq > ? AND kind = 'job-started'", arguments: [since]) ?? 0 }) == 0 {
                usleep(200)
            }
            try log.close()
            usleep(useconds_t(ms * 1000))
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
    let cli: CLITests
    var vault: String { cli.vault }

    init() throws {
        cli = try CLITests()
        #expect(try cli.run(["init", "--vault", cli.vault]).status == 0)
    }

    /// A report of `orders` orders numbered from `first`; the first `bigBuyers × perBig` belong to
    /// buyers `big<k>@…` with `perBig` orders each.
    func report(_ name: String, orders: Int, first: Int = 0, bigBuyers: Int = 0, perBig: Int = 0) throws -> String {
        var text = "order-id\torder-item-id\tpurchase-date\tbuyer-email\tbuyer-name\tsku\tquantity-purchased\trecipient-name\tship-address-1\tship-city\tship-postal-code\tship-country\n"
        for index in 0..<orders {
            let number = first + index
            let id = String(format: "40%d-%07d-%07d", 2 + number % 7, (number * 7919) % 10_000_000, number)
            let buyer = index < bigBuyers * perBig ? "big\(index / perBig)" : "b\(number % 5000)"
            text += "\(id)\t\(number)-0\t2026-11-02T10:00:00Z\t\(buyer)@marketplace.amazon.it\tBuyer \(buyer)\tSKU\t1\tBuyer \(buyer)\tVia Roma \(number % 90)\tMilano\t20121\tIT\n"
        }
        let url = cli.folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func orderID(_ number: Int) -> String { String(format: "40%d-%07d-%07d", 2 + number % 7, (number * 7919) % 10_000_000, number) }

    /// The log's entries since `after`: (seq, kind, order, intent).
    func entries(after: Int64 = 0) throws -> [(seq: Int64, kind: String, order: String?, intent: String?)] {
        let database = try DatabaseQueue(path: vault + "/audit.sqlite")
        defer { try? database.close() }
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, kind, order_id, details FROM entries WHERE seq > ? ORDER BY seq", arguments: [after]).map { row in
                let details = (row["details"] as String?).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
                return (row["seq"], row["kind"], row["order_id"], details?["intent"])
            }
        }
    }

    func head() throws -> Int64 { try entries().last?.seq ?? 0 }

    func vaultValue<T: DatabaseValueConvertible>(_ sql: String, key: String? = nil) throws -> T? {
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        defer { try? database.close() }
        return try database.read { db in try T.fetchOne(db, sql: sql) }
    }

    /// Opens the vault (which closes the journal) and checks what every round must show.
    /// Returns whether the kill landed inside the job (it left a `job-interrupted`).
    @discardableResult
    func checkAfterKill(since: Int64, key: String? = nil, _ what: String) throws -> Bool {
        let keyOption = key.map { ["--key-file", $0] } ?? []
        let status = try cli.run(["status", "--vault", vault] + keyOption)
        #expect(status.status == 0, "\(what): \(status.stderr)")
        let all = try entries()
        let started = Set(all.filter { $0.kind == "job-started" }.compactMap(\.intent))
        let closed = Set(all.filter { $0.kind != "job-started" }.compactMap(\.intent))
        #expect(started.isSubset(of: closed), "\(what): jobs without a closing entry: \(started.subtracting(closed))")
        #expect(try vaultValue("SELECT count(*) FROM jobs") as Int? == 0, "\(what): a job is still open")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: vault).filter { $0.contains("-job-") }
        #expect(leftovers.isEmpty, "\(what): \(leftovers)")
        #expect(try cli.run(["audit", "verify", "--vault", vault] + keyOption).status == 0, "\(what): the chain does not verify")
        return all.contains { $0.seq > since && $0.kind == "job-interrupted" }
    }

    @Test func killedErasures() throws {
        let per = 1500
        #expect(try cli.run(["import", "--vault", vault, try report("big.txt", orders: Self.delays.count * per + 500, bigBuyers: Self.delays.count, perBig: per)]).status == 0)
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            let since = try head()
            let email = "big\(round)@marketplace.amazon.it"
            try kill(delay, ["erase", "--vault", vault, "--buyer-email", email])
            if try checkAfterKill(since: since, "erase \(round)") { inside += 1 }
            let removed: Int = try vaultValue("SELECT count(*) FROM orders WHERE pii_removed_reason = 'erasure' AND pii_removed_at IS NOT NULL") ?? 0
            if removed > round * per {
                #expect(try entries(after: since).contains { $0.kind == "job-started" }, "erase \(round): PII erased with no job-started")
            }
            let again = try cli.run(["erase", "--vault", vault, "--buyer-email", email])
            #expect(again.status == 0 || again.status == 66, "\(again.stderr)")
            #expect(try vaultValue("SELECT count(*) FROM orders WHERE pii_removed_reason = 'erasure'") as Int? == (round + 1) * per, "erase \(round)")
            try checkAfterKill(since: since, "erase \(round) re-run")
        }
        print("erase: \(inside) of \(Self.delays.count) kills landed inside the job")
    }

    @Test func killedPurges() throws {
        let batch = 3000
        #expect(try cli.run(["import", "--vault", vault, try report("orders.txt", orders: Self.delays.count * batch)]).status == 0)
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            // This round's orders were delivered long ago (set directly: only the purge is under test).
            let database = try DatabaseQueue(path: vault + "/vault.sqlite")
            try database.write { db in
                try db.execute(sql: "UPDATE orders SET delivered_at = 1, status = 'delivered' WHERE id > ? AND id <= ?", arguments: [round * batch, (round + 1) * batch])
            }
            try database.close()
            let since = try head()
            try kill(delay, ["purge", "--vault", vault])
            if try checkAfterKill(since: since, "purge \(round)") { inside += 1 }
            let purged: Int = try vaultValue("SELECT count(*) FROM orders WHERE pii_removed_at IS NOT NULL") ?? 0
            if purged > round * batch {
                #expect(try entries(after: since).contains { $0.kind == "job-started" }, "purge \(round): PII purged with no job-started")
            }
            #expect(try cli.run(["purge", "--vault", vault]).status == 0)
            #expect(try vaultValue("SELECT count(*) FROM orders WHERE pii_removed_at IS NOT NULL") as Int? == (round + 1) * batch, "purge \(round)")
            try checkAfterKill(since: since, "purge \(round) re-run")
        }
        print("purge: \(inside) of \(Self.delays.count) kills landed inside the job")
    }

    @Test func killedImports() throws {
        let batch = 4000
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            let file = try report("orders-\(round).txt", orders: batch, first: round * batch)
            let since = try head()
            try kill(delay, ["import", "--vault", vault, file])
            if try checkAfterKill(since: since, "import \(round)") { inside += 1 }
            let orders: Int = try vaultValue("SELECT count(*) FROM orders") ?? 0
            if orders > round * batch {
                #expect(try entries(after: since).contains { $0.kind == "job-started" }, "import \(round): orders with no job-started")
            }
            #expect(try cli.run(["import", "--vault", vault, file]).status == 0)
            #expect(try vaultValue("SELECT count(*) FROM orders") as Int? == (round + 1) * batch, "import \(round)")
            try checkAfterKill(since: since, "import \(round) re-run")
        }
        print("import: \(inside) of \(Self.delays.count) kills landed inside the job")
    }

    @Test func killedOrderLifecycleCommands() throws {
        #expect(try cli.run(["import", "--vault", vault, try report("orders.txt", orders: 100)]).status == 0)
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            let order = orderID(round)
            let command = round % 2 == 0 ? ["orders", "ship", "--order", order, "--carrier", "BRT", "--tracking", "T\(round)"]
                                         : ["orders", "deliver", "--order", order, "--date", "2026-11-20"]
            let since = try head()
            try kill(delay, command + ["--vault", vault])
            if try checkAfterKill(since: since, "\(command[1]) \(round)") { inside += 1 }
            let status: String? = try vaultValue("SELECT status FROM orders WHERE order_id = '\(order)'")
            if status != "unshipped" {
                #expect(try entries(after: since).contains { $0.kind == "job-started" && $0.order == order }, "\(command[1]) \(round): changed with no job-started")
            }
            #expect(try cli.run(command + ["--vault", vault]).status == 0)
            #expect(try vaultValue("SELECT status FROM orders WHERE order_id = '\(order)'") as String? == (round % 2 == 0 ? "shipped" : "delivered"))
            try checkAfterKill(since: since, "\(command[1]) \(round) re-run")
        }
        print("orders: \(inside) of \(Self.delays.count) kills landed inside the job")
    }

    @Test func killedRotations() throws {
        #expect(try cli.run(["import", "--vault", vault, try report("orders.txt", orders: 6000)]).status == 0)
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            let since = try head()
            let versionsBefore: Int = try vaultValue("SELECT max(version) FROM keys WHERE role = 'field'") ?? 0
            try kill(delay, ["keys", "rotate", "--vault", vault, "--batch-size", "200"])
            if try checkAfterKill(since: since, "rotate \(round)") { inside += 1 }
            if try vaultValue("SELECT max(version) FROM keys WHERE role = 'field'") as Int? ?? 0 > versionsBefore {
                #expect(try entries(after: since).contains { $0.kind == "job-started" }, "rotate \(round): a key made with no job-started")
            }
            // Without --resume, `keys rotate` resumes one in progress (or starts one, if the kill came first).
            #expect(try cli.run(["keys", "rotate", "--vault", vault, "--quiet"]).status == 0)
            #expect(try vaultValue("SELECT count(*) FROM meta WHERE name = 'rotation'") as Int? == 0)
            try checkAfterKill(since: since, "rotate \(round) re-run")
        }
        print("rotate: \(inside) of \(Self.delays.count) kills landed inside the job")
    }

    @Test func killedRewraps() throws {
        #expect(try cli.run(["import", "--vault", vault, try report("orders.txt", orders: 200)]).status == 0)
        var current = cli.keyFile
        var inside = 0
        for (round, delay) in Self.delays.enumerated() {
            let next = cli.folder.appendingPathComponent("key-\(round).key").path
            let since = try head()
            try kill(delay, ["keys", "rewrap", "--vault", vault, "--key-file", current, "--new-key-file", next])
            // Exactly one key opens the vault; the journal is closed with it.
            let oldOpens = try cli.run(["status", "--vault", vault, "--key-file", current]).status == 0
            let working = oldOpens ? current : next
            if try checkAfterKill(since: since, key: working, "rewrap \(round)") { inside += 1 }
            if !oldOpens {
                #expect(try entries(after: since).contains { $0.kind == "job-started" }, "rewrap \(round): rewrapped with no job-started")
            } else {
                try? FileManager.default.removeItem(atPath: next)
                #expect(try cli.run(["keys", "rewrap", "--vault", vault, "--key-file", current, "--new-key-file", next]).status == 0)
            }
            current = next
            try checkAfterKill(since: since, key: current, "rewrap \(round) re-run")
        }
        print("rewrap: \(inside) of \(Self.delays.count) kills landed inside the job")
    }
}
