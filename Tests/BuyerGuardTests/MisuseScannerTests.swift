import BuyerGuardDetect
import BuyerGuardMessaging
import BuyerGuardTesting
import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// Each rule of the scanner firing, and a near miss that does not. Traffic goes through the
/// real broker into a real audit log; a manual clock sets its pace.
@Suite struct MisuseScannerTests {
    /// A vault with `buyers` buyers, one order each, all purchased at the clock's start (10:00 UTC).
    static func fixture(buyers: Int, policy: AccessPolicy = AccessPolicy()) async throws -> (BrokerFixture, [OrderID]) {
        let fixture = try await BrokerFixture.make(policy: policy)
        fixture.clock.advance(by: 10 * 3600)
        return (fixture, try await storeOrders(fixture, count: buyers))
    }

    /// `count` orders of as many buyers, purchased now, with ids in no particular order, as the
    /// marketplace's are (reads in id order are a walk of their own).
    static func storeOrders(_ fixture: BrokerFixture, count: Int, series: Int = 407) async throws -> [OrderID] {
        var orders: [MarketplaceOrder] = []
        for number in 0..<count {
            var order = try MarketplaceOrder.sample(
                String(format: "\(series)-%07d-0000000", (number * 7_919 + 13) % 10_007), email: "s\(series)-\(number)@marketplace.amazon.it")
            order.purchaseDate = fixture.clock.now
            orders.append(order)
        }
        try await fixture.vault.store(orders, actor: "test")
        return orders.map(\.id)
    }

    /// A purpose the fixture's unshipped orders do not explain (nothing was returned): what the
    /// window rules count. Shipping the same orders is explained work, which they do not.
    static let unexplained = Purpose.orderMessaging(.returnConfirmation)

    func read(_ fixture: BrokerFixture, _ order: OrderID, actor: String, purpose: Purpose = .shipping, every seconds: TimeInterval = 1) async {
        fixture.clock.advance(by: seconds)
        _ = try? await fixture.broker.withAccess(AccessRequest(actor: actor, purpose: purpose, orderID: order)) { $0.fields.count }
    }

    func findings(_ fixture: BrokerFixture, _ rules: DetectionRules = DetectionRules()) throws -> [Finding] {
        try MisuseScanner(rules: rules).scan(fixture.vault.auditLog)
    }

