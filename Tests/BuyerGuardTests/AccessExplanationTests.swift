import BuyerGuardTesting
import Foundation
import Testing
@testable import BuyerGuard

/// Every granted access records which fact of the order explains it, decided from the vault's
/// own state and support cases, never from the request.
@Suite struct AccessExplanationTests {
    func explanation(_ fixture: BrokerFixture, _ purpose: Purpose, order: OrderID = BrokerFixture.orderA, actor: String = "anna")
        async throws -> String?
    {
        _ = try await fixture.attempt(fixture.request(purpose, order: order, actor: actor))
        let last = try #require(try fixture.entries().last)
        return last.decision == .granted ? last.explanation : "refused: \(last.reason ?? "")"
    }

    @Test func shippingIsExplainedUntilShortlyAfterDelivery() async throws {
        let fixture = try await BrokerFixture.make()
        let order = BrokerFixture.orderA
        #expect(try await explanation(fixture, .shipping) == "awaiting-shipment")
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: "BRT", trackingNumber: "T1"), for: order, actor: "ops")
        #expect(try await explanation(fixture, .shipping) == "in-transit")
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: order, actor: "carrier")
        fixture.clock.advance(by: 2 * 86_400 - 60)
        #expect(try await explanation(fixture, .shipping) == "delivery-grace")
        fixture.clock.advance(by: 120)  // still inside the policy's 3-day grace: granted, but nothing calls for it
        #expect(try await explanation(fixture, .shipping) == "unexplained")
    }

    @Test func messagesAreExplainedByWhatTheOrderWentThrough() async throws {
        let fixture = try await BrokerFixture.make()
        let order = BrokerFixture.orderA
        #expect(try await explanation(fixture, .orderMessaging(.orderUnavailable)) == "order-not-shipped")
        #expect(try await explanation(fixture, .orderMessaging(.shipmentDelay)) == "order-not-shipped")
        #expect(try await explanation(fixture, .orderMessaging(.returnConfirmation)) == "unexplained")  // nothing came back
        #expect(try await explanation(fixture, .orderMessaging(.refundConfirmation)) == "unexplained")
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: nil, trackingNumber: nil), for: order, actor: "ops")
        #expect(try await explanation(fixture, .orderMessaging(.orderUnavailable)) == "unexplained")  // it did ship
        #expect(try await explanation(fixture, .orderMessaging(.orderCompletion)) == "order-open")
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: order, actor: "carrier")
        #expect(try await explanation(fixture, .orderMessaging(.shipmentDelay)) == "unexplained")  // shipped: the seller's delay is over
        #expect(try await explanation(fixture, .orderMessaging(.orderCompletion)) == "order-open")
        try await fixture.vault.record(.returned(at: fixture.clock.now), for: order, actor: "ops")
        #expect(try await explanation(fixture, .orderMessaging(.returnConfirmation)) == "return-recorded")
        try await fixture.vault.record(.refunded(at: fixture.clock.now, reason: nil), for: order, actor: "ops")
        #expect(try await explanation(fixture, .orderMessaging(.refundConfirmation)) == "refund-recorded")
        #expect(try await explanation(fixture, .orderMessaging(.returnConfirmation)) == "return-recorded")
    }

    @Test func supportReadsAreExplainedByTheCaseTheBuyerOpened() async throws {
        let fixture = try await BrokerFixture.make()
        let (a, b) = (BrokerFixture.orderA, BrokerFixture.orderB)
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1")) == "unexplained")  // nobody opened C-1
        try await fixture.vault.recordCase(.opened(at: fixture.clock.now), caseID: "C-1", for: a, actor: "inbox")
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1")) == "case-opened")
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1"), order: b) == "unexplained")  // another buyer's order
        try await fixture.vault.recordCase(.assigned(to: "bruno"), caseID: "C-1", for: a, actor: "lead")
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1"), actor: "bruno") == "case-handler")
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1"), actor: "anna") == "unexplained")  // not hers
        try await fixture.vault.recordCase(.closed(at: fixture.clock.now), caseID: "C-1", for: a, actor: "bruno")
        #expect(try await explanation(fixture, .customerSupport(caseID: "C-1"), actor: "bruno") == "unexplained")

        // A case concerns one order, and only an opened case can be assigned or closed.
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.vault.recordCase(.opened(at: fixture.clock.now), caseID: "C-1", for: b, actor: "inbox")
        }
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.vault.recordCase(.assigned(to: "anna"), caseID: "C-404", for: a, actor: "lead")
        }
        // Each case fact is in the log, with the case id.
        let kinds = try fixture.entries().filter { $0.kind.hasPrefix("case-") }
        #expect(kinds.map(\.kind) == ["case-opened", "case-assigned", "case-closed"])
        #expect(kinds.allSatisfy { $0.details?.contains("\"case\":\"C-1\"") == true && $0.orderID == a.rawValue })
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }

    /// A help desk's ticket list read as a support-case feed: each row records only what the vault
    /// does not know yet, bad rows are reported and change nothing, and the cases then explain
    /// the handler's reads as if recorded one by one.
    @Test func aSupportCaseFeedRecordsWhatIsNewAndRejectsWhatDoesNotFit() async throws {
        let fixture = try await BrokerFixture.make()
        let (a, b) = (BrokerFixture.orderA.rawValue, BrokerFixture.orderB.rawValue)
        let feed = fixture.temporary.folder.appendingPathComponent("tickets.tsv")
        func write(_ rows: [String]) throws {
            let header = "Ticket-ID\tOrder-ID\tCreated-At\tAssignee\tSolved-At\tSubject"
            try Data(([header] + rows).joined(separator: "\n").utf8).write(to: feed)
        }
        try write([
            "T-1\t\(a)\t2026-11-02T09:00:00+01:00\tbruno\t\tWhere is my parcel?",  // opened, assigned
            "T-2\t\(b)\t2026-11-02T10:00:00+01:00\t\t2026-11-03T10:00:00+01:00\tThanks",  // opened, closed
            "T-3\tnot-an-order\t2026-11-02T10:00:00+01:00\t\t\t",
            "\t\(a)\t2026-11-02T10:00:00+01:00\t\t\t",
            "T-4\t\(a)\tyesterday\t\t\t",
            "T-5\t\(a)\t\tbruno\t\t",  // never opened, and no opening date
            "T-6\t409-9999999-9999999\t2026-11-02T10:00:00+01:00\t\t\t",
        ])
        let first = try await fixture.vault.importCases(from: feed, actor: "helpdesk")
        #expect(first.format == "support-cases")
        #expect(first.rowsRead == 7)
        #expect(first.ordersUpdated == 2)
        #expect(first.unknownOrders == 1)
        #expect(first.rejected.map(\.line) == [4, 5, 6, 7, 8])
        #expect(first.rejected.map(\.reason).contains("opened-at is empty and the case was never opened"))
        let kinds = { try fixture.entries().filter { $0.kind.hasPrefix("case-") }.map(\.kind) }
        #expect(try kinds() == ["case-opened", "case-assigned", "case-opened", "case-closed"])
        #expect(try await explanation(fixture, .customerSupport(caseID: "T-1"), actor: "bruno") == "case-handler")
        #expect(try await explanation(fixture, .customerSupport(caseID: "T-2"), order: BrokerFixture.orderB) == "unexplained")  // closed

        // Read again: nothing new. Then the ticket is solved, and a reused id names another order.
        #expect(try await fixture.vault.importCases(from: feed, actor: "helpdesk").ordersUpdated == 0)
        #expect(try kinds().count == 4)
        try write([
            "T-1\t\(a)\t2026-11-02T09:00:00+01:00\tbruno\t2026-11-04T09:00:00+01:00\t",
            "T-2\t\(a)\t2026-11-02T10:00:00+01:00\t\t\t",
        ])
        let second = try await fixture.vault.importCases(from: feed, actor: "helpdesk")
        #expect(second.ordersUpdated == 1)
        #expect(second.rejected.map(\.reason) == ["case T-2 belongs to another order"])
        #expect(try kinds().last == "case-closed")
        #expect(try await explanation(fixture, .customerSupport(caseID: "T-1"), actor: "bruno") == "unexplained")

        // Not a case feed at all: refused before anything is recorded.
        try Data("order-id\tship-date\n\(a)\t2026-11-02\n".utf8).write(to: feed)
        let refused = await #expect(throws: BuyerGuardError.self) { try await fixture.vault.importCases(from: feed, actor: "helpdesk") }
        #expect(refused?.code == .malformedInput)
        #expect(refused?.message.contains("case-id") == true)
        #expect(try kinds().count == 5)
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }

    @Test func onlyGrantsCarryAnExplanation() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(fixture.request(.prohibited(.marketing)))
        let refused = try #require(try fixture.entries().last)
        #expect(refused.decision == .denied && refused.explanation == nil)
    }
}
