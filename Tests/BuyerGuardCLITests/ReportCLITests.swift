import Foundation
import GRDB
import Testing

/// `audit report` and `compliance evidence` as a seller runs them: on a vault built from the sample
/// order report through the CLI, with a label printed, a marketing request refused, a canary read
/// and a purge; then on a copy of the log alone, on a tampered log, and with bad output paths.
@Suite struct ReportCLITests {
    let cli: CLITests
    var vault: String { cli.vault }
    let canaries: String

    init() throws {
        cli = try CLITests()
        try cli.run(["init", "--vault", cli.vault])
        try cli.run(["import", "--vault", cli.vault, CLITests.sample.path])
        canaries = cli.folder.appendingPathComponent("canaries.txt").path
        try cli.run(["canary", "add", "--vault", cli.vault, "--count", "1", "--out", canaries])
        let orders = try Self.sampleColumn("order-id")
        try cli.run(["access", "--vault", cli.vault, "--purpose", "shipping", "--order", orders[0], "--actor", "label-printer"])
        try cli.run(["access", "--vault", cli.vault, "--purpose", "marketing", "--order", orders[1], "--actor", "newsletter-tool"])
        let canary = try String(contentsOfFile: canaries, encoding: .utf8).split(separator: "\n")[0]
        try cli.run(["access", "--vault", cli.vault, "--purpose", "shipping", "--order", String(canary), "--actor", "temp-helper"])
        try cli.run(["purge", "--vault", cli.vault, "--actor", "retention-cron"])
    }

