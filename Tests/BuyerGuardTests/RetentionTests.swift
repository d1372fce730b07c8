import BuyerGuardTesting
import Foundation
import GRDB
import Testing
@testable import BuyerGuard

@Suite struct RetentionTests {
    /// Orders at the edges of the windows, for two buyers; the clock starts at purchase.
    static func fixture() async throws -> BrokerFixture {
        let fixture = try await BrokerFixture.make()
        let start = fixture.clock.now
        var extra: [MarketplaceOrder] = []
        for (index, id) in ["403-0000000-0000001", "403-0000000-0000002", "403-0000000-0000003"].enumerated() {
            var order = try MarketplaceOrder.sample(id, email: BrokerFixture.emailB, name: "Bruno Verdi", street: "Via Po \(index)")
            order.purchaseDate = index == 2 ? nil : start
            extra.append(order)
        }
        try await fixture.vault.store(extra, actor: "test")
        // A: delivered at once; B's first order delivered 2 days later; the second never; the third has no dates.
        try await fixture.vault.record(.delivered(at: start), for: BrokerFixture.orderA, actor: "ops")
        try await fixture.vault.record(.delivered(at: start.addingTimeInterval(2 * 86_400)), for: try OrderID("403-0000000-0000001"), actor: "ops")
        return fixture
    }

    func sealedValues(_ vault: Vault) async throws -> [Data] {
        try await vault.database.read { db in
            var values: [Data] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM orders") {
                for field in ContactField.orderLevel { if let data = row[field.column] as Data? { values.append(data) } }
            }
            for row in try Row.fetchAll(db, sql: "SELECT buyer_email, buyer_name FROM buyers") {
                for column in ["buyer_email", "buyer_name"] { if let data = row[column] as Data? { values.append(data) } }
            }
            return values
        }
    }

    @Test func purgeFollowsTheWindows() async throws {
        let fixture = try await Self.fixture()
        fixture.clock.advance(days: 29)
        #expect(try await fixture.vault.purgeExpired(actor: "ops").orders == 0)
        fixture.clock.advance(days: 2)  // day 31: A's retention ended; B's delivered order not yet
        let dry = try await fixture.vault.purgeExpired(actor: "ops", dryRun: true)
        #expect(dry.orders == 1 && dry.buyers == 1 && dry.dryRun)
        #expect(try await fixture.vault.statistics().ordersWithPIIRemoved == 0)  // a dry run changes nothing
        let first = try await fixture.vault.purgeExpired(actor: "ops")
        #expect(first.orders == 1 && first.buyers == 1 && first.ordersWithoutDates == 1)
        fixture.clock.advance(days: 30)  // day 61: B's delivered order (day 33) and never-delivered order (day 60)
        let second = try await fixture.vault.purgeExpired(actor: "ops")
        #expect(second.orders == 3)  // B's two dated orders and order B of the fixture (never delivered)
        #expect(second.buyers == 0)  // B still has the undated order, which keeps PII
        let stats = try await fixture.vault.statistics()
        #expect(stats.ordersWithPIIRemoved == 4 && stats.orders == 5)
        let purges = try fixture.entries().filter { $0.kind == "purge" }
        #expect(purges.count == 3)  // one event per run, even a run that found nothing
        #expect(purges.first?.details?.contains("\"orders\":\"0\"") == true)
        #expect(purges.last?.details?.contains("\"orders\":\"3\"") == true)
    }

    @Test func purgedOrdersAreRefusedWithAClearReason() async throws {
        let fixture = try await Self.fixture()
        fixture.clock.advance(days: 31)
        _ = try await fixture.vault.purgeExpired(actor: "ops")
        let error = try #require(try await fixture.attempt(fixture.request(.customerSupport(caseID: "C1"))).failure)
        #expect(error.message.contains("purged"))
        #expect(try fixture.entries().last?.reason == "purged")
    }

    /// With secure_delete and a checkpoint, the removed ciphertext is gone from every vault file.
    @Test func purgedBytesAreGoneFromTheFiles() async throws {
        let fixture = try await Self.fixture()
        let before = Set(try await sealedValues(fixture.vault))
        fixture.clock.advance(days: 31)
        _ = try await fixture.vault.purgeExpired(actor: "ops")
        let kept = Set(try await sealedValues(fixture.vault))
        let removed = before.subtracting(kept)
        #expect(removed.count == 9)  // order A's 7 fields and buyer A's email and name
        for (name, data) in try TemporaryFolder.allBytes(in: fixture.temporary.vaultFolder) {
            for value in removed { #expect(data.range(of: value) == nil, "removed ciphertext still in \(name)") }
        }
        for value in kept.prefix(3) {
            #expect(try TemporaryFolder.allBytes(in: fixture.temporary.vaultFolder).contains { $0.data.range(of: value) != nil })
        }
    }

    /// An old report imported again does not bring a purged buyer back.
    @Test func reimportDoesNotRefillPurgedOrders() async throws {
        let fixture = try await Self.fixture()
        fixture.clock.advance(days: 31)
        _ = try await fixture.vault.purgeExpired(actor: "ops")
        let buyersBefore = try await fixture.vault.statistics().buyers
        let again = try await fixture.vault.store(try .sample(BrokerFixture.orderA.rawValue, email: BrokerFixture.emailA, name: "Anna Rossi", street: "Via Roma 1"), actor: "test")
        #expect(again.ordersUnchanged == 1 && again.buyersInserted == 0)
        #expect(try await fixture.vault.statistics().buyers == buyersBefore)
        #expect(try await fixture.vault.auditPseudonym(forEmail: BrokerFixture.emailA, actor: "test") == nil)
    }

    @Test func eraseByEmailRemovesEveryOrderOfTheBuyer() async throws {
        let fixture = try await Self.fixture()
        let summary = try await fixture.vault.erase(buyerEmail: " BBBB2222@marketplace.amazon.it", actor: "dpo")
        #expect(summary.orderIDs == ["402-2222222-2222222", "403-0000000-0000001", "403-0000000-0000002", "403-0000000-0000003"])
        #expect(summary.orders == 4 && summary.buyers == 1)
        #expect(try await fixture.attempt(fixture.request(.shipping, order: BrokerFixture.orderB)).failure?.message.contains("purged") == true)
        _ = try await fixture.attempt(fixture.request(.shipping)).get()  // the other buyer is untouched
        let event = try #require(try fixture.entries().last { $0.kind == "erase" })
        #expect(event.actor == "dpo")
        #expect(event.details?.contains("403-0000000-0000003") == true)
        #expect(event.details?.contains("bbbb2222") == false)
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }

    @Test func eraseByOrderFindsTheBuyer() async throws {
        let fixture = try await Self.fixture()
        let summary = try await fixture.vault.erase(orderID: try OrderID("403-0000000-0000002"), actor: "dpo")
        #expect(summary.orders == 4)
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await fixture.vault.erase(buyerEmail: "nobody@marketplace.amazon.it", actor: "dpo")
        }
        #expect(error?.code == .orderNotFound)
    }
}
