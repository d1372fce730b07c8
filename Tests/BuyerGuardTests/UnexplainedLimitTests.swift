import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// Prevention beside detection: the policy's limits on reads nothing explains are enforced by the
/// broker, in real time, where the entry is appended; explained work is never limited.
@Suite struct UnexplainedLimitTests {
    /// A support read under a case nobody opened: granted by policy, explained by nothing.
    static let unexplained = Purpose.customerSupport(caseID: "C-NOBODY")

    func policy(perDay: Int? = nil, perHour: Int? = nil) -> AccessPolicy {
        var policy = AccessPolicy()
        policy.unexplainedLimits = AccessPolicy.UnexplainedLimits(perDay: perDay, perHour: perHour)
        return policy
    }

    @Test func theHourlyLimitRefusesTheReadPastItAndReleasesNothing() async throws {
        let fixture = try await BrokerFixture.make(policy: policy(perHour: 3))
        for _ in 0..<3 {
            let result = try await fixture.attempt(fixture.request(Self.unexplained))
            #expect(try result.get()[.buyerEmail] == BrokerFixture.emailA)
        }
        let fourth = try await fixture.attempt(fixture.request(Self.unexplained, order: BrokerFixture.orderB))
        guard case .failure(let error) = fourth else { Issue.record("the fourth unexplained read was granted"); return }
        #expect(error.code == .accessDenied && error.denialReason == .unexplainedLimit)
        #expect(error.message.contains("3 in an hour") && !error.message.contains(BrokerFixture.emailB), "\(error.message)")

        let last = try #require(try fixture.entries().last)
        #expect(last.decision == .denied && last.reason == "unexplained-limit" && last.fieldsReleased.isEmpty && last.explanation == nil)
        #expect(last.details == #"{"max":"3","window":"hour"}"#)
        #expect(try fixture.vault.auditLog.verify().isIntact)  // the refused entry is hashed as written

        // Explained work in any number is not limited, even with the limit reached.
        for _ in 0..<10 { _ = try await fixture.attempt(fixture.request(.shipping)).get() }
        // An hour on, the window has moved.
        fixture.clock.advance(by: 3601)
        _ = try await fixture.attempt(fixture.request(Self.unexplained)).get()
    }

    @Test func theDailyLimitIsASlidingWindowPerActor() async throws {
        let fixture = try await BrokerFixture.make(policy: policy(perDay: 2))
        _ = try await fixture.attempt(fixture.request(Self.unexplained)).get()
        fixture.clock.advance(by: 12 * 3600)
        _ = try await fixture.attempt(fixture.request(Self.unexplained)).get()
        // Another actor has a limit of their own.
        _ = try await fixture.attempt(fixture.request(Self.unexplained, actor: "bruno")).get()
        fixture.clock.advance(by: 11 * 3600)  // 23 h after the first: still two in the window
        let refused = try await fixture.attempt(fixture.request(Self.unexplained))
        #expect(refused.errorReason == .unexplainedLimit)
        #expect(try fixture.entries().last?.details == #"{"max":"2","window":"24 hours"}"#)
        fixture.clock.advance(by: 3601)  // the first left the window; the refusal itself never counted
        _ = try await fixture.attempt(fixture.request(Self.unexplained)).get()
    }

    @Test func withoutLimitsNothingIsRefused() async throws {
        let fixture = try await BrokerFixture.make()
        for _ in 0..<25 { _ = try await fixture.attempt(fixture.request(Self.unexplained)).get() }
    }

    /// Many tasks at once cannot all take the last place: the count runs in the append's transaction.
    @Test func concurrentRequestsDoNotOvershootTheLimit() async throws {
        let fixture = try await BrokerFixture.make(policy: policy(perHour: 5))
        let granted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let order = index % 2 == 0 ? BrokerFixture.orderA : BrokerFixture.orderB
                    return (try? await fixture.attempt(fixture.request(Self.unexplained, order: order)).get()) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 5)
        let entries = try fixture.entries().filter { $0.kind == "access" }
        #expect(entries.filter { $0.decision == .granted }.count == 5 && entries.filter { $0.reason == "unexplained-limit" }.count == 35)
    }

    /// The count reads the partial index, not the whole log.
    @Test func theCountUsesThePartialIndex() async throws {
        let fixture = try await BrokerFixture.make(policy: policy(perHour: 3))
        let plan = try await fixture.vault.auditLog.database.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT COUNT(*) FROM (SELECT 1 FROM entries
                    WHERE actor = ? AND explanation = 'unexplained' AND time_ms > ? AND decision = 'granted' LIMIT ?)
                """, arguments: ["anna", 0, 3]).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("entries_unexplained") }, "\(plan)")
    }

    @Test func aServiceAccountIsRefusedAMessageKindTheOrderDoesNotCallFor() async throws {
        var policy = AccessPolicy()
        policy.roles["mailer"] = AccessPolicy.Role(name: "mailer", purposes: ["order-messaging"], serviceAccount: true)
        policy.roles["agent"] = AccessPolicy.Role(name: "agent", purposes: ["order-messaging", "customer-support"])
        policy.actorRoles = ["mailer-service": "mailer", "anna": "agent"]
        let fixture = try await BrokerFixture.make(policy: policy)
        // Nothing came back: a return confirmation is unexplained.
        let refused = try await fixture.attempt(fixture.request(.orderMessaging(.returnConfirmation), actor: "mailer-service"))
        #expect(refused.errorReason == .unexplainedMessageKind)
        let entry = try #require(try fixture.entries().last)
        #expect(entry.decision == .denied && entry.reason == "unexplained-message-kind" && entry.fieldsReleased.isEmpty)
        // Explained kinds still go through; a person is only recorded, not refused.
        _ = try await fixture.attempt(fixture.request(.orderMessaging(.orderUnavailable), actor: "mailer-service")).get()
        _ = try await fixture.attempt(fixture.request(.orderMessaging(.returnConfirmation), actor: "anna")).get()
        try await fixture.vault.record(.returned(at: fixture.clock.now), for: BrokerFixture.orderA, actor: "ops")
        _ = try await fixture.attempt(fixture.request(.orderMessaging(.returnConfirmation), actor: "mailer-service")).get()
    }

    @Test func thePolicyFileSetsTheLimitsAndServiceAccounts() throws {
        let policy = try AccessPolicy(toml: """
            [limits]
            unexplained-per-day = 20
            unexplained-per-hour = 10

            [roles.mailer]
            purposes = ["order-messaging"]
            service-account = true

            [roles.support]
            purposes = ["customer-support"]
            """)
        #expect(policy.unexplainedLimits == AccessPolicy.UnexplainedLimits(perDay: 20, perHour: 10))
        #expect(policy.roles["mailer"]?.serviceAccount == true && policy.roles["support"]?.serviceAccount == false)
        #expect(AccessPolicy().unexplainedLimits.isEnabled == false)
        for bad in ["[limits]\nunexplained-per-week = 3\n", "[limits]\nunexplained-per-day = -1\n", "[roles.x]\npurposes = [\"shipping\"]\nservice-account = 1\n"] {
            #expect(throws: BuyerGuardError.self) { try AccessPolicy(toml: bad) }
        }
    }
}

extension Result where Failure == BuyerGuardError {
    /// The refusal's reason, `nil` for a grant or another error.
    var errorReason: AccessBroker.DenialReason? {
        if case .failure(let error) = self { return error.denialReason }
        return nil
    }
}
