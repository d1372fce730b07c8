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

    @Test func onlyGrantsCarryAnExplanation() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(fixture.request(.prohibited(.marketing)))
        let refused = try #require(try fixture.entries().last)
        #expect(refused.decision == .denied && refused.explanation == nil)
    }
}
