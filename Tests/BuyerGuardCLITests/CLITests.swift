import Foundation
import GRDB
import Testing

/// The real `buyerguard` binary, run as a user would, against real files.
@Suite final class CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("buyerguard")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("buyerguard")
    }

    static let sample = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/samples/orders-2026-11.txt")

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    var vault: String { folder.appendingPathComponent("vault").path }
    var keyFile: String { vault + ".key" }

    /// Starts the CLI with `arguments` and kills it (SIGKILL) after `delay` milliseconds.
    static func kill(after delay: Int, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(useconds_t(delay * 1000))
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BUYERGUARD_") }
        environment.merge(extra) { $1 }
        process.environment = environment
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func initCreatesVaultAndPrivateKeyAndRefusesToOverwrite() throws {
        let created = try run(["init", "--vault", vault])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("Created vault"))
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let key = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        #expect(key.count == 65)  // 64 hex digits and a newline

        let again = try run(["init", "--vault", vault])
        #expect(again.status == 73)
        #expect(again.stderr.contains("refusing to overwrite"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == key)
    }

    @Test func defaultVaultFolderAndEnvironment() throws {
        #expect(try run(["init"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("buyerguard-vault/vault.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("buyerguard-vault.key").path))
        let status = try run(["status"], environment: ["BUYERGUARD_VAULT": "buyerguard-vault",
                                                        "BUYERGUARD_KEY_FILE": "buyerguard-vault.key"])
        #expect(status.status == 0, "\(status.stderr)")
    }

    @Test func importStatusAndReimport() throws {
        try run(["init", "--vault", vault])
        let imported = try run(["import", "--vault", vault, Self.sample.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("orders new 40, updated 0, unchanged 0"))
        let again = try run(["import", "--vault", vault, Self.sample.path])
        #expect(again.stdout.contains("orders new 0, updated 0, unchanged 40"))

        let status = try run(["status", "--vault", vault])
        #expect(status.status == 0)
        #expect(status.stdout.contains("orders     40"))
        #expect(status.stdout.contains("buyers     24"))
        #expect(status.stdout.contains("field        v1  primary"))
        for leaked in ["marketplace.amazon.it", "Romano", "Via ", "+39"] {
            #expect(!status.stdout.contains(leaked) && !imported.stdout.contains(leaked) && !imported.stderr.contains(leaked))
        }

        let json = try run(["status", "--vault", vault, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["statistics"] as? [String: Any])?["orders"] as? Int == 40)
    }

    @Test func rejectedRowsGiveExitCode2WithFileAndLine() throws {
        try run(["init", "--vault", vault])
        var text = try String(contentsOf: Self.sample, encoding: .utf8)
        text = text.replacingOccurrences(of: "2026-11-05T", with: "05/11/2026 ")
        let report = folder.appendingPathComponent("bad.txt")
        try Data(text.utf8).write(to: report)
        let result = try run(["import", "--vault", vault, report.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.txt:"))
        #expect(result.stderr.contains("purchase-date is not a date"))
        #expect(!result.stderr.contains("marketplace.amazon.it"))
    }

    @Test func notAReportIsExitCode65() throws {
        try run(["init", "--vault", vault])
        let file = folder.appendingPathComponent("notes.txt")
        try Data("hello\tworld\n".utf8).write(to: file)
        let result = try run(["import", "--vault", vault, file.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("notes.txt:1"))
    }

    @Test func insecureKeyFileIsExitCode4() throws {
        try run(["init", "--vault", vault])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        let result = try run(["status", "--vault", vault])
        #expect(result.status == 4)
        #expect(result.stderr.contains("chmod 600"))
    }

    @Test func wrongMasterKeyIsExitCode3() throws {
        try run(["init", "--vault", vault])
        let other = String(repeating: "ab", count: 32)
        let result = try run(["status", "--vault", vault], environment: ["BUYERGUARD_MASTER_KEY": other])
        #expect(result.status == 3)
        #expect(result.stderr.contains("wrong master key"))
        #expect(try run(["status", "--vault", vault]).status == 0)
    }

    @Test func missingVaultAndFileAreExitCode66() throws {
        let noVault = try run(["status", "--vault", vault])
        #expect(noVault.status == 66)
        #expect(noVault.stderr.contains("buyerguard init"))
        try run(["init", "--vault", vault])
        let noFile = try run(["import", "--vault", vault, "missing.txt"])
        #expect(noFile.status == 66)
    }

    @Test func usageErrorsAreExitCode64() throws {
        #expect(try run(["import", "--vault", vault]).status == 64)
        #expect(try run(["import", "--encoding", "klingon", "x.txt"]).status == 64)
    }

    @Test func passphraseVault() throws {
        let environment = ["BUYERGUARD_PASSPHRASE": "una passphrase lunga e segreta"]
        let created = try run(["init", "--vault", vault, "--passphrase"], environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyFile))
        #expect(try run(["status", "--vault", vault, "--passphrase"], environment: environment).status == 0)
        let wrong = try run(["status", "--vault", vault, "--passphrase"], environment: ["BUYERGUARD_PASSPHRASE": "sbagliata"])
        #expect(wrong.status == 3)
    }
}

/// A killed import leaves only whole orders, and running it again completes the vault.
@Suite final class KilledImportTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-kill-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func writeReport(orders: Int) throws -> URL {
        var text = "order-id\torder-item-id\tpurchase-date\tbuyer-email\tbuyer-name\tsku\tquantity-purchased\trecipient-name\tship-address-1\tship-city\tship-postal-code\tship-country\n"
        for number in 0..<orders {
            let id = String(format: "40%d-%07d-%07d", 2 + number % 7, (number * 7919) % 10_000_000, number)
            for item in 0..<(number % 3 == 0 ? 3 : 1) {
                text += "\(id)\t\(number)-\(item)\t2026-11-02T10:00:00Z\tb\(number % 5000)@marketplace.amazon.it\tBuyer \(number % 5000)\tSKU\(item)\t1\tBuyer \(number % 5000)\tVia Roma \(number % 90)\tMilano\t20121\tIT\n"
            }
        }
        let url = folder.appendingPathComponent("orders.txt")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test(arguments: [150, 400, 900])
    func killedImportResumesByRunningAgain(afterMilliseconds delay: Int) throws {
        let vault = folder.appendingPathComponent("vault-\(delay)").path
        let report = try writeReport(orders: 60_000)
        let cli = try CLITests()
        #expect(try cli.run(["init", "--vault", vault]).status == 0)

        try CLITests.kill(after: delay, ["import", "--vault", vault, "--batch-size", "2000", report.path])

        // Whatever was committed is whole orders: every order has all of its items.
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        let (orders, broken) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") ?? 0,
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM orders WHERE item_count != (SELECT count(*) FROM order_items WHERE order_ref = orders.id)
                    OR item_count != (CASE WHEN CAST(substr(order_id, 13) AS INTEGER) % 3 = 0 THEN 3 ELSE 1 END)
                """) ?? -1)
        }
        try database.close()
        #expect(broken == 0)
        #expect(orders < 60_000, "the import finished before it was killed; the test proves nothing")
        let again = try cli.run(["import", "--vault", vault, report.path])
        #expect(again.status == 0, "\(again.stderr)")
        let status = try cli.run(["status", "--vault", vault, "--format", "json"])
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])["statistics"] as? [String: Any]
        #expect(stats?["orders"] as? Int == 60_000)
        #expect(stats?["items"] as? Int == 100_000)
        let third = try cli.run(["import", "--vault", vault, report.path])
        #expect(third.stdout.contains("orders new 0, updated 0, unchanged 60000"), "\(third.stdout)")
    }
}

/// `access`, `orders` and `audit` as a seller and an auditor run them.
@Suite final class AccessCLITests {
    let cli: CLITests
    let vault: String
    let order: String
    let email: String

    init() throws {
        cli = try CLITests()
        vault = cli.folder.appendingPathComponent("vault").path
        let firstRow = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")[1].split(separator: "\t", omittingEmptySubsequences: false)
        order = String(firstRow[0])
        email = String(firstRow[4])
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
    }

    @Test func labelPrintingMarketingDenialAndVerify() throws {
        let label = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "label-printer"])
        #expect(label.status == 0, "\(label.stderr)")
        #expect(label.stdout.contains("recipient-name\t"))
        #expect(label.stdout.contains("address-line-1\t"))
        #expect(!label.stdout.contains("buyer-email"))

        let marketing = try cli.run(["access", "--vault", vault, "--purpose", "marketing", "--order", order, "--actor", "anna"])
        #expect(marketing.status == 6)
        #expect(marketing.stdout.isEmpty)
        #expect(marketing.stderr.contains("purpose-prohibited"))

        let tooMuch = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "x", "--fields", "buyer-email"])
        #expect(tooMuch.status == 6)
        #expect(tooMuch.stderr.contains("field-not-allowed"))

        let mail = try cli.run(["access", "--vault", vault, "--purpose", "order-messaging", "--kind", "shipment-delay", "--order", order,
                                "--actor", "mailer", "--format", "json"])
        #expect(mail.status == 0)
        #expect(mail.stdout.contains(email))

        let log = try cli.run(["audit", "log", "--vault", vault, "--format", "jsonl", "--decision", "denied"])
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!log.stdout.contains(email))

        let checkpointFile = cli.folder.appendingPathComponent("cp.json").path
        #expect(try cli.run(["audit", "checkpoint", "--vault", vault, "--out", checkpointFile]).status == 0)
        let verify = try cli.run(["audit", "verify", "--vault", vault, "--checkpoint", checkpointFile])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("OK: the log is intact"))

        // The auditor's copy, without the vault or the key.
        let copy = try cli.run(["audit", "verify", "--log", vault + "/audit.sqlite", "--checkpoint", checkpointFile])
        #expect(copy.status == 0)

        // Tampering gives exit code 5 and names the entry.
        let database = try DatabaseQueue(path: vault + "/audit.sqlite")
        // Entry 1 is the vault's creation, 2 the import's job-started, 3 the import, 4 the label, 5 the marketing denial.
        try database.write { db in try db.execute(sql: "UPDATE entries SET decision = 'granted' WHERE seq = 5") }
        try database.close()
        let tampered = try cli.run(["audit", "verify", "--vault", vault])
        #expect(tampered.status == 5)
        #expect(tampered.stdout.contains("entry 5"))
    }

    @Test func pseudonymFindsABuyersEntries() throws {
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "customer-support", "--case", "C-1", "--order", order, "--actor", "anna"]).status == 0)
        let pseudonym = try cli.run(["audit", "pseudonym", "--vault", vault, "--email", email]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pseudonym.count == 32)
        let log = try cli.run(["audit", "log", "--vault", vault, "--buyer", pseudonym, "--format", "jsonl"])
        #expect(log.stdout.split(separator: "\n").count == 1)
        #expect(log.stdout.contains("\"caseID\":\"C-1\""))
    }

    @Test func ordersLifecycleAndFeeds() throws {
        #expect(try cli.run(["orders", "ship", "--vault", vault, "--order", order, "--carrier", "BRT", "--tracking", "BRT-1"]).status == 0)
        #expect(try cli.run(["orders", "deliver", "--vault", vault, "--order", order, "--date", "2026-10-01"]).status == 0)
        let late = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "w"])
        #expect(late.status == 6)
        #expect(late.stderr.contains("shipping-window-closed"))

        let rows = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n").dropFirst()
        let orders = Array(Set(rows.map { String($0.split(separator: "\t")[0]) })).sorted()
        let feed = cli.folder.appendingPathComponent("confirm.txt")
        var text = "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n"
        text += "\(orders[1])\t1\t1\t2026-11-20T10:00:00+01:00\tGLS\tGLS\tGLS-99\tStandard\n"
        text += "409-9999999-9999999\t1\t1\t2026-11-20T10:00:00+01:00\tGLS\tGLS\tGLS-98\tStandard\n"
        try Data(text.utf8).write(to: feed)
        let shipped = try cli.run(["orders", "import-feed", "--vault", vault, feed.path])
        #expect(shipped.status == 2)
        #expect(shipped.stdout.contains("orders updated 1, not in vault 1"))
        let adjustments = cli.folder.appendingPathComponent("adjust.txt")
        try Data("order-id\tadjustment-reason-code\n\(orders[2])\tNoInventory\n".utf8).write(to: adjustments)
        #expect(try cli.run(["orders", "import-feed", "--vault", vault, adjustments.path]).status == 0)
        let status = try cli.run(["status", "--vault", vault])
        #expect(status.stdout.contains("refunded 1"))
        #expect(status.stdout.contains("shipped 1"))
        #expect(status.stdout.contains("delivered 1"))
    }

    @Test func casesImportReadsAHelpDeskFeed() throws {
        let feed = cli.folder.appendingPathComponent("tickets.tsv")
        var text = "case-id\torder-id\topened-at\thandler\tclosed-at\n"
        text += "T-1\t\(order)\t2026-11-20T10:00:00+01:00\tbruno\t\n"
        text += "T-2\t409-9999999-9999999\t2026-11-20T10:00:00+01:00\t\t\n"
        try Data(text.utf8).write(to: feed)
        let imported = try cli.run(["cases", "import", "--vault", vault, feed.path])
        #expect(imported.status == 2)
        #expect(imported.stdout.contains("support-cases, rows 2, cases updated 1, not in vault 1"))
        #expect(imported.stderr.contains("tickets.tsv:3: order is not in the vault"))
        let again = try cli.run(["cases", "import", "--vault", vault, feed.path])
        #expect(again.stdout.contains("cases updated 0"))
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "customer-support", "--case", "T-1", "--order", order, "--actor", "bruno"]).status == 0)
        let log = try cli.run(["audit", "log", "--vault", vault, "--format", "jsonl"]).stdout
        #expect(log.split(separator: "\n").last?.contains("\"explanation\":\"case-handler\"") == true)
        let notAFeed = cli.folder.appendingPathComponent("orders.tsv")
        try Data("order-id\tship-date\n\(order)\t2026-11-20\n".utf8).write(to: notAFeed)
        let refused = try cli.run(["cases", "import", "--vault", vault, notAFeed.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("orders.tsv:1") && refused.stderr.contains("case-id"))
    }

    /// The CLI and another process append at the same time: one chain, and it verifies.
    @Test func twoProcessesKeepOneChain() throws {
        let processes = (0..<2).map { worker -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "for i in $(seq 1 15); do \"$0\" access --vault \"$1\" --purpose shipping --order \"$2\" --actor w\(worker) > /dev/null || exit 1; done",
                                 CLITests.binary.path, vault, order]
            return process
        }
        for process in processes { try process.run() }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let verify = try cli.run(["audit", "verify", "--vault", vault, "--format", "json"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(report?["entries"] as? Int == 33)  // the vault's creation, the import (started, done) and 30 accesses
    }
}

@Suite final class RetentionCLITests {
    @Test func purgeAndErase() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let rows = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        let order = String(rows[0][0])
        // The sample's orders were bought in November 2026; mark one delivered long ago.
        #expect(try cli.run(["orders", "deliver", "--vault", vault, "--order", order, "--date", "2026-01-01"]).status == 0)
        let dry = try cli.run(["purge", "--vault", vault, "--dry-run"])
        #expect(dry.stdout.contains("would remove the PII of 1 orders"))
        let purge = try cli.run(["purge", "--vault", vault])
        #expect(purge.status == 0)
        #expect(purge.stdout.contains("removed the PII of 1 orders"))
        let access = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "w"])
        #expect(access.status == 6 && access.stderr.contains("purged"))

        let other = rows.first { $0[4] != rows[0][4] }!
        let erase = try cli.run(["erase", "--vault", vault, "--buyer-email", String(other[4])])
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stdout.contains(String(other[0])))
        #expect(try cli.run(["erase", "--vault", vault, "--buyer-email", "nobody@example.com"]).status == 66)
        #expect(try cli.run(["erase", "--vault", vault]).status == 64)
        let log = try cli.run(["audit", "log", "--vault", vault, "--format", "jsonl"])
        #expect(log.stdout.contains("\"kind\":\"purge\"") && log.stdout.contains("\"kind\":\"erase\""))
        #expect(!log.stdout.contains(String(other[4])))
        #expect(try cli.run(["audit", "verify", "--vault", vault]).status == 0)
    }
}

@Suite final class KeysCLITests {
    @Test func statusAndRewrap() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let status = try cli.run(["keys", "status", "--vault", vault])
        #expect(status.status == 0)
        #expect(status.stdout.contains("field\tv1\tprimary"))
        let newKey = cli.folder.appendingPathComponent("new.key").path
        let rewrap = try cli.run(["keys", "rewrap", "--vault", vault, "--new-key-file", newKey])
        #expect(rewrap.status == 0, "\(rewrap.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: newKey)[.posixPermissions] as? Int) == 0o600)
        #expect(try cli.run(["status", "--vault", vault]).status == 3)  // the old key file no longer opens it
        #expect(try cli.run(["status", "--vault", vault, "--key-file", newKey]).status == 0)
        #expect(try cli.run(["audit", "verify", "--vault", vault, "--key-file", newKey]).status == 0)
    }
}

/// A rotation killed at any point resumes and loses nothing.
@Suite final class KilledRotationTests {
    @Test(arguments: [100, 300, 700])
    func killedRotationResumes(afterMilliseconds delay: Int) throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        let reports = try KilledImportTests()  // owns the report's folder for the length of the test
        defer { withExtendedLifetime(reports) {} }
        let report = try reports.writeReport(orders: 3000)
        #expect(try cli.run(["import", "--vault", vault, report.path]).status == 0)
        let rows = try String(contentsOf: report, encoding: .utf8).split(separator: "\n").dropFirst()
        let orders = Array(Set(rows.map { String($0.split(separator: "\t")[0]) })).sorted()
        let sampled = stride(from: 0, to: orders.count, by: 97).map { orders[$0] }
        func labels() throws -> [String] {
            try sampled.map { try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", $0, "--actor", "check"]).stdout }
        }
        let before = try labels()

        try CLITests.kill(after: delay, ["keys", "rotate", "--vault", vault, "--batch-size", "50", "--throttle-ms", "5"])

        // Mid-rotation the vault still serves every order, from old and new keys alike.
        #expect(try labels() == before)
        // Without --resume, `keys rotate` resumes one in progress (or starts one, if the kill came first).
        let resumed = try cli.run(["keys", "rotate", "--vault", vault])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let status = try cli.run(["keys", "status", "--vault", vault, "--format", "json"])
        let keys = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]] ?? []
        let oldField = keys.first { $0["role"] as? String == "field" && $0["version"] as? Int == 1 }
        #expect(oldField?["valuesUsingIt"] as? Int == 0)
        #expect(try labels() == before)
        #expect(try cli.run(["keys", "retire", "--vault", vault, "--key", "field", "--version", "1"]).status == 0)
        #expect(try cli.run(["keys", "retire", "--vault", vault, "--key", "blind-index", "--version", "1"]).status == 0)
        #expect(try labels() == before)
        #expect(try cli.run(["audit", "verify", "--vault", vault]).status == 0)
    }
}

/// Purge and rewrap killed at any point: nothing is half done, and running them again completes.
@Suite final class KilledMaintenanceTests {
    func vaultWithOrders(_ cli: CLITests, orders: Int) throws -> (vault: String, reports: KilledImportTests) {
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        let reports = try KilledImportTests()
        #expect(try cli.run(["import", "--vault", vault, try reports.writeReport(orders: orders).path]).status == 0)
        return (vault, reports)
    }

    @Test(arguments: [100, 250, 500])
    func killedPurgeLeavesWholeOrdersAndCompletes(afterMilliseconds delay: Int) throws {
        let cli = try CLITests()
        let (vault, reports) = try vaultWithOrders(cli, orders: 30_000)
        defer { withExtendedLifetime(reports) {} }
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        try database.write { db in try db.execute(sql: "UPDATE orders SET delivered_at = 1") }
        try database.close()
        try CLITests.kill(after: delay, ["purge", "--vault", vault])
        // Every order is either untouched or fully purged: never some fields gone and others kept.
        let check = try DatabaseQueue(path: vault + "/vault.sqlite")
        let half = try check.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM orders WHERE (pii_removed_at IS NULL AND address_line_1 IS NULL)
                    OR (pii_removed_at IS NOT NULL AND (address_line_1 IS NOT NULL OR recipient_name IS NOT NULL OR city IS NOT NULL))
                """) ?? -1
        }
        try check.close()
        #expect(half == 0)
        let again = try cli.run(["purge", "--vault", vault])
        #expect(again.status == 0, "\(again.stderr)")
        let status = try cli.run(["status", "--vault", vault])
        #expect(status.stdout.contains("orders     30000  (PII removed from 30000)"), "\(status.stdout)")
        #expect(try cli.run(["audit", "verify", "--vault", vault]).status == 0)
    }

    @Test(arguments: [30, 60, 120])
    func killedRewrapLeavesOneWorkingKey(afterMilliseconds delay: Int) throws {
        let cli = try CLITests()
        let (vault, reports) = try vaultWithOrders(cli, orders: 300)
        defer { withExtendedLifetime(reports) {} }
        let order = String(format: "40%d-%07d-%07d", 2, 0, 0)
        let before = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "c"]).stdout
        let newKey = cli.folder.appendingPathComponent("new.key").path
        try CLITests.kill(after: delay, ["keys", "rewrap", "--vault", vault, "--new-key-file", newKey])
        let old = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "c"])
        let new = FileManager.default.fileExists(atPath: newKey)
            ? try cli.run(["access", "--vault", vault, "--key-file", newKey, "--purpose", "shipping", "--order", order, "--actor", "c"])
            : old
        // Exactly one of the keys opens the vault (both, when the new key file is not there yet), with the data intact.
        #expect(old.status == 0 || new.status == 0)
        #expect(!(old.status == 0 && new.status == 0 && FileManager.default.fileExists(atPath: newKey) && old.stdout != new.stdout))
        #expect((old.status == 0 ? old.stdout : new.stdout) == before)
        // Running it again finishes the job with the same new key file.
        if old.status == 0 {
            #expect(try cli.run(["keys", "rewrap", "--vault", vault, "--new-key-file", newKey]).status == 0)
        }
        #expect(try cli.run(["access", "--vault", vault, "--key-file", newKey, "--purpose", "shipping", "--order", order, "--actor", "c"]).stdout == before)
        #expect(try cli.run(["audit", "verify", "--vault", vault, "--key-file", newKey]).status == 0)
    }
}

