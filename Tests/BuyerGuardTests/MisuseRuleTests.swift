import BuyerGuardDetect
import BuyerGuardMessaging
import BuyerGuardTesting
import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// The rules that need order state, history or time: each fires, and a near miss does not.
extension MisuseScannerTests {
    func rule(_ name: String, _ fixture: BrokerFixture, _ rules: DetectionRules = DetectionRules()) throws -> [Finding] {
        try findings(fixture, rules).filter { $0.rule == name }
    }

    // MARK: unexplained-access

    @Test func shippingReadsLongAfterDeliveryAreUnexplained() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        for order in orders { try await fixture.vault.record(.delivered(at: fixture.clock.now), for: order, actor: "carrier") }
        fixture.clock.advance(days: 1)
        await read(fixture, orders[0], actor: "anna")  // a day after delivery: a label reprint, fine
        #expect(try rule("unexplained-access", fixture).isEmpty)
        fixture.clock.advance(days: 1)
        await read(fixture, orders[1], actor: "anna")  // two days after: nothing to ship
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.severity == .low && found.evidence.orders == [orders[1].rawValue])
    }

    @Test func messagesNoOrderEventCallsForAreUnexplained() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        await read(fixture, orders[0], actor: "anna", purpose: .orderMessaging(.shipmentDelay))  // unshipped: a delay is news
        #expect(try rule("unexplained-access", fixture).isEmpty)
        try await fixture.vault.record(.shipped(at: fixture.clock.now, carrier: nil, trackingNumber: nil), for: orders[1], actor: "ops")
        await read(fixture, orders[1], actor: "anna", purpose: .orderMessaging(.shipmentDelay))  // already shipped
        await read(fixture, orders[1], actor: "anna", purpose: .orderMessaging(.returnConfirmation))  // nothing was returned
        #expect(try rule("unexplained-access", fixture).first?.evidence.count == 2)
    }

    @Test func aSupportCaseCoveringManyBuyersIsUnexplained() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 4)
        for order in orders.prefix(3) { await read(fixture, order, actor: "anna", purpose: .customerSupport(caseID: "C-1")) }
        #expect(try rule("unexplained-access", fixture).isEmpty)  // three buyers: a family, a shared address
        await read(fixture, orders[3], actor: "anna", purpose: .customerSupport(caseID: "C-1"))
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.severity == .medium && found.explanation.contains("C-1"))
    }

    @Test func manyUnansweredOneOffCasesAreUnexplained() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 8)
        for (index, order) in orders.prefix(7).enumerated() {
            await read(fixture, order, actor: "anna", purpose: .customerSupport(caseID: "C-\(index)"), every: 600)
        }
        #expect(try rule("unexplained-access", fixture).isEmpty)
        await read(fixture, orders[7], actor: "anna", purpose: .customerSupport(caseID: "C-7"), every: 600)
        let found = try rule("unexplained-access", fixture).first
        #expect(found?.evidence.count == 8 && found?.severity == .high)

        // The same eight cases, each answered: work, not browsing.
        let (answered, answeredOrders) = try await Self.fixture(buyers: 8)
        for (index, order) in answeredOrders.enumerated() {
            answered.clock.advance(by: 600)
            let body = "Gentile cliente, in merito all'ordine \(order): la taglia M è disponibile."
            try await answered.broker.send(OutgoingMessage(purpose: .support, caseID: "C-\(index)", subject: "Re: ordine \(order)", body: body),
                                           order: order, actor: "anna", via: SilentTransport())
        }
        #expect(try rule("unexplained-access", answered).isEmpty)
    }

    @Test func unexplainedReadsAreCountedInOrdersNotEntries() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        for order in orders { try await fixture.vault.record(.delivered(at: fixture.clock.now), for: order, actor: "carrier") }
        fixture.clock.advance(days: 3)
        for _ in 0..<3 { await read(fixture, orders[0], actor: "anna") }  // one order, three times
        let once = try #require(try rule("unexplained-access", fixture).first)
        #expect(once.explanation.contains("1 order (3 entries)") && once.evidence.count == 3, "\(once.explanation)")
        await read(fixture, orders[1], actor: "anna")
        let twice = try #require(try rule("unexplained-access", fixture).first)
        #expect(twice.explanation.contains("2 orders (4 entries)"), "\(twice.explanation)")
    }

    @Test func evidenceIsInLogOrderWhateverTheTiesInTime() async throws {
        // Eight one-off cases read in the same millisecond: the rule gathers them from a
        // dictionary, whose order changes from one process to the next; the evidence must not.
        let (fixture, orders) = try await Self.fixture(buyers: 8)
        for (index, order) in orders.enumerated() {
            await read(fixture, order, actor: "anna", purpose: .customerSupport(caseID: "C-\(index)"), every: 0)
        }
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.evidence.count == 8 && found.evidence.sequences == found.evidence.sequences.sorted(), "\(found.evidence.sequences)")
        #expect(found.evidence.orders == found.evidence.orders.sorted())
    }

    @Test func supportReadsUnderCasesNobodyOpenedAreUnexplainedOnceTheShopRecordsCases() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 3)
        await read(fixture, orders[0], actor: "anna", purpose: .customerSupport(caseID: "C-1"))
        #expect(try rule("unexplained-access", fixture).isEmpty)  // no case is ever recorded here: nothing to go by
        try await fixture.vault.recordCase(.opened(at: fixture.clock.now), caseID: "C-2", for: orders[1], actor: "inbox")
        await read(fixture, orders[1], actor: "anna", purpose: .customerSupport(caseID: "C-2"))  // the buyer's own case
        #expect(try rule("unexplained-access", fixture).isEmpty)
        await read(fixture, orders[2], actor: "anna", purpose: .customerSupport(caseID: "C-3"))  // nobody opened C-3
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.evidence.orders == [orders[2].rawValue] && found.severity == .low, "\(found)")
    }

    @Test func aCaseFindingNamesWhoDidTheReads() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 4)
        await read(fixture, orders[0], actor: "anna", purpose: .customerSupport(caseID: "C-9"))  // anna opened it
        for order in orders.dropFirst() { await read(fixture, order, actor: "bruno", purpose: .customerSupport(caseID: "C-9")) }
        let found = try #require(try rule("unexplained-access", fixture).first)
        #expect(found.actor == "bruno", "the reads were bruno's: \(found.actor)")
        #expect(found.explanation.contains("bruno (3 reads), anna (1 read)"), "\(found.explanation)")
    }

    // MARK: stale-data

    @Test func readsNearOrPastRetentionAreStale() async throws {
        var policy = AccessPolicy()
        policy.retentionWithoutDelivery = 90 * 86_400  // the shop keeps data longer than the rules assume
        let fixture = try await BrokerFixture.make(policy: policy)
        fixture.clock.advance(days: 56)
        _ = try? await fixture.broker.withAccess(fixture.request(.orderMessaging(.orderCompletion))) { $0.fields.count }
        #expect(try rule("stale-data", fixture).isEmpty)  // 4 days before the 60-day end
        fixture.clock.advance(days: 1)
        _ = try? await fixture.broker.withAccess(fixture.request(.orderMessaging(.orderCompletion))) { $0.fields.count }
        #expect(try rule("stale-data", fixture).map(\.severity) == [.low])  // 3 days before
        fixture.clock.advance(days: 5)
        _ = try? await fixture.broker.withAccess(fixture.request(.orderMessaging(.orderCompletion), order: BrokerFixture.orderB)) { $0.fields.count }
        #expect(try rule("stale-data", fixture).map(\.severity).sorted() == [.low, .medium])  // past the end
    }

    @Test func attemptsAfterRetentionEndedAreStale() async throws {
        let fixture = try await BrokerFixture.make()
        fixture.clock.advance(days: 61)
        _ = try? await fixture.broker.withAccess(fixture.request(.orderMessaging(.orderCompletion))) { $0.fields.count }
        let found = try #require(try rule("stale-data", fixture).first)
        #expect(found.severity == .medium && found.evidence.count == 1)
    }

    // MARK: baseline

    /// `days` working days on which `actor` reads `perDay` buyers (13:00-14:00 UTC), from the day
    /// after the clock's start, for `purpose` (by default one their state does not explain).
    func workingDays(_ fixture: BrokerFixture, _ orders: [OrderID], actors: [String], days: Int, purpose: Purpose = unexplained,
                     perDay: (String, Int) -> Int) async {
        for day in 0..<days {
            fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + Double(day + 1) * 86_400 + 13 * 3600))
            for actor in actors {
                for index in 0..<perDay(actor, day) {
                    await read(fixture, orders[(index * 7 + day) % orders.count], actor: actor, purpose: purpose, every: 20)
                }
            }
        }
    }

    @Test func aDayFarAboveTheActorsOwnHistoryIsReported() async throws {
        var rules = DetectionRules()
        rules.disabled = [.bulkRead]  // the big day is paced to stay out of the window rule
        let (quiet, quietOrders) = try await Self.fixture(buyers: 60)
        rules.baselineFloor = 30
        await workingDays(quiet, quietOrders, actors: ["anna"], days: 8, perDay: { _, day in day < 7 ? 8 + day % 3 : 29 })
        #expect(try rule("baseline", quiet, rules).isEmpty)  // 29 is far above 8-10, but under the floor
        let (fixture, orders) = try await Self.fixture(buyers: 60)
        await workingDays(fixture, orders, actors: ["anna"], days: 8, perDay: { _, day in day < 7 ? 8 + day % 3 : 45 })
        let found = try #require(try rule("baseline", fixture, rules).first)
        #expect(found.severity == .medium && found.actor == "anna" && found.explanation.contains("45 buyers"))
        // The same days of explained work (labels of orders awaiting shipment) are no baseline finding.
        let (explained, explainedOrders) = try await Self.fixture(buyers: 60)
        await workingDays(explained, explainedOrders, actors: ["anna"], days: 8, purpose: .shipping, perDay: { _, day in day < 7 ? 8 + day % 3 : 45 })
        #expect(try rule("baseline", explained, rules).isEmpty)
    }

    @Test func aBusySeasonForEveryoneIsNotABaselineFinding() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 60)
        var rules = DetectionRules()
        rules.disabled = [.bulkRead]
        // Two actors; on the last day both read five times their usual.
        await workingDays(fixture, orders, actors: ["anna", "bruno"], days: 9, perDay: { _, day in day < 8 ? 10 : 50 })
        #expect(try rule("baseline", fixture, rules).isEmpty)
    }

    @Test func aDayFarAbovePeersWithTheSameRoleIsReported() async throws {
        var policy = AccessPolicy()
        policy.roles = ["support": .init(name: "support", purposes: ["shipping", "order-messaging"])]
        for actor in ["a", "b", "c", "d"] { policy.actorRoles[actor] = "support" }
        let fixture = try await BrokerFixture.make(policy: policy)
        let orders = try await Self.storeOrders(fixture, count: 50, series: 408)
        let broker = AccessBroker(vault: fixture.vault, policy: policy)
        fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + 13 * 3600))
        for (actor, count) in [("a", 10), ("b", 11), ("c", 9), ("d", 39)] {
            for index in 0..<count {
                fixture.clock.advance(by: 20)
                _ = try? await broker.withAccess(AccessRequest(actor: actor, purpose: Self.unexplained, orderID: orders[index])) { $0.fields.count }
            }
        }
        var rules = DetectionRules()
        rules.disabled = [.bulkRead]
        #expect(try rule("baseline", fixture, rules).isEmpty)  // 39 < 4 x 10
        // Labels of orders awaiting shipment, however many, are not compared with the peers'.
        for index in 0..<50 {
            fixture.clock.advance(by: 20)
            _ = try? await broker.withAccess(AccessRequest(actor: "d", purpose: .shipping, orderID: orders[index])) { $0.fields.count }
        }
        #expect(try rule("baseline", fixture, rules).isEmpty)
        for index in 39..<45 {
            fixture.clock.advance(by: 20)
            _ = try? await broker.withAccess(AccessRequest(actor: "d", purpose: Self.unexplained, orderID: orders[index])) { $0.fields.count }
        }
        let found = try #require(try rule("baseline", fixture, rules).first)
        #expect(found.actor == "d" && found.explanation.contains("other support staff"))
    }

    // MARK: bulk-read: walks and hourly sweeps

    @Test func readingOrdersInIdOrderIsAWalk() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 20)
        let sorted = orders.sorted { $0.rawValue < $1.rawValue }
        for order in sorted.prefix(19) { await read(fixture, order, actor: "script", purpose: Self.unexplained, every: 60) }
        #expect(try rule("bulk-read", fixture).isEmpty)
        // Labels printed in id order are explained work, not a walk.
        let (labels, labelOrders) = try await Self.fixture(buyers: 20)
        for order in labelOrders.sorted(by: { $0.rawValue < $1.rawValue }) { await read(labels, order, actor: "printer", every: 60) }
        #expect(try rule("bulk-read", labels).isEmpty)
        await read(fixture, sorted[19], actor: "script", purpose: Self.unexplained, every: 60)
        let walk = try #require(try rule("bulk-read", fixture).first)
        #expect(walk.severity == .medium && walk.evidence.count == 20 && walk.explanation.contains("order-id order"))
    }

    @Test func anHourAboveTwiceTheUsualDayIsASweep() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 60)
        var rules = DetectionRules()
        rules.sequentialRun = 1000
        // Nine days on which the shop's staff touch 12 orders; then one actor reads 25, then 26, in an hour.
        await workingDays(fixture, orders, actors: ["staff"], days: 9, perDay: { _, _ in 12 })
        fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + 10 * 86_400 + 9 * 3600))
        for order in orders.suffix(25) { await read(fixture, order, actor: "sweeper", purpose: Self.unexplained, every: 140) }
        #expect(try rule("bulk-read", fixture, rules).isEmpty)  // 25 buyers in ~58 minutes, 2-3 per 5 minutes
        let (busy, busyOrders) = try await Self.fixture(buyers: 60)
        await workingDays(busy, busyOrders, actors: ["staff"], days: 9, perDay: { _, _ in 12 })
        busy.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + 10 * 86_400 + 9 * 3600))
        for order in busyOrders.suffix(26) { await read(busy, order, actor: "sweeper", purpose: Self.unexplained, every: 135) }
        let sweep = try #require(try rule("bulk-read", busy, rules).first)
        #expect(sweep.severity == .high && sweep.explanation.contains("in one hour"))
    }

    @Test func aBigShopsWindowThresholdFollowsItsUsualDay() {
        // Fed to a monitor, no database: three days on which a printer works through 2,400
        // orders in 8 hours (25 every 5 minutes), then a fourth.
        var sequence: Int64 = 0
        var previous = AuditEntry.genesisHash
        func entry(_ actor: String, day: Int, second: Double, order: Int) -> AuditEntry {
            sequence += 1
            var entry = AuditEntry(
                sequence: sequence, time: Date(timeIntervalSince1970: 1_793_577_600 + Double(day) * 86_400 + 9 * 3600 + second),
                kind: "access", actor: actor, purpose: "shipping", orderID: String(format: "403-%07d-%07d", order * 7_919 % 9_999_991, order),
                buyer: "buyer-\(order)", fieldsAsked: ["city"], fieldsReleased: ["city"], decision: .granted, channel: "library",
                orderStatus: "delivered", daysSincePurchase: 9, daysSinceDelivery: 5, previousHash: previous, hash: "")
            entry.hash = entry.recomputedHash()  // a chain the monitor accepts
            previous = entry.hash
            return entry
        }
        func sweep(_ monitor: MisuseMonitor, _ actor: String, day: Int, at hour: Double, buyers: Int) -> [Finding] {
            (0..<buyers).flatMap { monitor.observe(entry(actor, day: day, second: hour * 3600 + Double($0), order: 900_000 + day * 1000 + $0)) }
        }
        var rules = DetectionRules()
        rules.sequentialRun = 100_000
        rules.bulkPaceFactor = 3  // off by default; entries nothing explains (read long after delivery)
        let small = MisuseMonitor(rules: rules)
        #expect(sweep(small, "sweeper", day: 0, at: 1, buyers: 60).map(\.rule) == ["bulk-read"])  // no history: 25 is the limit

        let big = MisuseMonitor(rules: rules)
        var found: [Finding] = []
        for day in 0..<3 {
            for index in 0..<2_400 { found += big.observe(entry("printer", day: day, second: Double(index) * 12, order: day * 2_400 + index)) }
        }
        // Day 0 only, as one burst: nothing was known yet, and 25 every 5 minutes meets the rule's 25.
        #expect(found.filter { $0.rule == "bulk-read" }.count == 1)
        #expect(sweep(big, "helper", day: 3, at: 1, buyers: 60).isEmpty)  // under 3 x 25 per 5 minutes
        #expect(sweep(big, "sweeper", day: 3, at: 2, buyers: 80).map(\.rule) == ["bulk-read"])
    }

    @Test func aBulkReadFindingCoversTheWholeBurst() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 80)
        var rules = DetectionRules()
        rules.sequentialRun = 1000
        for order in orders { await read(fixture, order, actor: "exporter", purpose: Self.unexplained, every: 4) }  // 80 buyers in 5 min 20 s
        let found = try rule("bulk-read", fixture, rules)
        #expect(found.count == 1)
        let burst = try #require(found.first)
        #expect(burst.evidence.count == 80, "every read of the burst, not only the first 25: \(burst.evidence.count)")
        #expect(burst.explanation.contains("80 different buyers in 5 minutes"), "\(burst.explanation)")
        #expect(burst.to.timeIntervalSince(burst.from) >= 316)
        // A burst that stops at the threshold keeps the sentence it had.
        let (short, shortOrders) = try await Self.fixture(buyers: 25)
        for order in shortOrders { await read(short, order, actor: "exporter", purpose: Self.unexplained, every: 4) }
        let at = try #require(try rule("bulk-read", short, rules).first)
        #expect(at.explanation.contains("25 different buyers within 5 minutes") && at.evidence.count == 25, "\(at.explanation)")
    }

    // MARK: first-time

    @Test func newActorsChannelsAndFieldsAfterTheLearningDays() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 4)
        await read(fixture, orders[0], actor: "anna")
        fixture.clock.advance(days: 2)
        await read(fixture, orders[1], actor: "bruno")  // new, but still learning
        #expect(try rule("first-time", fixture).isEmpty)
        fixture.clock.advance(days: 6)
        await read(fixture, orders[1], actor: "anna")  // nothing new for anna
        #expect(try rule("first-time", fixture).isEmpty)
        _ = try? await fixture.broker.withAccess(AccessRequest(actor: "anna", purpose: .shipping, orderID: orders[2], channel: .cli)) { $0.fields.count }
        await read(fixture, orders[2], actor: "anna", purpose: .orderMessaging(.orderCompletion))
        await read(fixture, orders[3], actor: "carla")
        let found = try rule("first-time", fixture)
        #expect(found.count == 3 && found.allSatisfy { $0.severity == .low })
        #expect(found.contains { $0.explanation.contains("cli channel") } && found.contains { $0.explanation.contains("buyer-email") }
            && found.contains { $0.actor == "carla" })
    }

    @Test func businessHoursAreTheSellersLocalHours() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 1)
        fixture.clock.set(Date(timeIntervalSince1970: 1_793_577_600 + 86_400 + 6.5 * 3600))  // 06:30 UTC
        await read(fixture, orders[0], actor: "anna")
        #expect(try rule("off-hours", fixture).count == 1)  // 06:30 in London
        var rome = DetectionRules()
        rome.utcOffsetHours = 1
        #expect(try rule("off-hours", fixture, rome).isEmpty)  // 07:30 in Rome
    }

    @Test func refusedRequestsAtNightAreOffHoursToo() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        fixture.clock.advance(by: 13 * 3600)  // 23:00 UTC
        for order in orders { await read(fixture, order, actor: "night-owl", purpose: .prohibited(.marketing)) }
        let found = try #require(try rule("off-hours", fixture).first)
        #expect(found.evidence.count == 2 && found.explanation.contains("refused"), "\(found.explanation)")
    }

    @Test func businessHoursFollowDaylightSavingTimeInANamedTimeZone() async throws {
        let fixture = try await BrokerFixture.make()
        fixture.clock.set(Date(timeIntervalSince1970: 1_806_062_400))  // Friday 26 March 2027, 12:00 UTC
        let orders = try await Self.storeOrders(fixture, count: 2)
        fixture.clock.set(Date(timeIntervalSince1970: 1_806_125_400))  // Saturday 05:30 UTC: 06:30 in Rome (CET)
        await read(fixture, orders[0], actor: "anna", every: 0)
        fixture.clock.set(Date(timeIntervalSince1970: 1_806_298_200))  // Monday 05:30 UTC: 07:30 in Rome (CEST since Sunday)
        await read(fixture, orders[1], actor: "anna", every: 0)
        var fixed = DetectionRules()
        fixed.utcOffsetHours = 1
        #expect(try rule("off-hours", fixture, fixed).count == 2)  // a whole-hour offset misses the change
        var rome = DetectionRules()
        rome.timeZone = TimeZone(identifier: "Europe/Rome")
        let found = try rule("off-hours", fixture, rome)
        #expect(found.count == 1 && found.first?.from == Date(timeIntervalSince1970: 1_806_125_400))
        // Days start at local midnight: 22:00 UTC in summer, 23:00 UTC in winter.
        #expect(AccessActivity.start(ofDay: 21_000, rules: rome) == Date(timeIntervalSince1970: 1_814_392_800))
        #expect(AccessActivity.start(ofDay: 20_759, rules: rome) == Date(timeIntervalSince1970: 1_793_577_600 - 3600))
        #expect(rome.timeZoneName == "Europe/Rome" && fixed.timeZoneName == "UTC+1")
    }

    @Test func aRulesFileNamesItsTimeZone() throws {
        let rules = try DetectionRules(toml: "[off-hours]\ntime-zone = \"Europe/Rome\"\n", file: "rules.toml")
        #expect(rules.timeZone?.identifier == "Europe/Rome")
        #expect(throws: BuyerGuardError.self) { try DetectionRules(toml: "[off-hours]\ntime-zone = \"Europe/Roma\"\n", file: "rules.toml") }
    }

    // MARK: log-integrity

    @Test func aClockStepBackIsCriticalAndJitterIsNot() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 3)
        await read(fixture, orders[0], actor: "anna")
        fixture.clock.advance(by: -4)
        await read(fixture, orders[1], actor: "anna")
        #expect(try rule("log-integrity", fixture).isEmpty)  // within the 5 s tolerance
        fixture.clock.advance(by: -3600)
        await read(fixture, orders[2], actor: "anna")
        await read(fixture, orders[2], actor: "anna")
        let found = try rule("log-integrity", fixture)
        #expect(found.count == 1 && found.first?.severity == .critical && found.first?.explanation.contains("backwards") == true)
    }

    @Test func theLogSignsItselfDailyAndDeletedCheckpointsAreCritical() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        await read(fixture, orders[0], actor: "anna")
        fixture.clock.advance(days: 6)
        await read(fixture, orders[1], actor: "anna")  // a day or more since the last checkpoint: a new one
        let signed = try #require(try fixture.vault.auditLog.newestCheckpoint())
        #expect(signed.entryCount == (try await fixture.vault.auditLog.count()))
        fixture.clock.advance(days: 2)
        await read(fixture, orders[1], actor: "anna")
        #expect(try rule("log-integrity", fixture).isEmpty)

        // Someone deletes the checkpoints (to rewrite the chain unnoticed): a week of entries is unsigned.
        try await fixture.vault.auditLog.database.write { db in try db.execute(sql: "DELETE FROM checkpoints") }
        let unsigned = try #require(try rule("log-integrity", fixture).first)
        #expect(unsigned.severity == .critical && unsigned.explanation.contains("no signed checkpoint"))
        var lenient = DetectionRules()
        lenient.checkpointMaxAgeHours = 24 * 9
        #expect(try rule("log-integrity", fixture, lenient).isEmpty)  // within the allowed age
    }

    // MARK: live monitoring, rules files, state files

    @Test func theMonitorReportsACanaryAsItHappens() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 2)
        var rules = DetectionRules()
        rules.canaryOrders = [orders[1].rawValue]
        let monitor = MisuseMonitor(rules: rules)
        let first = try await fixture.vault.auditLog.append(forTesting: orders[0], actor: "anna")
        #expect(monitor.observe(first).isEmpty)
        let second = try await fixture.vault.auditLog.append(forTesting: orders[1], actor: "anna")
        #expect(monitor.observe(second).map(\.rule) == ["canary"])
        #expect(!monitor.finish().contains { $0.rule == "canary" })  // reported once, when it happened
    }

    @Test func anAppPollingTheLogFeedsTheMonitorEachEntryOnce() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 30)
        let monitor = MisuseMonitor()
        var seen: Int64 = 0
        var alerts: [Finding] = []
        func poll() throws {
            try fixture.vault.auditLog.forEachEntry(matching: AuditFilter(afterSequence: seen)) { entry in
                alerts += monitor.observe(entry)
                seen = entry.sequence
            }
        }
        for (index, order) in orders.enumerated() {
            await read(fixture, order, actor: "sweeper", purpose: Self.unexplained, every: 5)
            if index % 7 == 0 { try poll() }  // now and then, as a timer would
        }
        try poll()
        #expect(seen == (try await fixture.vault.auditLog.count()))
        #expect(alerts.filter { $0.rule == "bulk-read" }.count == 1, "\(alerts.map(\.rule))")
    }

    @Test func rulesFilesSetEveryRuleAndNameTheirMistakes() throws {
        let rules = try DetectionRules(toml: """
            # a shop in Rome
            [bulk-read]
            distinct-buyers = 40
            window-minutes = 10
            hourly-share-of-daily-orders = 1.5
            [email-harvesting]
            message-ratio = 0.25
            [off-hours]
            business-hours = "08-19"
            utc-offset-hours = 1
            [canary]
            orders = ["402-1111111-1111111"]
            [first-time]
            enabled = false
            [unexplained-access]
            slow-share = 0
            seller-wide-share = 0.1
            """, file: "rules.toml")
        #expect(rules.slowShare == 0 && rules.sellerWideShare == 0.1)
        #expect(rules.bulkDistinctBuyers == 40 && rules.bulkWindow == 600 && rules.hourlyShareOfDailyOrders == 1.5)
        #expect(rules.harvestMessageRatio == 0.25 && rules.businessHours == 8..<19 && rules.utcOffsetHours == 1)
        #expect(rules.canaryOrders == ["402-1111111-1111111"] && !rules.isEnabled(.firstTime) && rules.isEnabled(.canary))

        for (text, expected) in [
            ("[bulk-reads]\ndistinct-buyers = 4", "unknown rule [bulk-reads]"),
            ("[bulk-read]\nbuyers = 4", "unknown setting bulk-read.buyers"),
            ("[bulk-read]\ndistinct-buyers = \"many\"", "must be a whole number"),
            ("[off-hours]\nbusiness-hours = \"21-07\"", "business-hours"),
            ("distinct-buyers = 4", "inside a rule's table"),
            ("[probing]\ndenials = -1", "must not be negative"),
        ] {
            let error = #expect(throws: BuyerGuardError.self) { try DetectionRules(toml: text, file: "rules.toml") }
            #expect(error?.code == .malformedInput && error?.description.contains(expected) == true, "\(text): \(String(describing: error))")
        }
    }

    @Test func aScanWhileTheShopKeepsWritingSeesAConsistentLog() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 40)
        for order in orders { await read(fixture, order, actor: "printer", every: 30) }
        let writer = Task {
            for round in 0..<400 { await read(fixture, orders[round % orders.count], actor: "printer-\(round % 4)", every: 30) }
        }
        var scans = 0
        while !writer.isCancelled, scans < 30 {
            let found = try findings(fixture)
            #expect(!found.contains { $0.rule == "log-integrity" }, "\(found.filter { $0.rule == "log-integrity" })")
            scans += 1
        }
        await writer.value
        #expect(try rule("log-integrity", fixture).isEmpty)
    }

    @Test func rulesAtTheirExtremesStillScan() async throws {
        let (fixture, orders) = try await Self.fixture(buyers: 6)
        await workingDays(fixture, orders, actors: ["anna", "bruno"], days: 3, perDay: { _, day in day + 2 })
        await read(fixture, orders[0], actor: "anna", purpose: .prohibited(.marketing))
        await read(fixture, orders[1], actor: "anna", purpose: .customerSupport(caseID: "C-1"))
        var names: [String] = []
        for rule in DetectionRules.Rule.allCases {
            switch rule {
            case .probing: names += ["[probing]", "denials = 0", "window-minutes = 0"]
            case .bulkRead: names += ["[bulk-read]", "distinct-buyers = 0", "window-minutes = 0", "hourly-share-of-daily-orders = 0", "sequential-run = 0"]
            case .baseline: names += ["[baseline]", "days = 0", "minimum-days = 0", "sigmas = 0", "floor = 0", "peer-factor = 0", "peer-minimum = 0"]
            case .unexplainedAccess: names += ["[unexplained-access]", "case-max-buyers = 0", "single-use-cases-per-day = 0", "medium-count = 0"]
            case .staleData: names += ["[stale-data]", "retention-days-after-delivery = 0", "retention-days-without-delivery = 0", "within-days = 0"]
            case .emailHarvesting: names += ["[email-harvesting]", "minimum-emails = 0", "message-ratio = 0"]
            case .firstTime: names += ["[first-time]", "learning-days = 0"]
            default: continue
            }
        }
        let zero = try DetectionRules(toml: names.joined(separator: "\n"), file: "zero.toml")
        #expect(!(try findings(fixture, zero)).isEmpty)
        var off = DetectionRules()
        off.disabled = Set(DetectionRules.Rule.allCases)
        #expect(try findings(fixture, off).isEmpty)  // integrity problems would still show; there are none
    }

    @Test func aStateFileReportsEachFindingOnce() throws {
        let finding = Finding(rule: "bulk-read", severity: .high, actor: "x", from: Date(timeIntervalSince1970: 1000), to: Date(timeIntervalSince1970: 2000),
                              evidence: Evidence(sequences: [7], count: 1, orders: []), explanation: "x")
        var integrity = finding
        integrity.rule = "log-integrity"
        let folder = try TemporaryFolder()
        let url = folder.path("scan-state.json")
        var state = try ReportedFindings(contentsOf: url)  // missing: the first run
        #expect(state.takeNew([finding, integrity], now: Date()).count == 2)
        try state.write(to: url)
        var again = try ReportedFindings(contentsOf: url)
        #expect(again.takeNew([finding, integrity], now: Date()).map(\.rule) == ["log-integrity"])
        try Data("{not json".utf8).write(to: url)
        #expect(throws: BuyerGuardError.self) { try ReportedFindings(contentsOf: url) }
    }
}

/// A transport that delivers nowhere.
final class SilentTransport: MessageTransport {
    func deliver(to: String, subject: String, body: String, order: OrderID) async throws {}
}

extension AuditLog {
    /// One granted shipping read, as the broker writes it, for the monitor test.
    func append(forTesting order: OrderID, actor: String) async throws -> AuditEntry {
        try await append(AuditDraft(actor: actor, purpose: "shipping", orderID: order.rawValue, buyer: "b-\(order)",
                                    fieldsReleased: ["city"], decision: .granted, channel: "library"))
    }
}