    @Test func deniedPurposeFiresAndPermittedDoesNot() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 3)
        await read(fixture, orders[0], actor: "anna", purpose: .shipping)
        #expect(try findings(fixture).isEmpty)
        await read(fixture, orders[1], actor: "newsletter-tool", purpose: .prohibited(.marketing))
        let found = try findings(fixture)
        #expect(found.map(\.rule) == ["denied-purpose"])
        #expect(found.first?.severity == .high && found.first?.actor == "newsletter-tool")
        #expect(found.first?.evidence.orders == [orders[1].rawValue])
    }

    @Test func probingFiresAtTenDenialsInTenMinutesNotNine() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        for _ in 0..<9 { await read(fixture, orders[0], actor: "mallory", purpose: Purpose(parsing: "analytics-export"), every: 60) }
        #expect(!(try findings(fixture).contains { $0.rule == "probing" }))
        await read(fixture, orders[0], actor: "mallory", purpose: Purpose(parsing: "analytics-export"), every: 30)
        #expect(try findings(fixture).filter { $0.rule == "probing" }.count == 1)
    }

    @Test func bulkReadFiresAt25BuyersIn5MinutesNot24() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 30)
        for order in orders.prefix(24) { await read(fixture, order, actor: "curious", purpose: Self.unexplained, every: 10) }
        #expect(!(try findings(fixture).contains { $0.rule == "bulk-read" }))
        await read(fixture, orders[24], actor: "curious", purpose: Self.unexplained, every: 10)
        let bulk = try #require(try findings(fixture).first { $0.rule == "bulk-read" })
        #expect(bulk.evidence.count == 25 && bulk.severity == .high)
        // The same 25 reads spread over an hour are a working day, not a sweep.
        let (slow, slowOrders) = try await Self.fixture(buyers: 30)
        for order in slowOrders.prefix(25) { await read(slow, order, actor: "warehouse", purpose: Self.unexplained, every: 150) }
        #expect(!(try findings(slow).contains { $0.rule == "bulk-read" }))
        // Explained work in any volume is not a bulk read: 30 labels of orders awaiting shipment in 30 s.
        let (batch, batchOrders) = try await Self.fixture(buyers: 30)
        for order in batchOrders { await read(batch, order, actor: "label-printer", every: 1) }
        #expect(!(try findings(batch).contains { $0.rule == "bulk-read" }))
        // At night the same batch is counted: nobody prints labels at 03:00.
        let (night, nightOrders) = try await Self.fixture(buyers: 30)
        night.clock.advance(by: 17 * 3600)  // from 10:00 to 03:00
        for order in nightOrders { await read(night, order, actor: "label-printer", every: 1) }
        #expect(try findings(night).first { $0.rule == "bulk-read" }?.severity == .high)
    }

    @Test func emailHarvestingFiresWithoutMessagesNotWithThem() async throws {
        var rules = DetectionRules()
        rules.bulkDistinctBuyers = 1000  // only the harvesting rule here
        let (fixture, orders) = try await Self.fixture(buyers: 20)
        for order in orders { await read(fixture, order, actor: "mailer", purpose: .orderMessaging(.shipmentDelay), every: 60) }
        let harvesting = try #require(try findings(fixture, rules).first { $0.rule == "email-harvesting" })
        #expect(harvesting.evidence.count == 20 && harvesting.actor == "mailer")

        // The same reads, each followed by the message it was for: no finding.
        let (honest, honestOrders) = try await Self.fixture(buyers: 20)
        final class NullTransport: MessageTransport { func deliver(to: String, subject: String, body: String, order: OrderID) async throws {} }
        for order in honestOrders {
            honest.clock.advance(by: 60)
            let body = MessageTemplate.shipmentDelay(newDate: honest.clock.now.addingTimeInterval(86_400)).render(.italian, order: order)
            try await honest.broker.send(OutgoingMessage(purpose: .order(.shipmentDelay), subject: "Ritardo", body: body),
                                         order: order, actor: "mailer", via: NullTransport())
        }
        #expect(!(try findings(honest, rules).contains { $0.rule == "email-harvesting" }))
    }

    @Test func canaryReadIsCritical() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 3)
        var rules = DetectionRules()
        rules.canaryOrders = [orders[2].rawValue]
        await read(fixture, orders[0], actor: "anna")
        #expect(!(try findings(fixture, rules).contains { $0.rule == "canary" }))
        await read(fixture, orders[2], actor: "anna")
        let canary = try #require(try findings(fixture, rules).first)
        #expect(canary.rule == "canary" && canary.severity == .critical)
    }

    @Test func offHoursReadsAreLowNotDaytimeOnes() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        await read(fixture, orders[0], actor: "anna")  // 10:00 UTC
        #expect(!(try findings(fixture).contains { $0.rule == "off-hours" }))
        fixture.clock.advance(by: 13 * 3600)  // 23:00 UTC
        await read(fixture, orders[1], actor: "anna")
        let late = try #require(try findings(fixture).first { $0.rule == "off-hours" })
        #expect(late.severity == .low && late.evidence.count == 1)
    }

    @Test func tamperedLogIsReportedFirst() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        await read(fixture, orders[0], actor: "newsletter-tool", purpose: .prohibited(.export))
        await read(fixture, orders[1], actor: "anna")
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: "UPDATE entries SET actor = 'someone' WHERE seq = 2") }
        let found = try findings(fixture)
        #expect(found.first?.rule == "log-integrity" && found.first?.severity == .critical)
    }
}
