import BuyerGuardTesting
import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// A vault with two buyers' orders, a manual clock and a broker.
struct BrokerFixture {
    let clock: ManualClock
    let temporary: TemporaryVault
    let broker: AccessBroker
    var vault: Vault { temporary.vault }

    static let orderA = try! OrderID("402-1111111-1111111")
    static let orderB = try! OrderID("402-2222222-2222222")
    static let emailA = "aaaa1111@marketplace.amazon.it"
    static let emailB = "bbbb2222@marketplace.amazon.it"

    static func make(policy: AccessPolicy = AccessPolicy(), configuration: VaultConfiguration = VaultConfiguration()) async throws -> BrokerFixture {
        let clock = ManualClock()
        let temporary = try await TemporaryVault(clock: clock, configuration: configuration)
        var a = try MarketplaceOrder.sample(orderA.rawValue, email: emailA, name: "Anna Rossi", street: "Via Roma 1")
        a.purchaseDate = clock.now
        var b = try MarketplaceOrder.sample(orderB.rawValue, email: emailB, name: "Bruno Verdi", street: "Via Po 2")
        b.purchaseDate = clock.now
        try await temporary.vault.store([a, b], actor: "test")
        return BrokerFixture(clock: clock, temporary: temporary, broker: AccessBroker(vault: temporary.vault, policy: policy))
    }

    func request(_ purpose: Purpose, _ fields: FieldSelection = .allowedForPurpose, order: OrderID = orderA,
                 actor: String = "anna", expectedBuyer: String? = nil) -> AccessRequest {
        AccessRequest(actor: actor, purpose: purpose, orderID: order, fields: fields, expectedBuyerEmail: expectedBuyer, requestID: "req-1")
    }

    /// Runs a request; returns the released fields and values, or the denial reason.
    func attempt(_ request: AccessRequest) async throws -> Result<[ContactField: String], BuyerGuardError> {
        do {
            return .success(try await broker.withAccess(request) { contact in
                Dictionary(uniqueKeysWithValues: contact.fields.map { ($0, contact.string($0)!) })
            })
        } catch let error as BuyerGuardError {
            return .failure(error)
        }
    }

    func entries() throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        try vault.auditLog.forEachEntry { entries.append($0) }
        return entries
    }
}

@Suite struct AccessBrokerTests {
    static let purposes: [Purpose] = [.shipping, .customerSupport(caseID: "CASE-1")] + MessageKind.allCases.map { .orderMessaging($0) }

    /// Every purpose × every field: allowed exactly when the purpose's table says so.
    @Test(arguments: purposes)
    func purposeFieldMatrix(_ purpose: Purpose) async throws {
        let fixture = try await BrokerFixture.make()
        let isReviewRequest = purpose.messageKind == .reviewRequest
        if isReviewRequest {  // open only 5 to 30 days after delivery, once per order (ReviewRequestTests)
            try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
            fixture.clock.advance(days: 6)
        }
        for field in ContactField.allCases {
            if isReviewRequest {
                try await fixture.vault.database.write { try $0.execute(sql: "UPDATE orders SET review_requested_at = NULL") }
            }
            let result = try await fixture.attempt(fixture.request(purpose, .exactly([field])))
            if purpose.allowedFields.contains(field) {
                let released = try result.get()
                #expect(released.keys.allSatisfy { $0 == field })
            } else {
                guard case .failure(let error) = result else {
                    Issue.record("\(purpose) released \(field)")
                    continue
                }
                #expect(error.code == .accessDenied)
                #expect(error.message.contains("field-not-allowed"))
            }
        }
        // Every attempt was logged, granted or denied.
        #expect(try fixture.entries().filter { $0.kind == "access" }.count == ContactField.allCases.count)
    }

    @Test func shippingReleasesTheRightValues() async throws {
        let fixture = try await BrokerFixture.make()
        let released = try await fixture.attempt(fixture.request(.shipping)).get()
        #expect(released[.addressLine1] == "Via Roma 1")
        #expect(released[.recipientName] == "Anna Rossi")
        #expect(released[.buyerEmail] == nil)
        let messaging = try await fixture.attempt(fixture.request(.orderMessaging(.shipmentDelay))).get()
        #expect(messaging == [.buyerEmail: BrokerFixture.emailA, .buyerName: "Anna Rossi"])
    }