@Suite final class MessageCLITests {
    @Test func checkReportsPlacesAndRules() throws {
        let cli = try CLITests()
        let file = cli.folder.appendingPathComponent("message.txt")
        try Data("Gentile cliente,\nil suo ordine 402-1234567-1234567 è in ritardo.\nUsi il codice sconto GRAZIE10!\n".utf8).write(to: file)
        let text = try cli.run(["message", "check", "--kind", "shipment-delay", "--order", "402-1234567-1234567", file.path])
        #expect(text.status == 6)
        #expect(text.stdout.contains("message.txt:3:8: [marketing]"), "\(text.stdout)")
        let json = try cli.run(["message", "check", "--kind", "shipment-delay", "--order", "402-1234567-1234567", "--format", "json", file.path])
        let violations = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(violations?.first?["rule"] as? String == "marketing")
        #expect(violations?.first?["line"] as? Int == 3)
        let clean = cli.folder.appendingPathComponent("clean.txt")
        try Data("Gentile cliente, il suo ordine 402-1234567-1234567 è in ritardo di due giorni. Ci scusiamo.".utf8).write(to: clean)
        let ok = try cli.run(["message", "check", "--kind", "shipment-delay", "--order", "402-1234567-1234567", clean.path])
        #expect(ok.status == 0 && ok.stdout.contains("OK"))
        #expect(try cli.run(["message", "check", "--kind", "newsletter", "--order", "402-1234567-1234567", clean.path]).status == 64)
    }
}

