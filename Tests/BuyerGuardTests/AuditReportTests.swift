import BuyerGuardDetect
@testable import BuyerGuardReports
import CSodium
import BuyerGuardTesting
import Foundation
import Testing
@testable import BuyerGuard

/// The auditor's desk on 90 days of a simulated shop carried out through the real broker (every
/// misuse planted), then a purge, an erasure and a key rotation: the report's figures agree with
/// the log entry by entry, the page renders in a real headless browser with no console message and
/// no network request, and neither the page, its JSON nor the compliance evidence holds any value
/// the vault stored.
@Suite(.serialized) struct AuditReportTests {
    /// The shop, made once for the suite.
    final class Shop: Sendable {
        let temporary: TemporaryVault
        let clock: ManualClock
        let canaries: [OrderID]
        /// Every PII value the vault stored.
        let values: [String]
        let report: AuditReport

        init() async throws {
            var configuration = SellerSimulation.Configuration()
            configuration.days = 90
            configuration.ordersPerDay = 30
            configuration.holidays = [55, 56, 57]
            let clock = ManualClock(configuration.start)
            let collected = Collected()
            let (temporary, _, canaries) = try await DetectionEvaluationTests.simulate(configuration, clock: clock) { orders in
                collected.add(orders)
            }
            // The vault's own maintenance, for the retention and key sections.
            clock.advance(days: 1)
            _ = try await temporary.vault.purgeExpired(actor: "retention-cron")
            let erased = try await temporary.vault.statistics().orders > 0
            if erased {
                let order = try await temporary.vault.database.read { db in
                    try String.fetchOne(db, sql: "SELECT order_id FROM orders WHERE pii_removed_at IS NULL ORDER BY id DESC LIMIT 1")
                }
                if let order { _ = try await temporary.vault.erase(orderID: try OrderID(order), actor: "owner") }
            }
            _ = try await temporary.vault.rotateKeys(actor: "owner")
            _ = try await temporary.vault.auditLog.checkpoint()
            self.temporary = temporary
            self.clock = clock
            self.canaries = canaries
            values = collected.values
            var rules = DetectionRules()
            rules.canaryOrders = Set(canaries.map(\.rawValue))
            report = try await AuditReport.make(log: temporary.vault.auditLog, vault: temporary.vault,
                                                scanner: MisuseScanner(rules: rules), policy: SellerSimulation.policy, now: clock.now)
        }

        final class Collected: @unchecked Sendable {
            private let lock = NSLock()
            private var set = Set<String>()
            func add(_ orders: [MarketplaceOrder]) {
                lock.withLock {
                    for order in orders { for field in ContactField.allCases { if let value = order.contact[field] { set.insert(value) } } }
                }
            }
            var values: [String] { lock.withLock { set.sorted() } }
        }
    }

    static let shop = Task { try await Shop() }

    static func orders(_ count: Int, purchased: Date) throws -> [MarketplaceOrder] {
        try (0..<count).map { index in
            var order = try MarketplaceOrder.sample("402-100000\(index)-7654321", email: "report\(index)x@marketplace.amazon.it")
            order.purchaseDate = purchased
            return order
        }
    }

    /// Values worth searching for: two-letter country codes and short numbers occur in any text.
    static func searchable(_ values: [String]) -> [String] {
        values.filter { $0.count >= 5 && !($0.allSatisfy(\.isNumber) && $0.count < 8) }
    }