    @Test(arguments: [
        Purpose.prohibited(.marketing), .prohibited(.export), .prohibited(.reviewRequest), .prohibited(.analytics),
        .prohibited(.thirdParty), .prohibited(.promotion), Purpose(parsing: "newsletter"), Purpose(parsing: "MARKETING"),
        Purpose(parsing: "order-messaging", kind: "black-friday"), .customerSupport(caseID: " "),
    ])
    func deniedPurposesAreLoggedWithAReason(_ purpose: Purpose) async throws {
        let fixture = try await BrokerFixture.make()
        var called = false
        let error = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(purpose)) { _ in called = true }
        }
        #expect(!called)
        #expect(error?.code == .accessDenied)
        let entry = try #require(try fixture.entries().last)
        #expect(entry.decision == .denied)
        #expect(entry.fieldsReleased.isEmpty)
        #expect(["purpose-prohibited", "purpose-unrecognized", "case-id-required"].contains(entry.reason ?? ""))
        #expect(entry.actor == "anna" && entry.requestID == "req-1" && entry.orderID == BrokerFixture.orderA.rawValue)
        // The reason is a typed value on the error, the very code the entry records.
        #expect(error?.denialReason?.rawValue == entry.reason)
    }

    @Test func orderOfAnotherBuyerIsDenied() async throws {
        let fixture = try await BrokerFixture.make()
        let error = try #require(try await fixture.attempt(fixture.request(.shipping, order: BrokerFixture.orderB, expectedBuyer: BrokerFixture.emailA)).failure)
        #expect(error.message.contains("buyer-mismatch"))
        _ = try await fixture.attempt(fixture.request(.shipping, order: BrokerFixture.orderA, expectedBuyer: " AAAA1111@marketplace.amazon.it")).get()
    }

    @Test func unknownOrderIsDeniedAndLogged() async throws {
        let fixture = try await BrokerFixture.make()
        let error = try #require(try await fixture.attempt(fixture.request(.shipping, order: try OrderID("409-0000000-0000000"))).failure)
        #expect(error.message.contains("order-not-found"))
        #expect(try fixture.entries().last?.reason == "order-not-found")
    }

    @Test func shippingWindowClosesAfterDeliveryAndGrace() async throws {
        let fixture = try await BrokerFixture.make()
        fixture.clock.advance(days: 2)
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: "BRT", trackingNumber: "X1"), for: BrokerFixture.orderA, actor: "w")
        _ = try await fixture.attempt(fixture.request(.shipping)).get()  // in transit
        fixture.clock.advance(days: 2)
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "w")
        fixture.clock.advance(days: 3)
        _ = try await fixture.attempt(fixture.request(.shipping)).get()  // within the 3-day grace
        fixture.clock.advance(by: 3600)
        let error = try #require(try await fixture.attempt(fixture.request(.shipping)).failure)
        #expect(error.message.contains("shipping-window-closed"))
        let entry = try #require(try fixture.entries().last)
        #expect(entry.orderStatus == "delivered" && entry.daysSinceDelivery == 3 && entry.daysSincePurchase == 7)
    }

    @Test func messagingEndsWithRetention() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.delivered(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "w")
        fixture.clock.advance(days: 30)
        _ = try await fixture.attempt(fixture.request(.customerSupport(caseID: "C-9"))).get()
        fixture.clock.advance(by: 60)
        let error = try #require(try await fixture.attempt(fixture.request(.customerSupport(caseID: "C-9"))).failure)
        #expect(error.message.contains("retention-ended"))
        // Never delivered: the fallback is 60 days after purchase.
        fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600).addingTimeInterval(59 * 86_400))
        _ = try await fixture.attempt(fixture.request(.orderMessaging(.orderUnavailable), order: BrokerFixture.orderB)).get()
        fixture.clock.advance(days: 2)
        #expect(try await fixture.attempt(fixture.request(.orderMessaging(.orderUnavailable), order: BrokerFixture.orderB)).failure != nil)
    }

    @Test func cancelledOrdersShipNothing() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.record(.cancelled(at: fixture.clock.now, reason: "NoInventory"), for: BrokerFixture.orderA, actor: "w")
        #expect(try await fixture.attempt(fixture.request(.shipping)).failure?.message.contains("order-cancelled") == true)
        _ = try await fixture.attempt(fixture.request(.orderMessaging(.orderUnavailable))).get()
    }

    @Test func rolesNarrowPurposes() async throws {
        let policy = try AccessPolicy(toml: """
            # who may do what
            require-role = true
            [roles.warehouse]
            purposes = ["shipping"]
            [roles.support]
            purposes = ["customer-support"]
            [actors]
            "label-printer" = "warehouse"
            "anna@shop" = "support"
            """)
        let fixture = try await BrokerFixture.make(policy: policy)
        _ = try await fixture.attempt(fixture.request(.shipping, actor: "label-printer")).get()
        #expect(try await fixture.attempt(fixture.request(.customerSupport(caseID: "C1"), actor: "label-printer")).failure?.message.contains("role-not-allowed") == true)
        _ = try await fixture.attempt(fixture.request(.customerSupport(caseID: "C1"), actor: "anna@shop")).get()
        #expect(try await fixture.attempt(fixture.request(.shipping, actor: "anna@shop")).failure?.message.contains("role-not-allowed") == true)
        #expect(try await fixture.attempt(fixture.request(.shipping, actor: "stranger")).failure?.message.contains("no-role") == true)
        #expect(try fixture.entries().last?.role == nil)
        #expect(try fixture.entries().first { $0.kind == "access" }?.role == "warehouse")
    }

    @Test(arguments: [
        ("[roles.x]\npurposes = [\"marketing\"]", "only shipping"),
        ("[actors]\n\"a\" = \"nobody\"", "undefined role"),
        ("[windows]\nshipping-grace-days = \"three\"", "whole number"),
        ("surprise = 1", "unknown setting"),
        ("[roles.x]\npurposes = [\"shipping\"", "expected , or ]"),
    ])
    func badPolicyFilesNameTheProblem(text: String, message: String) {
        let error = #expect(throws: BuyerGuardError.self) { _ = try AccessPolicy(toml: text, file: "policy.toml") }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.location?.hasPrefix("policy.toml") == true)
    }

    @Test func policyWindowsAreRead() throws {
        let policy = try AccessPolicy(toml: "[windows]\nshipping-grace-days = 5\nretention-days-after-delivery = 14\n")
        #expect(policy.shippingGraceAfterDelivery == 5 * 86_400)
        #expect(policy.retentionAfterDelivery == 14 * 86_400)
    }

    @Test func revealedContactDescriptionsRevealNothing() async throws {
        let fixture = try await BrokerFixture.make()
        // Not copyable, so neither `String(reflecting:)` nor `dump` can even take it; its description names fields only.
        let text = try await fixture.broker.withAccess(fixture.request(.shipping)) { contact in contact.description }
        #expect(!text.contains("Via Roma") && !text.contains("Anna") && text.contains("address-line-1"))
    }

    /// The released bytes are zeroed when the closure returns, even if something kept their buffer.
    @Test func releasedBytesAreZeroedWhenTheClosureReturns() async throws {
        let fixture = try await BrokerFixture.make()
        nonisolated(unsafe) var kept: SecureBytes?
        let inside = try await fixture.broker.withAccess(fixture.request(.shipping)) { contact in
            kept = contact.values[.addressLine1]
            return contact.string(.addressLine1)
        }
        #expect(inside == "Via Roma 1")
        let after = try #require(kept).withUnsafeBytes { Array($0) }
        #expect(!after.isEmpty && after.allSatisfy { $0 == 0 })
    }

    /// The audit entry is durable before the closure runs; if it cannot be written, nothing is released.
    @Test func fullAuditLogReleasesNothing() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(fixture.request(.shipping)).get()
        try await fixture.vault.auditLog.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        var called = false
        var failed = false
        // Enough requests to need a new page of the log.
        for _ in 0..<500 {
            do {
                try await fixture.broker.withAccess(fixture.request(.shipping)) { _ in called = true }
            } catch let error as BuyerGuardError {
                #expect(error.code == .auditUnavailable)
                #expect(error.message.contains("nothing was released"))
                failed = true
                break
            }
            called = false
        }
        #expect(failed)
        #expect(!called)
    }

    /// A log SQLite will not write to (here `query_only`, which fails writes with SQLITE_READONLY,
    /// as a read-only file or mount does) releases nothing.
    @Test func readOnlyAuditLogReleasesNothing() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.auditLog.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = ON") }
        var called = false
        let error = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.shipping)) { _ in called = true }
        }
        #expect(error?.code == .auditUnavailable)
        #expect(error?.underlying?.contains("readonly") == true || error?.underlying?.contains("read-only") == true || error?.underlying?.contains("query_only") == true,
                "\(error?.underlying ?? "")")
        #expect(!called)
        // Denials need the log too: without it they fail the same way rather than go unrecorded.
        let denial = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.prohibited(.marketing))) { _ in called = true }
        }
        #expect(denial?.code == .auditUnavailable)
    }

    @Test func lockedAuditLogReleasesNothing() async throws {
        var configuration = VaultConfiguration()
        configuration.busyTimeout = .milliseconds(200)
        let fixture = try await BrokerFixture.make(configuration: configuration)
        // Another process holds the audit log's write lock.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: fixture.vault.auditLog.url.path, configuration: unsafe)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        var called = false
        let error = await #expect(throws: BuyerGuardError.self) {
            try await fixture.broker.withAccess(fixture.request(.shipping)) { _ in called = true }
        }
        #expect(error?.code == .auditUnavailable)
        #expect(!called)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        _ = try await fixture.attempt(fixture.request(.shipping)).get()
    }

    @Test func unreadableVaultFailsAndIsLogged() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in try db.execute(sql: "ALTER TABLE orders RENAME TO orders_elsewhere") }
        let error = try #require(try await fixture.attempt(fixture.request(.shipping)).failure)
        #expect(error.code == .storage)
        let entry = try #require(try fixture.entries().last)
        #expect(entry.decision == .failed && entry.reason == "storage" && entry.fieldsReleased.isEmpty)
    }

    @Test func corruptCiphertextFailsAndIsLogged() async throws {
        let fixture = try await BrokerFixture.make()
        try await fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE orders SET city = (SELECT city FROM orders WHERE order_id = ?) WHERE order_id = ?",
                           arguments: [BrokerFixture.orderB.rawValue, BrokerFixture.orderA.rawValue])
        }
        let error = try #require(try await fixture.attempt(fixture.request(.shipping)).failure)
        #expect(error.code == .corruptCiphertext)
        #expect(try fixture.entries().last?.decision == .failed)
    }

    /// 32 tasks × 1,000 accesses: one entry per request, and the chain verifies.
    @Test func concurrentCallersKeepOneChain() async throws {
        let fixture = try await BrokerFixture.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<32 {
                group.addTask {
                    for index in 0..<1000 {
                        let purpose: Purpose = index % 10 == 0 ? .prohibited(.marketing) : .shipping
                        _ = try await fixture.attempt(fixture.request(purpose, actor: "worker-\(task)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await fixture.vault.auditLog.count() == 32_003)  // and the vault's creation and orders stored (started, done)
        let report = try fixture.vault.auditLog.verify()
        #expect(report.isIntact)
        #expect(report.entries == 32_003)
        #expect(report.checkpointsVerified >= 3)  // one every 10,000 entries
    }

    @Test func noPlaintextInTheAuditFile() async throws {
        let fixture = try await BrokerFixture.make()
        for purpose in Self.purposes + [.prohibited(.marketing)] { _ = try await fixture.attempt(fixture.request(purpose)) }
        _ = try await fixture.attempt(fixture.request(.shipping, order: BrokerFixture.orderB, expectedBuyer: BrokerFixture.emailA))
        let data = try Data(contentsOf: fixture.vault.auditLog.url) + (try? Data(contentsOf: URL(fileURLWithPath: fixture.vault.auditLog.url.path + "-wal"))).orEmpty
        for value in [BrokerFixture.emailA, BrokerFixture.emailB, "aaaa1111", "Anna Rossi", "Via Roma 1", "Torino", "333 1234567"] {
            #expect(data.range(of: Data(value.utf8)) == nil, "\(value) found in the audit file")
        }
        // The buyer appears as a pseudonym, the same one `audit pseudonym` computes.
        let pseudonym = try await fixture.vault.auditPseudonym(forEmail: BrokerFixture.emailA, actor: "test")
        #expect(try fixture.entries().contains { $0.buyer == pseudonym && $0.orderID == BrokerFixture.orderA.rawValue })
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Optional where Wrapped == Data {
    var orEmpty: Data { self ?? Data() }
}

@Suite struct OrderLifecycleTests {
    @Test func eachEventSetsStatusDateAndLogsIt() async throws {
        let fixture = try await BrokerFixture.make()
        let events: [OrderEvent] = [
            .shipped(at: fixture.clock.now, carrier: "Poste Italiane", trackingNumber: "PI-1"), .delivered(at: fixture.clock.now),
            .returned(at: fixture.clock.now), .refunded(at: fixture.clock.now, reason: "CustomerReturn"),
        ]
        for event in events {
            try await fixture.vault.record(event, for: BrokerFixture.orderA, actor: "ops")
            #expect(try await fixture.vault.statistics().ordersByStatus[event.status] == 1)
        }
        let columns = try fixture.vault.database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT shipped_at, delivered_at, returned_at, refunded_at, carrier, tracking_number FROM orders WHERE order_id = ?",
                             arguments: [BrokerFixture.orderA.rawValue])
        }
        #expect((columns?["shipped_at"] as Int64?) != nil && (columns?["refunded_at"] as Int64?) != nil)
        #expect(columns?["carrier"] == "Poste Italiane" && columns?["tracking_number"] == "PI-1")
        let kinds = try fixture.entries().map(\.kind)
        #expect(kinds.suffix(8) == ["job-started", "order-shipped", "job-started", "order-delivered", "job-started", "order-returned",
                                    "job-started", "order-refunded"])
        let error = await #expect(throws: BuyerGuardError.self) {
            try await fixture.vault.record(.delivered(at: Date()), for: try OrderID("409-0000000-0000001"), actor: "ops")
        }
        #expect(error?.code == .orderNotFound)
    }
}