@Suite final class CasesCLITests {
    /// A case opened and assigned with the CLI explains its handler's reads, in the log the CLI lists.
    @Test func casesRecordedByTheCLIExplainSupportReads() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let rows = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")
        let order = String(rows[1].split(separator: "\t")[0])
        let other = try #require(rows.dropFirst().map { String($0.split(separator: "\t")[0]) }.first { $0 != order })
        let opened = try cli.run(["cases", "open", "--vault", vault, "--case", "C-77", "--order", order, "--actor", "inbox"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try cli.run(["cases", "assign", "--vault", vault, "--case", "C-77", "--order", order, "--to", "anna"]).status == 0)
        for actor in ["anna", "bruno"] {
            #expect(try cli.run(["access", "--vault", vault, "--purpose", "customer-support", "--case", "C-77", "--order", order, "--actor", actor]).status == 0)
        }
        let log = try cli.run(["audit", "log", "--vault", vault, "--format", "jsonl"])
        let grants = log.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["decision"] as? String == "granted" }
        #expect(grants.map { $0["explanation"] as? String } == ["case-handler", "unexplained"], "\(grants)")
        let reused = try cli.run(["cases", "open", "--vault", vault, "--case", "C-77", "--order", other])
        #expect(reused.status == 64 && reused.stderr.contains("belongs to another order"), "\(reused.status) \(reused.stderr)")
    }
}