    @Test func theFiguresAgreeWithTheLogEntryByEntry() async throws {
        let shop = try await Self.shop.value
        let report = shop.report
        let log = shop.temporary.vault.auditLog
        var granted = 0, denied = 0, failed = 0, sent = 0
        var reasons: [String: Int] = [:]
        var actorDays = Set<String>()
        var maintenance: [String] = []
        let kinds = Set(AccessActivity.maintenanceKinds.map(\.rawValue))
        try log.forEachEntry { entry in
            let day = Int(floor(entry.time.timeIntervalSince1970 / 86_400))
            if entry.kind == "access" {
                switch entry.decision {
                case .granted: granted += 1
                case .denied: denied += 1; reasons[entry.reason ?? "-", default: 0] += 1
                case .failed: failed += 1
                case .event: break
                }
                actorDays.insert("\(entry.actor)|\(day)")
            } else if entry.kind == AuditEventKind.messageSent.rawValue {
                sent += 1
                actorDays.insert("\(entry.actor)|\(day)")
            } else if kinds.contains(entry.kind) {
                maintenance.append(entry.kind)
            } else if entry.decision == .denied {  // an operation refused before it ran
                denied += 1; reasons[entry.reason ?? "-", default: 0] += 1
            }
        }
        let totals = report.activity.totals
        #expect(report.coverage.entriesCovered == Int(try await log.count()))
        #expect(totals.granted == granted && totals.denied == denied && totals.failed == failed && totals.messagesSent == sent)
        #expect(report.activity.denialsByReason == reasons)
        #expect(Set(report.activity.days.map { "\($0.actor)|\($0.day)" }) == actorDays)
        #expect(totals.unexplained > 0 && totals.unexplained < totals.granted, "the planted misuse reads orders their state does not explain")
        #expect(report.activity.days.map(\.day).max()! - report.activity.days.map(\.day).min()! >= 85, "about 90 days, quiet Sundays aside")

        // The findings are the scan's, and the integrity section the verifier's.
        var rules = DetectionRules()
        rules.canaryOrders = Set(shop.canaries.map(\.rawValue))
        #expect(report.findings == (try MisuseScanner(rules: rules).scan(log, now: nil)))
        #expect(report.findings.contains { $0.rule == "canary" && $0.severity == .critical })
        #expect(report.integrity.verification == (try log.verify(trustedPublicKey: log.signingPublicKey)))
        #expect(report.integrity.verification.isIntact && report.integrity.newestCheckpointEntries == report.integrity.verification.entries)

        // Retention and keys: the vault's own tables and the log's maintenance entries.
        let status = try #require(report.retention.status)
        let dryRun = try await shop.temporary.vault.purgeExpired(policy: SellerSimulation.policy, actor: "test", dryRun: true)
        #expect(status.ordersPastRetention == dryRun.orders)
        let statistics = try await shop.temporary.vault.statistics()
        #expect(status.ordersWithPII + statistics.ordersWithPIIRemoved == statistics.orders)
        #expect(status.ordersWithPIIRemoved["erasure"] ?? 0 >= 1 && status.ordersWithPIIRemoved["retention"] ?? 0 > 100)
        #expect(report.keys.versions == statistics.keys)
        #expect(report.retention.runs.map(\.kind) == ["purge", "erase"])
        #expect(report.keys.events.map(\.kind) == ["key-rotation-started", "key-rotation-finished"])
        let erase = try #require(report.retention.runs.last)
        #expect(erase.details["buyer"] == nil && Int(erase.details["orders"] ?? "") ?? 0 >= 1)
        #expect(report.otherMaintenance.map(\.kind).first == "vault-created")
    }

    @Test func theRetentionStatusCountsWhatAPurgeWouldRemove() async throws {
        let clock = ManualClock()
        let temporary = try await TemporaryVault(clock: clock)
        let vault = temporary.vault
        let orders = try Self.orders(6, purchased: clock.now)
        try await vault.store(orders, actor: "test")
        try await vault.record(.delivered(at: clock.now), for: orders[0].id, actor: "carrier")
        var status = try await vault.retentionStatus()
        #expect(status.ordersWithPII == 6 && status.ordersPastRetention == 0)
        #expect(status.oldestRetentionEnd == clock.now.addingTimeInterval(30 * 86_400))
        clock.advance(days: 31)  // the delivered order's retention ends; the others' (60 days after purchase) not yet
        status = try await vault.retentionStatus()
        #expect(status.ordersPastRetention == 1 && status.oldestRetentionEnd! < clock.now)
        clock.advance(days: 30)
        #expect(try await vault.retentionStatus().ordersPastRetention == 6)
        _ = try await vault.purgeExpired(actor: "cron")
        status = try await vault.retentionStatus()
        #expect(status.ordersWithPII == 0 && status.ordersPastRetention == 0 && status.oldestRetentionEnd == nil)
        #expect(status.ordersWithPIIRemoved == ["retention": 6])
    }

