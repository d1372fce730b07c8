import BuyerGuardDetect
import BuyerGuardMessaging
import BuyerGuardTesting
import Foundation
import Testing
@testable import BuyerGuard

/// The rules weigh what nothing explains (#11): each fires, and a near miss does not.
extension MisuseScannerTests {
    /// `perDay` unexplained reads by each of `actors` on `days` working days from the day after the
    /// start, each beside `explainedPerDay` explained ones (shipping labels of waiting orders).
    func unexplainedDays(_ fixture: BrokerFixture, _ orders: [OrderID], actors: [String], days: Int, perDay: Int, explainedPerDay: Int = 0) async {
        for day in 0..<days {
            fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + Double(day + 1) * 86_400 + 10 * 3600))
            for (offset, actor) in actors.enumerated() {
                for index in 0..<perDay {
                    await read(fixture, orders[(day * perDay + index + offset * 7) % orders.count], actor: actor, purpose: Self.unexplained, every: 600)
                }
                for index in 0..<explainedPerDay { await read(fixture, orders[index % orders.count], actor: actor, every: 60) }
            }
        }
    }

    @Test func aDayOfUnexplainedReadsGrowsWithTheirNumberAndShare() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 30)
        for order in orders.prefix(20) { await read(fixture, order, actor: "anna", every: 600) }  // explained: labels
        for order in orders.prefix(9) { await read(fixture, order, actor: "anna", purpose: Self.unexplained, every: 600) }
        #expect(try rule("unexplained-access", fixture).map(\.severity) == [.medium])  // 9 of 29 requests
        await read(fixture, orders[9], actor: "anna", purpose: Self.unexplained, every: 600)
        #expect(try rule("unexplained-access", fixture).map(\.severity) == [.high])  // 10 orders

        // Five orders are medium among many explained, high when they are most of the day.
        let (few, fewOrders) = try await Self.fixture(buyers: 10)
        for order in fewOrders.prefix(6) { await read(few, order, actor: "bruno", every: 600) }
        for order in fewOrders.suffix(5) { await read(few, order, actor: "bruno", purpose: Self.unexplained, every: 600) }
        #expect(try rule("unexplained-access", few).map(\.severity) == [.medium])  // 5 of 11
        let (most, mostOrders) = try await Self.fixture(buyers: 10)
        await read(most, mostOrders[0], actor: "bruno", every: 600)
        for order in mostOrders.suffix(5) { await read(most, order, actor: "bruno", purpose: Self.unexplained, every: 600) }
        let found = try #require(try rule("unexplained-access", most).first)
        #expect(found.severity == .high && found.explanation.contains("83% of their requests"), "\(found.explanation)")
    }

    @Test func refusedReadsOfTheSamePatternCountWithTheGranted() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 12)
        for order in orders { try await fixture.vault.record(.delivered(at: fixture.clock.now), for: order, actor: "carrier") }
        fixture.clock.advance(days: 5)  // past the shipping grace: the broker refuses each
        for order in orders.prefix(9) { await read(fixture, order, actor: "leaving", every: 60) }
        #expect(try rule("unexplained-access", fixture).map(\.severity) == [.high])  // 9 of 9 refused: all of the day
        for order in orders.suffix(3) { await read(fixture, order, actor: "leaving", every: 60) }
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.severity == .high && found.evidence.count == 12 && found.explanation.contains("12 orders"))
        // Four refused among a day's explained work stay low.
        let (near, nearOrders) = try await Self.fixture(buyers: 12)
        for order in nearOrders.prefix(4) { try await near.vault.record(.delivered(at: near.clock.now), for: order, actor: "carrier") }
        near.clock.advance(days: 5)
        for order in nearOrders { await read(near, order, actor: "leaving", every: 60) }
        #expect(try rule("unexplained-access", near).map(\.severity) == [.low])
    }

    /// A read the policy's limit refused is still the attempt it was: the scan sees the whole pattern.
    @Test func readsRefusedAtTheUnexplainedLimitCountWithTheGranted() async throws {
        var policy = AccessPolicy()
        policy.unexplainedLimits.perHour = 3
        let (fixture, orders) = try await Self.fixture(buyers: 12, policy: policy)
        for order in orders { await read(fixture, order, actor: "export", purpose: Self.unexplained, every: 60) }
        let entries = try fixture.entries().filter { $0.kind == "access" }
        #expect(entries.filter { $0.reason == "unexplained-limit" }.count == 9)
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.severity == .high && found.evidence.count == 12, "\(found.explanation)")
    }

    @Test func aFewUnexplainedReadsADayForWeeksAddUp() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 60)
        await unexplainedDays(fixture, orders, actors: ["owner"], days: 7, perDay: 3)
        let slow = { try self.rule("unexplained-access", fixture).filter { $0.explanation.contains("slow pattern") } }
        #expect(try slow().isEmpty)  // 21 orders, but on 7 days only
        let (longer, longerOrders) = try await Self.fixture(buyers: 60)
        await unexplainedDays(longer, longerOrders, actors: ["owner"], days: 10, perDay: 3)
        let medium = try #require(try rule("unexplained-access", longer).first { $0.explanation.contains("slow pattern") })
        #expect(medium.severity == .medium && medium.explanation.contains("on 10 different days"), "\(medium.explanation)")
        let (weeks, weeksOrders) = try await Self.fixture(buyers: 60)
        await unexplainedDays(weeks, weeksOrders, actors: ["owner"], days: 14, perDay: 3)
        let high = try rule("unexplained-access", weeks).filter { $0.explanation.contains("slow pattern") }
        #expect(high.map(\.severity) == [.high] && high.first?.actor == "owner")
    }

    @Test func onePatternSplitAcrossAccountsIsFoundSellerWide() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 60)
        await unexplainedDays(fixture, orders, actors: ["a", "b", "c"], days: 7, perDay: 2)
        let found = try #require(try rule("unexplained-access", fixture).first { $0.explanation.contains("accounts together") })
        #expect(found.severity == .high && found.explanation.contains("3 accounts") && found.evidence.count == 42, "\(found.explanation)")
        let (two, twoOrders) = try await Self.fixture(buyers: 60)
        await unexplainedDays(two, twoOrders, actors: ["a", "b"], days: 7, perDay: 2)
        #expect(!(try rule("unexplained-access", two).contains { $0.explanation.contains("accounts together") }))  // 28 < 40
    }

    /// The weeks-long sums count only when the unexplained reads are a share of the actors' own
    /// requests: a busy agent's few re-reads of closed cases are not a slow export.
    @Test func slowAndSellerWideSumsWeighTheActorsOwnRequests() async throws {
        var rules = DetectionRules()
        rules.slowShare = 0.25
        rules.sellerWideShare = 0.25
        func slow(explainedPerDay: Int) async throws -> [Finding] {
            let (fixture, orders) = try await Self.fixture(buyers: 60)
            await unexplainedDays(fixture, orders, actors: ["owner"], days: 10, perDay: 3, explainedPerDay: explainedPerDay)
            return try rule("unexplained-access", fixture, rules).filter { $0.explanation.contains("slow pattern") }
        }
        let found = try await slow(explainedPerDay: 6)  // 30 of 90 requests
        #expect(found.map(\.severity) == [.medium] && found.first?.explanation.contains("(33% of their requests)") == true,
                "\(found.map(\.explanation))")
        #expect(try await slow(explainedPerDay: 12).isEmpty)  // 30 of 150: 20%

        func split(explainedPerDay: Int) async throws -> [Finding] {
            let (fixture, orders) = try await Self.fixture(buyers: 60)
            await unexplainedDays(fixture, orders, actors: ["a", "b", "c"], days: 7, perDay: 2, explainedPerDay: explainedPerDay)
            return try rule("unexplained-access", fixture, rules).filter { $0.explanation.contains("accounts together") }
        }
        let together = try await split(explainedPerDay: 4)  // 42 of 126 requests
        #expect(together.map(\.severity) == [.high] && together.first?.explanation.contains("(33% of their requests)") == true,
                "\(together.map(\.explanation))")
        #expect(try await split(explainedPerDay: 8).isEmpty)  // 42 of 210: 20%
    }

    @Test func sendsOwnReadAndACasesConversationAreNotHarvesting() async throws {
        // An agent reads ten open cases three times each and replies once to each: 40 email reads
        // and 10 messages by the old count, a harvest; the reads are the cases' and the sends'.
        func agentDay(openCases: Bool) async throws -> [Finding] {
            let (fixture, orders) = try await Self.fixture(buyers: 10)
            try await fixture.vault.recordCase(.opened(at: fixture.clock.now), caseID: "C-other", for: orders[0], actor: "feed")
            for (index, order) in orders.enumerated() {
                if openCases, index > 0 { try await fixture.vault.recordCase(.opened(at: fixture.clock.now), caseID: "C-\(index)", for: order, actor: "feed") }
                for _ in 0..<3 { await read(fixture, order, actor: "agent", purpose: .customerSupport(caseID: "C-\(index)"), every: 60) }
                let body = "Gentile cliente, in merito all'ordine \(order): la taglia M è disponibile."
                try? await fixture.broker.send(OutgoingMessage(purpose: .support, caseID: "C-\(index)", subject: "Re: ordine \(order)", body: body),
                                               order: order, actor: "agent", via: SilentTransport())
            }
            return try rule("email-harvesting", fixture)
        }
        #expect(try await agentDay(openCases: true).isEmpty)
        // The same reads under cases nobody opened are 30 emails (the sends' own reads not counted) for 10 messages.
        let harvest = try #require(try await agentDay(openCases: false).first)
        #expect(harvest.severity == .high && harvest.explanation.contains("read 30 buyer emails") && harvest.explanation.contains("sent 10 messages"), "\(harvest.explanation)")
    }
}

extension MisuseScannerTests {
    @Test func emailsTakenForAMessageKindOutsideSendAreCountedByTheWindowRules() async throws {
        // Thirty delay messages sent in half a minute: explained work, one read each.
        let (sent, sentOrders) = try await Self.fixture(buyers: 30)
        for order in sentOrders {
            sent.clock.advance(by: 1)
            try await sent.broker.send(DetectionEvaluationTests.message(.orderMessaging(.shipmentDelay), order: order, now: sent.clock.now),
                                       order: order, actor: "mailer", via: SilentTransport())
        }
        #expect(!(try findings(sent).contains { $0.rule == "bulk-read" || $0.rule == "email-harvesting" }))
        // The same thirty emails taken by the app for the same kind, with no message: a sweep.
        let (taken, takenOrders) = try await Self.fixture(buyers: 30)
        for order in takenOrders { await read(taken, order, actor: "mailer", purpose: .orderMessaging(.shipmentDelay), every: 1) }
        #expect(try findings(taken).first { $0.rule == "bulk-read" }?.severity == .high)
    }
}