    /// A column of the sample report, every row.
    static func sampleColumn(_ name: String) throws -> [String] {
        let lines = try String(contentsOf: CLITests.sample, encoding: .utf8).split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: "\t", omittingEmptySubsequences: false)
        let index = try #require(header.firstIndex { $0 == name })
        return lines.dropFirst().map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[index]) }
    }

    /// Every personal value of the sample report long enough to search for.
    static func personalValues() throws -> [String] {
        let columns = ["buyer-email", "buyer-name", "buyer-phone-number", "recipient-name", "ship-address-1", "ship-address-2",
                       "ship-address-3", "ship-city", "ship-postal-code", "ship-phone-number"]
        return try Set(columns.flatMap(sampleColumn)).filter { $0.count >= 5 }.sorted()
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func reportAndEvidenceAreWrittenWithoutPersonalData() throws {
        let page = cli.folder.appendingPathComponent("report.html").path
        let data = cli.folder.appendingPathComponent("report.json").path
        let report = try cli.run(["audit", "report", "--vault", vault, "--out", page, "--json", data, "--canaries", canaries, "--lang", "en"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("report.html:") && report.stderr.contains("1 critical"), "\(report.stderr)")
        let html = try read(page)
        #expect(html.contains("class=\"verdict ok\"") && html.contains("The log verified") && html.contains("temp-helper") && html.contains("canary"))
        #expect(html.contains("purpose-prohibited") && html.contains("retention-cron"))
        #expect(html.contains("buyerguard audit log --actor temp-helper"))
        let evidenceFolder = cli.folder.appendingPathComponent("evidence").path
        let evidence = try cli.run(["compliance", "evidence", "--vault", vault, "--out", evidenceFolder])
        #expect(evidence.status == 0, "\(evidence.stderr)")
        let markdown = try read(evidenceFolder + "/evidence.md")
        let json = try read(evidenceFolder + "/evidence.json")
        #expect(markdown.contains("## Encryption at rest") && markdown.contains("**What the seller must add.**"))
        #expect(markdown.contains(cli.keyFile), "names where the master key lives")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])["items"] as? [[String: Any]]
        #expect(Set(items?.compactMap { $0["topic"] as? String } ?? []) == ["encryption-at-rest", "access-control", "logging", "retention", "monitoring", "incident-response"])

        let pseudonyms = try DatabaseQueue(path: vault + "/audit.sqlite").read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT buyer FROM entries WHERE buyer IS NOT NULL")
        }
        #expect(!pseudonyms.isEmpty)
        let values = try Self.personalValues() + pseudonyms
        #expect(values.count > 20)
        for (name, text) in [("report.html", html), ("report.json", try read(data)), ("evidence.md", markdown), ("evidence.json", json)] {
            for value in values { #expect(!text.contains(value), "\(name) holds a value of the sample report") }
        }
        // Run again: both are replaced, not refused.
        #expect(try cli.run(["audit", "report", "--vault", vault, "--out", page]).status == 0)
        #expect(try cli.run(["compliance", "evidence", "--vault", vault, "--out", evidenceFolder]).status == 0)
    }

    @Test func italianLabelsFromTheOptionOrTheLocale() throws {
        let page = cli.folder.appendingPathComponent("rapporto.html").path
        #expect(try cli.run(["audit", "report", "--vault", vault, "--out", page], environment: ["LANG": "it_IT.UTF-8"]).status == 0)
        #expect(try read(page).contains("<html lang=\"it\">") && read(page).contains("Rapporto di audit"))
        #expect(try cli.run(["audit", "report", "--vault", vault, "--out", page, "--lang", "en"], environment: ["LANG": "it_IT.UTF-8"]).status == 0)
        #expect(try read(page).contains("<html lang=\"en\">"))
        #expect(try cli.run(["audit", "report", "--vault", vault, "--out", page, "--lang", "fr"]).status == 64)
    }

    @Test func aCopyOfTheLogAloneGivesAReportWithoutVaultSections() throws {
        let page = cli.folder.appendingPathComponent("copy.html").path
        let result = try cli.run(["audit", "report", "--log", vault + "/audit.sqlite", "--out", page, "--lang", "en"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try read(page)
        #expect(html.contains("a copy of the log alone") && html.contains("Not available: the report was made from a copy of the log"))
        // Checked only against the key the copy carries: not green.
        #expect(html.contains("class=\"verdict warn\"") && !html.contains("class=\"verdict ok\""))
        #expect(try cli.run(["compliance", "evidence", "--log", vault + "/audit.sqlite", "--out", cli.folder.path + "/e"]).status == 64)
    }

    @Test func evidenceRefusesAPartialViewAndNamesAKeyInsideTheVault() throws {
        let out = cli.folder.appendingPathComponent("ev").path
        #expect(try cli.run(["compliance", "evidence", "--vault", vault, "--out", out, "--actor", "label-printer"]).status == 64)
        let noState = try cli.run(["compliance", "evidence", "--vault", vault, "--out", out, "--state", cli.folder.path + "/none.json"])
        #expect(noState.status == 66 && noState.stderr.contains("none.json"), "\(noState.stderr)")
        let inside = vault + "/inside.key"
        try FileManager.default.copyItem(atPath: cli.keyFile, toPath: inside)
        #expect(try cli.run(["compliance", "evidence", "--vault", vault, "--key-file", inside, "--out", out]).status == 0)
        let markdown = try read(out + "/evidence.md")
        #expect(markdown.contains("INSIDE the vault folder") && markdown.contains("`encryption-at-rest.master-key`: **attention**"))
    }

    @Test func aTamperedLogIsExit5AndTheReportSaysSo() throws {
        let database = try DatabaseQueue(path: vault + "/audit.sqlite")
        try database.write { db in try db.execute(sql: "UPDATE entries SET actor = 'nobody' WHERE seq = 3") }
        let page = cli.folder.appendingPathComponent("tampered.html").path
        let result = try cli.run(["audit", "report", "--vault", vault, "--out", page, "--lang", "en"])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(try read(page).contains("FAILED verification"))
        let evidence = try cli.run(["compliance", "evidence", "--vault", vault, "--out", cli.folder.path + "/evidence"])
        #expect(evidence.status == 5)
        #expect(try read(cli.folder.path + "/evidence/evidence.md").contains("`logging.audit-log`: **attention**"))
    }

    @Test func badOutputPathsAreNamedAndNothingIsLeftHalfWritten() throws {
        let missing = cli.folder.appendingPathComponent("no/such/report.html").path
        let result = try cli.run(["audit", "report", "--vault", vault, "--out", missing])
        #expect(result.status == 74 && result.stderr.contains("does not exist") && result.stderr.contains("no/such/report.html"), "\(result.stderr)")
        let file = cli.folder.appendingPathComponent("a-file").path
        try Data("keep".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = try cli.run(["compliance", "evidence", "--vault", vault, "--out", file])
        #expect(onFile.status == 73 && onFile.stderr.contains("not a folder"), "\(onFile.stderr)")
        #expect(try read(file) == "keep")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.folder.path).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty)
    }
}