    @Test func noStoredValueInThePageItsDataOrTheEvidence() async throws {
        let shop = try await Self.shop.value
        var pseudonyms = Set<String>()
        try shop.temporary.vault.auditLog.forEachEntry { entry in if let buyer = entry.buyer { pseudonyms.insert(buyer) } }
        #expect(pseudonyms.count > 500, "buyers appear in the log under pseudonyms, which no output may show either")
        let values = Self.searchable(shop.values) + pseudonyms.sorted()
        #expect(values.count > 1000, "the search must cover the shop's emails, names, addresses and phones")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let evidence = ComplianceEvidence(report: shop.report, policy: SellerSimulation.policy, masterKey: .passphrase, schedule: nil)
        let outputs = [
            ("page (en)", AuditReportPage(report: shop.report, language: .english).html()),
            ("page (it)", AuditReportPage(report: shop.report, language: .italian).html()),
            ("report JSON", String(decoding: try encoder.encode(shop.report), as: UTF8.self)),
            ("evidence.md", evidence.markdown()),
            ("evidence.json", String(decoding: try evidence.jsonData(), as: UTF8.self)),
        ]
        for (name, text) in outputs {
            for value in values { #expect(!text.contains(value), "\(name) holds a stored value") }
            #expect(!text.contains("@marketplace.amazon.it"), "\(name) holds a buyer email")
        }
        // The searched values are really in the vault (the search would find them if they leaked).
        #expect(values.contains { $0.hasSuffix("@marketplace.amazon.it") } && values.contains { $0.hasPrefix("Via Roma") })
    }

    @Test func thePageShowsEverySectionInBothLanguagesAndLoadsNothing() async throws {
        let shop = try await Self.shop.value
        let english = AuditReportPage(report: shop.report, language: .english).html()
        let italian = AuditReportPage(report: shop.report, language: .italian).html()
        for id in ["coverage", "integrity", "explanation", "activity", "findings", "denials", "retention", "keys"] {
            #expect(english.contains("<section id=\"\(id)\">") && italian.contains("<section id=\"\(id)\">"))
        }
        #expect(english.contains("<html lang=\"en\">") && english.contains("Audit report") && english.contains("The log verified"))
        #expect(italian.contains("<html lang=\"it\">") && italian.contains("Rapporto di audit") && italian.contains("Il registro è verificato"))
        for page in [english, italian] {
            #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src="), "the page names nothing to fetch")
            #expect(page.contains("default-src 'none'") && !page.contains("script-src 'unsafe-inline'"))
            #expect(page.contains("script-src '\(AuditReportPage.scriptHash)'"))
        }
        // Every actor of the shop is a row of the picture; every finding has its block.
        for actor in shop.report.activity.actors.map(\.actor) { #expect(english.contains(">\(actor)</text>")) }
        #expect(english.components(separatedBy: "<details class=\"finding").count - 1 == shop.report.findings.count)
        // Below high, a long list is cut with the command that lists it all.
        var short = AuditReportPage(report: shop.report, language: .english)
        short.findingsPerSeverity = 1
        let medium = shop.report.findings(.medium).count
        #expect(medium > 1)
        #expect(short.html().contains("\(medium - 1) more at this severity: buyerguard audit scan --min-severity medium lists them all."))
    }

    @Test func aTamperedLogIsSaidSoAtTheTop() async throws {
        let temporary = try await TemporaryVault()
        try await temporary.vault.store(try Self.orders(3, purchased: Date()), actor: "test")
        _ = try await temporary.vault.auditLog.checkpoint()
        try await temporary.vault.auditLog.database.write { db in
            try db.execute(sql: "UPDATE entries SET actor = 'someone-else' WHERE seq = 2")
        }
        let report = try await AuditReport.make(log: temporary.vault.auditLog, vault: temporary.vault)
        #expect(!report.integrity.verification.isIntact)
        let page = AuditReportPage(report: report, language: .english).html()
        #expect(page.contains("class=\"verdict bad\" id=\"verdict\"") && page.contains("FAILED verification"))
        #expect(page.contains("log-integrity"))
    }

    @Test func thePictureNamesLocalDaysWhateverTheTimeZone() async throws {
        let shop = try await Self.shop.value
        var rules = DetectionRules()
        rules.utcOffsetHours = 2  // Italy in summer: 00:30 local on 1 October is 22:30 UTC on 30 September
        let report = try await AuditReport.make(log: shop.temporary.vault.auditLog, scanner: MisuseScanner(rules: rules))
        let first = try #require(report.activity.days.first?.day)
        var firstAccess: Date?
        try shop.temporary.vault.auditLog.forEachEntry { entry in
            if firstAccess == nil, entry.kind == "access" || entry.kind == AuditEventKind.messageSent.rawValue { firstAccess = entry.time }
        }
        let times = ISO8601DateFormatter()
        times.formatOptions = [.withFullDate]
        // The local date of the first access, two hours ahead of UTC, is the picture's first day.
        let local = times.string(from: try #require(firstAccess).addingTimeInterval(2 * 3600))
        #expect(times.string(from: AccessActivity.calendarDate(ofDay: first)) == local)
        let page = AuditReportPage(report: report, language: .english).html()
        #expect(page.contains(">\(local.dropFirst(5))</text>"), "the first tick names the first local day")
    }

    @Test func onlyThePagesOwnScriptMayRun() {
        // The CSP names the script by its SHA-256: recomputed here, so an edit of the script that
        // forgets the hash fails (and the browser test would see the script refused).
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let script = Array(AuditReportPage.script.utf8)
        _ = crypto_hash_sha256(&digest, script, UInt64(script.count))
        #expect(AuditReportPage.scriptHash == "sha256-" + Data(digest).base64EncodedString())
    }

    @Test func textFromTheLogIsEscapedOnThePage() async throws {
        let temporary = try await TemporaryVault()
        let orders = try Self.orders(1, purchased: Date())
        try await temporary.vault.store(orders, actor: "test")
        let broker = AccessBroker(vault: temporary.vault)
        let actor = "<script>alert(1)</script>&\"x'"
        _ = try await broker.withAccess(AccessRequest(actor: actor, purpose: .shipping, orderID: orders[0].id)) { $0.fields.count }
        _ = try? await broker.withAccess(AccessRequest(actor: "<img src=x onerror=alert(2)>", purpose: .prohibited(.marketing), orderID: orders[0].id)) { $0.fields.count }
        let report = try await AuditReport.make(log: temporary.vault.auditLog, vault: temporary.vault)
        #expect(report.activity.actors.contains { $0.actor == actor })
        let page = AuditReportPage(report: report, language: .english).html()
        #expect(!page.contains("<script>alert") && !page.contains("<img"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&#39;"))
        #expect(page.components(separatedBy: "<script>").count == 2, "the page's own script only")
        #expect(page.contains("--actor &#39;&lt;script&gt;alert(1)"), "the command quotes the actor for the shell")
    }

    @Test func theScanStateRecordsItsRunsAndTheEvidenceShowsTheSchedule() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bg-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("state.json")
        // A file written before runs were recorded reads as no runs.
        try Data(#"{"version": 1, "reported": {"canary|x|1|2": "2026-10-25T00:05:00Z"}}"#.utf8).write(to: file)
        var state = try ReportedFindings(contentsOf: file)
        #expect(state.runs.isEmpty && state.reported.count == 1)
        let start = Date(timeIntervalSince1970: 1_793_577_600)
        for day in 0..<5 { _ = state.takeNew([], now: start.addingTimeInterval(TimeInterval(day) * 86_400 + (day == 3 ? 600 : 0))) }
        try state.write(to: file)
        let schedule = ComplianceEvidence.ScanSchedule(try ReportedFindings(contentsOf: file))
        #expect(schedule.runs == 5 && schedule.lastRun == start.addingTimeInterval(4 * 86_400))
        #expect(schedule.typicalInterval == 86_400)
        for _ in 0..<(ReportedFindings.maximumRuns + 5) { _ = state.takeNew([], now: start) }
        #expect(state.runs.count == ReportedFindings.maximumRuns)
    }

    @Test func theBrowserCheckSeesRequestsAndConsoleErrors() throws {
        // The check itself can fail: a page that fetches, and one whose fetch CSP blocks, are both caught.
        let browser = try HeadlessBrowser.find()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bg-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let open = folder.appendingPathComponent("open.html")
        try Data("<!DOCTYPE html><img src=\"http://127.0.0.1:9/x.png\"><script>fetch('http://127.0.0.1:9/a').catch(function(){})</script>".utf8).write(to: open)
        #expect(try browser.visit(open, in: folder).requests.contains { $0.hasPrefix("http://127.0.0.1:9/") })
        let closed = folder.appendingPathComponent("closed.html")
        try Data("<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\"><script>fetch('http://127.0.0.1:9/a').catch(function(){}); undefinedFunction();</script>".utf8).write(to: closed)
        let visit = try browser.visit(closed, in: folder)
        #expect(visit.requests.isEmpty)
        #expect(visit.console.contains { $0.contains("Content Security Policy") } && visit.console.contains { $0.contains("Uncaught") })
    }

    @Test func theReportRendersInAHeadlessBrowserWithNoConsoleMessageAndNoRequest() async throws {
        let shop = try await Self.shop.value
        let browser = try HeadlessBrowser.find()
        let folder = shop.temporary.folder.appendingPathComponent("browser")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for language in ReportLanguage.allCases {
            let page = folder.appendingPathComponent("report-\(language.rawValue).html")
            try Data(AuditReportPage(report: shop.report, language: language).html().utf8).write(to: page)
            let visit = try browser.visit(page, in: folder)
            #expect(visit.console.isEmpty, "console: \(visit.console)")
            #expect(visit.requests.isEmpty, "requests: \(visit.requests)")
            // The inline script ran to its end and counted the picture's cells.
            let cells = try #require(visit.dom.firstMatch(of: /data-report="ready (\d+)"/)).output.1
            #expect(Int(cells) ?? 0 >= 90, "the picture has a cell per active actor-day")
            let artifacts = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let png = artifacts.appendingPathComponent("audit-report-90-days-\(language.rawValue).png")
            try? FileManager.default.removeItem(at: png)
            try browser.screenshot(page, to: png, in: folder)
            let bytes = try Data(contentsOf: png)
            #expect(bytes.count > 50_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a real PNG screenshot")
            if language == .english {
                let pdf = artifacts.appendingPathComponent("audit-report-90-days.pdf")
                try? FileManager.default.removeItem(at: pdf)
                try browser.printToPDF(page, to: pdf, in: folder)
                let printed = try Data(contentsOf: pdf)
                #expect(printed.starts(with: Array("%PDF".utf8)) && printed.count > 20_000)
            }
        }
    }
}