@Suite final class AuditScanCLITests {
    @Test func scanFindsTheMarketingAttemptAndExitsWith8() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let order = String(try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")[1].split(separator: "\t")[0])
        let clean = try cli.run(["audit", "scan", "--vault", vault, "--min-severity", "medium"])
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "marketing", "--order", order, "--actor", "newsletter-tool"]).status == 6)
        let scan = try cli.run(["audit", "scan", "--vault", vault, "--min-severity", "medium"])
        #expect(scan.status == 8)
        #expect(scan.stdout.contains("HIGH (1)") && scan.stdout.contains("  newsletter-tool\n    [denied-purpose]"), "\(scan.stdout)")
        #expect(scan.stdout.contains("see: buyerguard audit log --actor newsletter-tool --from "))
        let jsonl = try cli.run(["audit", "scan", "--vault", vault, "--format", "jsonl", "--min-severity", "medium"])
        let finding = try JSONSerialization.jsonObject(with: Data(jsonl.stdout.split(separator: "\n")[0].utf8)) as? [String: Any]
        #expect(finding?["rule"] as? String == "denied-purpose" && finding?["severity"] as? String == "high")
        #expect(finding?["evidence"] != nil && finding?["explanation"] != nil && finding?["from"] != nil)
    }

    @Test func canariesPlantedByTheCLIAreCaughtAndTheirListStaysOutOfTheVault() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        let list = cli.folder.appendingPathComponent("canaries.txt").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let planted = try cli.run(["canary", "add", "--vault", vault, "--count", "2", "--out", list])
        #expect(planted.status == 0, "\(planted.stderr)")
        let ids = try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(ids.count == 2)
        let permissions = try FileManager.default.attributesOfItem(atPath: list)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        // The audit log records how many were planted, not which: the list is the only record of them.
        for file in try FileManager.default.contentsOfDirectory(atPath: vault) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: vault).appendingPathComponent(file))
            for id in ids { #expect(bytes.range(of: Data(id.utf8)) == nil || file.hasPrefix("vault"), "\(id) in \(file)") }
        }
        #expect(try cli.run(["audit", "scan", "--vault", vault, "--canaries", list, "--min-severity", "high"]).status == 0)
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", ids[0], "--actor", "curious"]).status == 0)
        let scan = try cli.run(["audit", "scan", "--vault", vault, "--canaries", list, "--min-severity", "high", "--format", "json"])
        #expect(scan.status == 8)
        let output = try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any]
        let findings = output?["findings"] as? [[String: Any]]
        #expect(findings?.first?["rule"] as? String == "canary" && findings?.first?["severity"] as? String == "critical")

        try Data("402-1234567-1234567\nnot an order\n".utf8).write(to: URL(fileURLWithPath: list))
        let bad = try cli.run(["audit", "scan", "--vault", vault, "--canaries", list])
        #expect(bad.status == 65 && bad.stderr.contains("canaries.txt:2"), "\(bad.stderr)")
    }

    @Test func rulesFileAndStateFileShapeWhatIsReported() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let order = String(try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n")[1].split(separator: "\t")[0])
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "export", "--order", order, "--actor", "crm-sync"]).status == 6)

        // A rules file that switches the rule off: nothing to report.
        let rules = cli.folder.appendingPathComponent("rules.toml")
        try Data("[denied-purpose]\nenabled = false\n".utf8).write(to: rules)
        let off = try cli.run(["audit", "scan", "--vault", vault, "--rules", rules.path, "--min-severity", "medium"])
        #expect(off.status == 0, "\(off.stdout)")
        try Data("[denied-purpose]\nenabled = maybe\n".utf8).write(to: rules)
        let malformed = try cli.run(["audit", "scan", "--vault", vault, "--rules", rules.path])
        #expect(malformed.status == 65 && malformed.stderr.contains("rules.toml:2"), "\(malformed.stderr)")

        // A state file: the first run reports the attempt, the next one only what is new.
        let state = cli.folder.appendingPathComponent("scan-state.json").path
        let first = try cli.run(["audit", "scan", "--vault", vault, "--state", state, "--min-severity", "medium"])
        #expect(first.status == 8 && first.stdout.contains("crm-sync"))
        let second = try cli.run(["audit", "scan", "--vault", vault, "--state", state, "--min-severity", "medium"])
        #expect(second.status == 0 && second.stdout.contains("no new findings"), "\(second.stdout)")
        #expect(try cli.run(["access", "--vault", vault, "--purpose", "marketing", "--order", order, "--actor", "newsletter"]).status == 6)
        let third = try cli.run(["audit", "scan", "--vault", vault, "--state", state, "--min-severity", "medium", "--format", "jsonl"])
        #expect(third.status == 8 && third.stdout.split(separator: "\n").count == 1 && third.stdout.contains("newsletter"))
        #expect(try cli.run(["audit", "scan", "--vault", vault, "--min-severity", "urgent"]).status == 64)
    }

    /// The JSON starts with what the scan covered, and the same log gives the same bytes in
    /// every run (each run a new process, with its own hash seed: no set or dictionary order leaks).
    @Test func scanJSONHasACoverageHeaderAndIsTheSameEveryRun() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        let orders = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n").dropFirst()
            .map { String($0.split(separator: "\t")[0]) }
        for order in orders.prefix(3) {
            #expect(try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", "printer"]).status == 0)
        }
        #expect(try cli.run(["cases", "open", "--vault", vault, "--case", "C-1", "--order", orders[1], "--actor", "inbox"]).status == 0)  // the shop records its cases
        for order in orders.prefix(6) {  // support reads under a case nobody opened: unexplained
            _ = try cli.run(["access", "--vault", vault, "--purpose", "customer-support", "--case", "C-9", "--order", order, "--actor", "eve"])
        }
        _ = try cli.run(["access", "--vault", vault, "--purpose", "marketing", "--order", orders[0], "--actor", "eve"])

        let runs = try (0..<3).map { _ in try cli.run(["audit", "scan", "--vault", vault, "--format", "json"]) }
        #expect(runs.allSatisfy { $0.status == 8 })
        #expect(Set(runs.map(\.stdout)).count == 1, "the same log gave different JSON")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(runs[0].stdout.utf8)) as? [String: Any])
        #expect(runs[0].stdout.range(of: "\"coverage\"")!.lowerBound < runs[0].stdout.range(of: "\"findings\"")!.lowerBound)
        let coverage = try #require(output["coverage"] as? [String: Any])
        let explanation = try #require(coverage["explanation"] as? [String: Any])
        #expect(explanation["granted"] as? Int == 3 + min(6, orders.count) && explanation["unexplained"] as? Int == min(6, orders.count), "\(explanation)")
        let actors = try #require(coverage["byActor"] as? [[String: Any]])
        #expect(actors.map { $0["actor"] as? String } == ["eve", "printer"])
        #expect(((actors[1]["explanation"] as? [String: Any])?["rate"] as? Double) == 1)
        #expect((coverage["byDay"] as? [[String: Any]])?.count == 1 && coverage["intact"] as? Bool == true)
        #expect(coverage["entriesScanned"] as? Int == coverage["logEntries"] as? Int && coverage["from"] is String)
        #expect(!((output["findings"] as? [[String: Any]]) ?? []).isEmpty)

        let text = try cli.run(["audit", "scan", "--vault", vault])
        #expect(text.stdout.contains("explained: ") && text.stdout.contains("lowest: eve 0.0% of 6"), "\(text.stdout)")

        // `--log` takes the audit.sqlite, or a folder holding one; anything else is told as such.
        let folder = try cli.run(["audit", "scan", "--log", vault, "--format", "json"])
        #expect(folder.status == 8 && folder.stdout == runs[0].stdout, "\(folder.stderr)")
        let empty = cli.folder.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let noLog = try cli.run(["audit", "scan", "--log", empty])
        #expect(noLog.status == 66 && noLog.stderr.contains("a folder without an audit.sqlite"), "\(noLog.stderr)")
        let notSQLite = try cli.run(["audit", "scan", "--log", CLITests.sample.path])
        #expect(notSQLite.status == 65 && notSQLite.stderr.contains("not a BuyerGuard audit log"), "\(notSQLite.stderr)")
    }

    @Test func anAuditorsCopyIsScannedAgainstAnExportedCheckpoint() throws {
        let cli = try CLITests()
        let vault = cli.folder.appendingPathComponent("vault").path
        let checkpoint = cli.folder.appendingPathComponent("checkpoint.json").path
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        #expect(try cli.run(["audit", "checkpoint", "--vault", vault, "--out", checkpoint]).status == 0)
        let copy = cli.folder.appendingPathComponent("audit-copy.sqlite").path
        let log = try DatabaseQueue(path: vault + "/audit.sqlite")
        try log.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        let clean = try cli.run(["audit", "scan", "--log", copy, "--checkpoint", checkpoint])
        #expect(clean.status == 0 && clean.stdout.contains("entries scanned from"), "\(clean.stdout)")
        let keyless = try cli.run(["audit", "scan", "--log", copy])
        #expect(keyless.stderr.contains("warning: no trusted public key given"), "\(keyless.stderr)")

        // The copy's tail cut off, its own checkpoints with it: only the exported checkpoint tells.
        let damaged = try DatabaseQueue(path: copy)
        try damaged.write { db in
            try db.execute(sql: "DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)")
            try db.execute(sql: "DELETE FROM checkpoints")
        }
        #expect(try cli.run(["audit", "scan", "--log", copy]).status == 0)
        let scan = try cli.run(["audit", "scan", "--log", copy, "--checkpoint", checkpoint, "--format", "json"])
        #expect(scan.status == 5, "\(scan.stdout)")
        let output = try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any]
        let findings = output?["findings"] as? [[String: Any]]
        #expect(findings?.first?["rule"] as? String == "log-integrity" && findings?.first?["severity"] as? String == "critical")
        #expect((output?["coverage"] as? [String: Any])?["intact"] as? Bool == false)
    }
}
