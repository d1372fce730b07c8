import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// What reaches the log is what happened: library event kinds only from the library, free text
/// that cannot forge output, and every change and lookup with its actor.
@Suite struct AuditEvidenceTests {
    @Test func appEventsLiveUnderTheirOwnPrefix() async throws {
        let fixture = try await BrokerFixture.make()
        let entry = try await fixture.vault.auditLog.recordAppEvent("message-sent", actor: "app", orderID: BrokerFixture.orderA)
        #expect(entry.kind == "app:message-sent")
        #expect(AuditEventKind(rawValue: entry.kind) == nil)
        await #expect(throws: BuyerGuardError.self) { try await fixture.vault.auditLog.recordAppEvent("Message Sent", actor: "app") }
        await #expect(throws: BuyerGuardError.self) { try await fixture.vault.auditLog.recordAppEvent("x", actor: "app\nforged") }
    }

    /// A newline and tabs in the actor would forge a row of `audit log`'s table; ESC would drive
    /// the terminal. The request is denied and logged with the text escaped.
    @Test(arguments: ["anna\n42\t2026-11-02T10:00:00Z\tbob", "anna\u{1B}[2J", "anna\u{202E}nigol", "a\u{85}b"])
    func controlCharactersInTheActorAreDeniedAndLoggedEscaped(actor: String) async throws {
        let fixture = try await BrokerFixture.make()
        let result = try await fixture.attempt(fixture.request(.shipping, actor: actor))
        guard case .failure(let error) = result else { Issue.record("released data"); return }
        #expect(error.code == .accessDenied)
        let last = try #require(try fixture.entries().last)
        #expect(last.decision == .denied && last.reason == "invalid-text")
        #expect(AuditText.firstUnprintable(in: last.actor) == nil)
        #expect(last.actor == AuditText.escaped(actor))
    }

    @Test func controlCharactersInCaseAndRequestIDAreDenied() async throws {
        let fixture = try await BrokerFixture.make()
        var request = fixture.request(.customerSupport(caseID: "C-1\r\nC-2"))
        guard case .failure = try await fixture.attempt(request) else { Issue.record("released data"); return }
        request = fixture.request(.shipping)
        request.requestID = "r\u{7}"
        guard case .failure = try await fixture.attempt(request) else { Issue.record("released data"); return }
        #expect(try fixture.entries().suffix(2).allSatisfy { $0.reason == "invalid-text" })
    }

    @Test func escapingLeavesPrintableTextAloneAndIsUnambiguous() {
        #expect(AuditText.escaped("Giulia Bianchi – Via Roma 1 ✓") == "Giulia Bianchi – Via Roma 1 ✓")
        #expect(AuditText.escaped("a\tb\nc\u{1B}") == "a\\u{0009}b\\u{000A}c\\u{001B}")
        #expect(AuditText.escaped("\\u{0009}") == "\\\\u{0009}")  // a literal backslash cannot fake an escape
    }

    /// An overwrite of an address (a parcel redirected) is what an auditor looks for.
    @Test func storingIsLoggedWithItsActorAndTheUpdatedOrders() async throws {
        let fixture = try await BrokerFixture.make()
        let stored = try #require(try fixture.entries().last { $0.kind == "orders-stored" })
        #expect(stored.actor == "test" && stored.details?.contains("\"orders-new\":\"2\"") == true)
        var moved = try MarketplaceOrder.sample(BrokerFixture.orderA.rawValue, email: BrokerFixture.emailA, name: "Anna Rossi", street: "Via Altrove 99")
        moved.purchaseDate = fixture.clock.now
        try await fixture.vault.store(moved, actor: "order-sync")
        let update = try #require(try fixture.entries().last)
        #expect(update.kind == "orders-stored" && update.actor == "order-sync" && update.orderID == BrokerFixture.orderA.rawValue)
        #expect(update.details?.contains("\"updated\":\"\(BrokerFixture.orderA.rawValue)\"") == true)
        #expect(update.details?.contains("Altrove") == false)
    }

    @Test func pseudonymLookupsAndFruitlessErasuresAreLogged() async throws {
        let fixture = try await BrokerFixture.make()
        let found = try await fixture.vault.auditPseudonym(forEmail: BrokerFixture.emailA, actor: "auditor")
        #expect(found != nil)
        #expect(try await fixture.vault.auditPseudonym(forEmail: "nobody@example.com", actor: "curious") == nil)
        await #expect(throws: BuyerGuardError.self) { try await fixture.vault.erase(buyerEmail: "nobody@example.com", actor: "ops") }
        let last = try fixture.entries().suffix(3)
        #expect(last.map(\.kind) == ["pseudonym-lookup", "pseudonym-lookup", "erase-not-found"])
        #expect(last.map(\.actor) == ["auditor", "curious", "ops"])
        #expect(last.first?.details?.contains(found!) == true)
        let text = try fixture.entries().map { "\($0)" }.joined()
        #expect(!text.contains("nobody@example.com") && !text.contains(BrokerFixture.emailA))
    }

    /// Someone who can write vault.sqlite but has no key points order A at buyer B's row: the
    /// access must not release B's email and name for A.
    @Test func aRepointedBuyerFailsClosed() async throws {
        let fixture = try await BrokerFixture.make()
        guard case .success = try await fixture.attempt(fixture.request(.orderMessaging(.shipmentDelay))) else {
            Issue.record("the intact order was refused"); return
        }
        try await fixture.vault.database.write { db in
            try db.execute(sql: """
                UPDATE orders SET buyer_id = (SELECT buyer_id FROM orders WHERE order_id = ?) WHERE order_id = ?
                """, arguments: [BrokerFixture.orderB.rawValue, BrokerFixture.orderA.rawValue])
        }
        let result = try await fixture.attempt(fixture.request(.orderMessaging(.shipmentDelay)))
        guard case .failure(let error) = result else { Issue.record("released another buyer's data: \(result)"); return }
        #expect(error.code == .vaultTampered)
        let last = try #require(try fixture.entries().last)
        #expect(last.decision == .failed && last.reason == "buyer-link-invalid" && last.fieldsReleased.isEmpty)
    }

    /// No permitted purpose reads the buyer's own phone, so the vault does not keep it.
    @Test func theBuyersOwnPhoneIsNotStored() async throws {
        let fixture = try await BrokerFixture.make()
        var order = try MarketplaceOrder.sample("402-3333333-3333333", email: "cccc3333@marketplace.amazon.it")
        order.contact[.buyerPhone] = "+39 333 1234567"
        order.contact[.shipPhone] = "+39 333 7654321"
        try await fixture.vault.store(order, actor: "test")
        let stored = try await fixture.vault.database.read { db -> Row? in
            try Row.fetchOne(db, sql: "SELECT buyer_phone, ship_phone FROM orders WHERE order_id = '402-3333333-3333333'")
        }
        #expect((stored?["buyer_phone"] as Data?) == nil)
        #expect((stored?["ship_phone"] as Data?) != nil)
        #expect(!ContactField.stored.contains(.buyerPhone) && ContactField.stored.contains(.shipPhone))
    }
}
