import Foundation
import Testing

/// The CLI as an attacker would use it: a deleted log, forged table rows, planted or linked output files.
@Suite struct EvidenceCLITests {
    let cli: CLITests
    var vault: String { cli.vault }

    init() throws {
        cli = try CLITests()
        try cli.run(["init", "--vault", cli.vault])
        try cli.run(["import", "--vault", cli.vault, CLITests.sample.path])
    }

    var firstOrder: String {
        get throws {
            let lines = try String(contentsOf: CLITests.sample, encoding: .utf8).split(whereSeparator: \.isNewline)
            return String(lines[1].prefix { $0 != "\t" })
        }
    }

    @Test func aDeletedLogStopsStatusVerifyAndScanWithExit5() throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: vault + "/audit.sqlite" + suffix) }
        for command in [["status"], ["audit", "verify"], ["audit", "scan"], ["access", "--purpose", "shipping", "--actor", "printer", "--order", try firstOrder]] {
            let result = try cli.run(command + ["--vault", vault])
            #expect(result.status == 5, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("missing"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: vault + "/audit.sqlite"))
    }

    /// A newline and tabs in --actor would make a forged row in `audit log`'s table.
    @Test func aForgedRowInTheActorIsRefusedAndPrintedEscaped() throws {
        let forged = "anna\n999\t2026-11-02T10:00:00Z\tboss\towner\tshipping"
        let result = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", try firstOrder, "--actor", forged])
        #expect(result.status == 6, "\(result.stderr)")
        let log = try cli.run(["audit", "log", "--vault", vault])
        #expect(log.status == 0)
        #expect(!log.stdout.contains("\n999\t"))
        // Stored escaped by the broker, printed escaped again (so a literal backslash can never pass for an escape).
        #expect(log.stdout.contains("anna\\\\u{000A}999\\\\u{0009}"))
        let escape = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", try firstOrder, "--actor", "x\u{1B}[2J"])
        #expect(escape.status == 6 && !escape.stderr.contains("\u{1B}"))
        #expect(!(try cli.run(["audit", "log", "--vault", vault])).stdout.contains("\u{1B}"))
    }

    @Test func checkpointOutRefusesLinksAndExistingFilesAndNamesAMissingFolder() throws {
        let target = cli.folder.appendingPathComponent("target").path
        FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        let link = cli.folder.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let before = try cli.run(["audit", "verify", "--vault", vault, "--format", "json"]).stdout
        let linked = try cli.run(["audit", "checkpoint", "--vault", vault, "--out", link])
        #expect(linked.status == 73, "\(linked.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        let missing = try cli.run(["audit", "checkpoint", "--vault", vault, "--out", cli.folder.appendingPathComponent("no/such/cp.json").path])
        #expect(missing.status == 74 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("NSCocoaErrorDomain"))
        // Neither refused export signed anything.
        #expect(try cli.run(["audit", "verify", "--vault", vault, "--format", "json"]).stdout == before)
        let good = cli.folder.appendingPathComponent("cp.json").path
        #expect(try cli.run(["audit", "checkpoint", "--vault", vault, "--out", good]).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: good)[.posixPermissions] as? Int == 0o600)
    }

    @Test func canaryOutAppendsOnlyToAPrivateFileOfTheUser() throws {
        let list = cli.folder.appendingPathComponent("canaries.txt").path
        #expect(try cli.run(["canary", "add", "--vault", vault, "--count", "1", "--out", list]).status == 0)
        #expect(try cli.run(["canary", "add", "--vault", vault, "--count", "1", "--out", list]).status == 0)
        #expect(try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n").count == 2)
        chmod(list, 0o644)
        let open = try cli.run(["canary", "add", "--vault", vault, "--count", "1", "--out", list])
        #expect(open.status != 0 && open.stderr.contains("readable by group or others"), "\(open.stderr)")
        let link = cli.folder.appendingPathComponent("canary-link.txt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: list)
        let linked = try cli.run(["canary", "add", "--vault", vault, "--count", "1", "--out", link])
        #expect(linked.status != 0 && linked.stderr.contains("symbolic link"), "\(linked.stderr)")
        #expect(try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func anEmailForErasureCanComeFromAFile() throws {
        let file = cli.folder.appendingPathComponent("email.txt").path
        try Data("nobody-here@example.com\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try cli.run(["erase", "--vault", vault, "--buyer-email-file", file])
        #expect(result.status == 66, "\(result.stderr)")
        let log = try cli.run(["audit", "log", "--vault", vault])
        #expect(log.stdout.contains("erase-not-found") && !log.stdout.contains("nobody-here"))
    }

    /// The OS user that ran each command, by login and uid, in every entry the CLI wrote.
    static var osUser: String {
        let uid = getuid()
        guard let record = getpwuid(uid), let login = String(validatingCString: record.pointee.pw_name), !login.isEmpty else {
            return "os-user:uid-\(uid) uid=\(uid)"
        }
        return "os-user:\(login) uid=\(uid)"
    }

    func entries() throws -> [[String: Any]] {
        let log = try cli.run(["audit", "log", "--vault", vault, "--format", "jsonl"])
        #expect(log.status == 0, "\(log.stderr)")
        return try log.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func everyEntryTheCLIWritesNamesTheOSUser() throws {
        try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", try firstOrder, "--actor", "anna@shop.example"])
        let entries = try entries()
        #expect(entries.count >= 4 && entries.last?["kind"] as? String == "access")
        for entry in entries { #expect(entry["identity"] as? String == Self.osUser, "\(entry)") }
        #expect(try cli.run(["audit", "log", "--vault", vault]).stdout.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("\t" + Self.osUser) })
    }

    /// The policy binds this OS user to one actor: claiming another is denied, for an access and for a job.
    @Test func aClaimedActorTheOSUserMayNotBeIsDenied() throws {
        let me = String(Self.osUser.prefix { $0 != " " })
        let policy = cli.folder.appendingPathComponent("policy.toml").path
        try Data("[identities]\n\"\(me)\" = [\"label-printer\"]\n\"os-user:someone-else\" = [\"*\"]\n".utf8)
            .write(to: URL(fileURLWithPath: policy))
        let before = try entries().count
        let granted = try cli.run(["access", "--vault", vault, "--policy", policy, "--purpose", "shipping", "--order", try firstOrder, "--actor", "label-printer"])
        #expect(granted.status == 0, "\(granted.stderr)")
        let denied = try cli.run(["access", "--vault", vault, "--policy", policy, "--purpose", "shipping", "--order", try firstOrder, "--actor", "anna@shop.example"])
        #expect(denied.status == 6 && denied.stdout.isEmpty && denied.stderr.contains("actor-not-permitted"), "\(denied.stderr)")
        let imported = try cli.run(["import", "--vault", vault, "--policy", policy, "--actor", "anna@shop.example", CLITests.sample.path])
        #expect(imported.status == 6 && imported.stderr.contains("import did not run"), "\(imported.stderr)")
        let purge = try cli.run(["purge", "--vault", vault, "--actor", "anna@shop.example"], environment: ["BUYERGUARD_POLICY": policy])
        #expect(purge.status == 6, "\(purge.stderr)")

        let written = Array(try entries().dropFirst(before))
        #expect(written.map { $0["decision"] as? String } == ["granted", "denied", "denied", "denied"])
        #expect(written.map { $0["kind"] as? String } == ["access", "access", "actor-refused", "actor-refused"])
        #expect(written.dropFirst().allSatisfy { $0["reason"] as? String == "actor-not-permitted" && $0["identity"] as? String == Self.osUser })
        #expect(written.suffix(2).allSatisfy { $0["channel"] as? String == "cli" })
        #expect(written.map { $0["details"] as? String }.suffix(2) == [#"{"operation":"import"}"#, #"{"operation":"purge"}"#])
    }
}
