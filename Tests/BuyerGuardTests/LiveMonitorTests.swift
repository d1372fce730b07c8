import BuyerGuardDetect
import Foundation
import InMemoryTracing
import MetricsTestKit
import Synchronization
import Testing
import Tracing
@testable import BuyerGuard

/// #15: metrics and spans that carry no personal data, canaries the broker refuses, and a monitor
/// that alerts as an entry is written and keeps its place across restarts.
@Suite struct LiveMonitorTests {
    /// Every string a metrics or tracing backend received: labels, dimension names and values,
    /// span names, attribute names and values.
    static func emitted(_ metrics: TestMetrics, _ tracer: InMemoryTracer) -> [String] {
        var strings: [String] = []
        for counter in metrics.counters { strings += [counter.label] + counter.dimensions.flatMap { [$0.0, $0.1] } }
        for timer in metrics.timers { strings += [timer.label] + timer.dimensions.flatMap { [$0.0, $0.1] } }
        for recorder in metrics.recorders { strings += [recorder.label] + recorder.dimensions.flatMap { [$0.0, $0.1] } }
        for span in tracer.finishedSpans {
            strings.append(span.operationName)
            span.attributes.forEach { key, value in strings += [key, Self.text(value)] }
            strings += span.events.map(\.name)
        }
        return strings
    }

    static func text(_ attribute: SpanAttribute) -> String {
        switch attribute {
        case .string(let text): text
        case .stringArray(let texts): texts.joined(separator: ",")
        default: "\(attribute)"
        }
    }

    @Test func metricsAndSpansCarryNoStoredValue() async throws {
        let metrics = TestMetrics()
        let tracer = InMemoryTracer()
        var configuration = VaultConfiguration()
        configuration.telemetry = Telemetry(metrics: metrics, tracer: tracer)
        let fixture = try await BrokerFixture.make(configuration: configuration)
        let order = BrokerFixture.orderA
        _ = try await fixture.broker.withAccess(fixture.request(.shipping, actor: "giulia.warehouse")) { $0.fields.count }
        _ = try await fixture.broker.withAccess(fixture.request(.customerSupport(caseID: "CASE-77123"), actor: "marco.support")) { $0.fields.count }
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.prohibited(.marketing), actor: "newsletter")) { $0.fields.count }
        }
        // A caller's free text (an unrecognised purpose that holds an email) is not a label.
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.unrecognized("export-\(BrokerFixture.emailB)"), actor: "x")) { $0.fields.count }
        }
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.shipping, order: try OrderID("402-9999999-9999999"))) { $0.fields.count }
        }
        let folder = try TemporaryFolder()
        let report = try folder.write("orders.txt", """
            order-id\torder-item-id\tpurchase-date\tbuyer-email\tbuyer-name\tsku\tquantity-purchased\trecipient-name\tship-address-1\tship-city\tship-postal-code\tship-country
            403-5550001-5550001\t1\t2026-11-20T10:00:00Z\tzq81telemetry@marketplace.amazon.it\tOttavia Lanzafame\tSKU-1\t1\tOttavia Lanzafame\tVicolo Stretto 9\tCefalù\t90015\tIT

            """)
        var options = ImportOptions()
        options.actor = "order-sync"
        _ = try await fixture.vault.importOrders(from: report, options: options)
        _ = try MisuseScanner().scan(fixture.vault.auditLog)

        // The counts are there...
        #expect(metrics.counterTotal(label: "buyerguard_access_total", dimensions: [("decision", "granted"), ("purpose", "shipping"), ("reason", "none")]) == 1)
        #expect(metrics.counterTotal(label: "buyerguard_access_total", dimensions: [("decision", "denied"), ("purpose", "other"), ("reason", "purpose-prohibited")]) == 1)
        #expect(metrics.counterTotal(label: "buyerguard_access_total", dimensions: [("decision", "denied"), ("purpose", "other"), ("reason", "purpose-unrecognized")]) == 1)
        #expect(metrics.counterTotal(label: "buyerguard_access_total", dimensions: [("decision", "denied"), ("purpose", "shipping"), ("reason", "order-not-found")]) == 1)
        #expect(try metrics.expectTimer("buyerguard_audit_append_seconds").values.count >= 5)
        #expect(try metrics.expectRecorder("buyerguard_audit_batch_entries").values.allSatisfy { $0 >= 1 })
        #expect(metrics.timers(label: "buyerguard_import_seconds").count == 1)
        #expect(try metrics.expectTimer("buyerguard_scan_seconds").values.count == 1)
        let accesses = tracer.finishedSpans.filter { $0.operationName == "buyerguard.access" }
        #expect(accesses.count == 5)
        #expect(accesses.compactMap { $0.attributes.get("buyerguard.decision").map(Self.text) }.sorted()
            == ["denied", "denied", "denied", "granted", "granted"])
        #expect(tracer.finishedSpans.contains { $0.operationName == "buyerguard.import" })

        // ...and nothing a backend could join to a buyer: no value, no pseudonym, no order, no actor, no case.
        var secrets = [BrokerFixture.emailA, BrokerFixture.emailB, "Anna Rossi", "Bruno Verdi", "Via Roma 1", "Via Po 2", "Torino", "10123",
                       "333 1234567", "zq81telemetry", "Ottavia", "Lanzafame", "Vicolo Stretto", "Cefalù", "90015",
                       order.rawValue, BrokerFixture.orderB.rawValue, "403-5550001-5550001", "402-9999999-9999999",
                       "giulia.warehouse", "marco.support", "newsletter", "CASE-77123", "req-1", "order-sync"]
        try fixture.vault.auditLog.forEachEntry { entry in if let buyer = entry.buyer { secrets.append(buyer) } }
        let strings = Self.emitted(metrics, tracer)
        #expect(strings.count > 20)
        for secret in Set(secrets) {
            #expect(!strings.contains { $0.localizedCaseInsensitiveContains(secret) }, "\(secret) reached a metric or span")
        }
    }

    @Test func aRefusedCanaryReadIsADenialAndAlertsBeforeTheCallReturns() async throws {
        let fixture = try await BrokerFixture.make()
        let canaries = try await fixture.vault.plantCanaries(count: 3)
        var policy = AccessPolicy()
        policy.refusedCanaries = Set(canaries)
        let broker = AccessBroker(vault: fixture.vault, policy: policy)
        var rules = DetectionRules()
        rules.canaryOrders = Set(canaries.map(\.rawValue))
        let alerts = Mutex<[(Finding, Date)]>([])
        let monitor = MisuseMonitor(rules: rules, minimumSeverity: .high) { finding in alerts.withLock { $0.append((finding, Date())) } }
        try monitor.attach(to: fixture.vault.auditLog)

        _ = try await broker.withAccess(fixture.request(.shipping)) { $0.fields.count }  // a real order: no alert
        #expect(alerts.withLock { $0.isEmpty })
        let error = await #expect(throws: BuyerGuardError.self) {
            try await broker.withAccess(fixture.request(.shipping, order: canaries[1], actor: "mallory")) { $0.fields.count }
        }
        #expect(error?.code == .accessDenied && error?.message.contains("canary") == true)
        // The alert was raised before the refused call returned to its caller.
        let raised = alerts.withLock { $0 }
        #expect(raised.map(\.0.rule) == ["canary"] && raised.first?.0.actor == "mallory")
        var last: AuditEntry?
        try fixture.vault.auditLog.forEachEntry { last = $0 }
        #expect(last?.decision == .denied && last?.reason == "canary" && last?.orderID == canaries[1].rawValue)
        #expect(last?.fieldsReleased.isEmpty == true)
        // Without the refusal, the read is granted and still alerts.
        _ = try await fixture.broker.withAccess(fixture.request(.shipping, order: canaries[2], actor: "mallory")) { $0.fields.count }
        #expect(alerts.withLock { $0.count } == 2)
    }

    @Test func aPolicyFileNamesTheCanariesToRefuse() throws {
        let folder = try TemporaryFolder()
        try folder.write("canaries.txt", "# planted 2026-12-01\n402-1234567-7654321\n\n403-7654321-1234567\n")
        let policy = try AccessPolicy(toml: "[canaries]\nrefuse-list = \"canaries.txt\"\n", file: folder.path("policy.toml").path)
        #expect(policy.refusedCanaries == [try OrderID("402-1234567-7654321"), try OrderID("403-7654321-1234567")])
        try folder.write("bad.txt", "402-1234567-7654321\nnot-an-id\n")
        let error = #expect(throws: BuyerGuardError.self) {
            try AccessPolicy(toml: "[canaries]\nrefuse-list = \"bad.txt\"\n", file: folder.path("policy.toml").path)
        }
        #expect(error?.code == .malformedInput && error?.location?.hasSuffix("bad.txt:2") == true)
    }

    @Test func aRestartedMonitorReportsNothingTwiceAndGoesOnWhereItStopped() async throws {
        let (fixture, orders) = try await MisuseScannerTests.fixture(buyers: 40)
        let canaries = try await fixture.vault.plantCanaries(count: 2)
        var rules = DetectionRules()
        rules.canaryOrders = Set(canaries.map(\.rawValue))
        let folder = try TemporaryFolder()
        let stateFile = folder.path("monitor.json")
        let alerts = Mutex<[String]>([])
        func monitor() -> MisuseMonitor {
            MisuseMonitor(rules: rules, minimumSeverity: .medium, stateFile: stateFile) { finding in
                alerts.withLock { $0.append("\(finding.rule) \(finding.actor) \(finding.evidence.sequences.first ?? 0)") }
            }
        }
        let read = { (order: OrderID, actor: String) in
            fixture.clock.advance(by: 1)
            _ = try? await fixture.broker.withAccess(AccessRequest(actor: actor, purpose: MisuseScannerTests.unexplained, orderID: order)) { $0.fields.count }
        }
        let first = monitor()
        try first.resume(from: fixture.vault.auditLog)  // learns the history, reports nothing of it
        #expect(alerts.withLock { $0.isEmpty })
        await read(canaries[0], "mallory")
        for order in orders.prefix(30) { await read(order, "sweeper") }  // 30 buyers in 30 s: a bulk read
        try first.catchUp(with: fixture.vault.auditLog)
        let before = alerts.withLock { $0 }
        #expect(before.contains { $0.hasPrefix("canary mallory") } && before.contains { $0.hasPrefix("bulk-read sweeper") }, "\(before)")

        // Restarted while other work went on: the history is replayed, the day so far is back.
        for order in orders.suffix(10) { await read(order, "sweeper") }
        await read(canaries[1], "mallory")
        let second = monitor()
        try second.resume(from: fixture.vault.auditLog)
        let after = alerts.withLock { $0 }
        #expect(Set(after).count == after.count, "a finding was reported twice: \(after)")
        #expect(after.filter { $0.hasPrefix("canary mallory") }.count == 2)
        // A third start with nothing new reports nothing.
        let third = monitor()
        try third.resume(from: fixture.vault.auditLog)
        #expect(alerts.withLock { $0 } == after)
        #expect(third.lastSequence == (try await fixture.vault.auditLog.count()))
    }

    @Test func theMonitorChecksTheChainItIsFed() async throws {
        let (fixture, orders) = try await MisuseScannerTests.fixture(buyers: 3)
        var entries: [AuditEntry] = []
        for order in orders { entries.append(try await fixture.vault.auditLog.append(forTesting: order, actor: "anna")) }
        let intact = MisuseMonitor()
        #expect(entries.flatMap { intact.observe($0) }.isEmpty)

        var altered = entries
        altered[1].actor = "someone-else"  // the hash no longer matches
        #expect(MisuseMonitor().observeAll(altered).contains { $0.rule == "log-integrity" && $0.evidence.sequences == [altered[1].sequence] })
        #expect(MisuseMonitor().observeAll([entries[0], entries[2]]).contains { $0.rule == "log-integrity" && $0.explanation.contains("missing") })
        var forked = entries[1]
        forked.previousHash = String(repeating: "ab", count: 32)
        forked.hash = forked.recomputedHash()  // self-consistent, but not the successor of entries[0]
        #expect(MisuseMonitor().observeAll([entries[0], forked]).contains { $0.rule == "log-integrity" && $0.explanation.contains("forked") })
    }

    @Test func aStateFileOfAnotherLogIsRefused() async throws {
        let one = try await MisuseScannerTests.fixture(buyers: 1).0
        let other = try await MisuseScannerTests.fixture(buyers: 1).0
        let folder = try TemporaryFolder()
        let stateFile = folder.path("monitor.json")
        try MisuseMonitor(stateFile: stateFile).resume(from: one.vault.auditLog)
        let error = #expect(throws: BuyerGuardError.self) { try MisuseMonitor(stateFile: stateFile).resume(from: other.vault.auditLog) }
        #expect(error?.code == .auditTampered)
        try Data("{".utf8).write(to: stateFile)
        #expect((#expect(throws: BuyerGuardError.self) { try MisuseMonitor(stateFile: stateFile).resume(from: one.vault.auditLog) })?.code == .malformedInput)
    }
}

extension MisuseMonitor {
    func observeAll(_ entries: [AuditEntry]) -> [Finding] { entries.flatMap { observe($0) } }
}
