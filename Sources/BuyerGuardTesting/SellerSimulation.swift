public import BuyerGuard
public import Foundation

/// Weeks of a seller's work with buyer data, day by day, with misuse planted in it: for testing
/// detection rules (precision and recall) and for benchmarks.
///
/// The seller has roles as small shops do: a label printer service and warehouse staff
/// (shipping), three support agents (a fourth joins on ``Configuration/newHireDay``; order
/// messages and support cases), an owner and a carrier feed. Orders arrive through the day and
/// are imported twice a day; labels are printed the next morning, parcels ship, arrive two to four
/// days later; some are delayed, cancelled, returned or refunded; some buyers open support cases.
/// Weekends bring fewer orders and nobody works on Sunday: Monday catches up. The log is
/// checkpointed every night. Holiday days bring five times the orders. Everything is seeded: the
/// same configuration gives the same steps.
///
/// The simulation only says what happens; ``SellerSimulation/Step`` values are carried out by a
/// runner (the tests drive the real broker; benchmarks write synthetic entries).
public struct SellerSimulation: Sendable {
    /// The kinds of misuse it can plant.
    public enum Scenario: String, Sendable, CaseIterable, Codable {
        /// A support agent reads hundreds of buyer emails in minutes from the command line, one evening.
        case fastExport = "fast-export"
        /// A support agent reads a few buyer emails an hour for a working week, under every burst threshold.
        case slowExport = "slow-export"
        /// A support agent browses a dozen buyers a day under made-up support case ids.
        case curiousEmployee = "curious-employee"
        /// The label printer's credentials, used at night to pull every order's address in id order.
        case compromisedService = "compromised-service"
        /// Someone tries marketing, export and made-up purposes to see what the broker allows.
        case probing
        /// A temporary helper reads two canary orders.
        case canaryRead = "canary-read"
        /// Mid-size shop: three support accounts each read about a dozen delivered buyers' emails a
        /// day for three weeks, under plausible case ids nobody opened.
        case splitExport = "split-export"
        /// Mid-size shop: the mailer service reads delivered buyers' emails under message kinds
        /// their orders' state does not call for, between its real messages.
        case disguisedExport = "disguised-export"
        /// Mid-size shop: a warehouse worker in their last week reads addresses of delivered
        /// orders and of waiting orders the label printer handles.
        case departingEmployee = "departing-employee"
        /// Mid-size shop: the label printer's credentials used at night for the last week's orders.
        case nightService = "night-service"
        /// Mid-size shop: the owner reads two or three old buyers a day for six weeks under the
        /// ids of other orders' closed cases.
        case ownerBrowsing = "owner-browsing"
        /// Mid-size shop: a canary read in the last week by a support agent.
        case lateCanary = "late-canary"
    }

    /// What to simulate.
    public struct Configuration: Sendable {
        /// Seed of the random choices.
        public var seed: UInt64 = 1
        /// Midnight UTC of the first day.
        public var start = Date(timeIntervalSince1970: 1_790_812_800)  // 2026-10-01
        /// Days to simulate.
        public var days = 42
        /// Orders on an ordinary day.
        public var ordersPerDay = 150
        /// Days (from 0) with five times the orders.
        public var holidays: Set<Int> = [29, 30, 31]
        /// Misuse to plant: each at its day (from 0; day 3 or later).
        public var plants: [(scenario: Scenario, day: Int)] = [
            (.probing, 9), (.canaryRead, 12), (.slowExport, 15), (.curiousEmployee, 19), (.fastExport, 23),
            (.compromisedService, 26), (.probing, 33), (.canaryRead, 34), (.slowExport, 35), (.curiousEmployee, 36),
            (.fastExport, 38), (.compromisedService, 40),
        ]
        /// Canary orders planted on day 0.
        public var canaries = 5
        /// The day a fourth support agent, `support-4`, starts (nil: never).
        public var newHireDay: Int? = 20
        /// The mid-size shop's shape (``SellerSimulation/midSize(seed:shape:)``); `nil`: the small
        /// shop described above.
        public var shape: MidSizeShape?

        /// The defaults: six weeks of a shop with 150 orders a day, a holiday peak, every scenario twice.
        public init() {}
    }

    /// One thing that happens.
    public enum Step: Sendable {
        /// Orders arrive in an order report.
        case importOrders([MarketplaceOrder])
        /// An order event (shipped, delivered, ...), by `actor`.
        case orderEvent(OrderID, OrderEvent, actor: String)
        /// A request to the broker.
        case access(AccessRequest)
        /// An order message or support reply sent through the broker (one email read, then the message).
        case message(actor: String, order: OrderID, purpose: Purpose)
        /// A support case opened (the buyer's message arrived), assigned or closed, by `actor`.
        case supportCase(SupportCaseEvent, caseID: String, order: OrderID, actor: String)
        /// The nightly `audit checkpoint`.
        case checkpoint
    }

    /// A step, when it happens, and the planted misuse it belongs to (nil for legitimate work).
    public struct TimedStep: Sendable {
        /// When.
        public var time: Date
        /// What.
        public var step: Step
        /// The misuse it is part of, if any.
        public var scenario: Scenario?
    }

    /// Where and when a scenario was planted: the truth detection is measured against.
    public struct Plant: Sendable, Equatable {
        /// Which misuse.
        public var scenario: Scenario
        /// Who did it.
        public var actor: String
        /// Its first step.
        public var from: Date
        /// Its last step.
        public var to: Date
    }

    /// The configuration.
    public let configuration: Configuration

    /// A simulation of `configuration`.
    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The access policy the simulated shop runs with: roles for its staff and services.
    public static var policy: AccessPolicy {
        var policy = AccessPolicy()
        policy.roles = [
            "warehouse": .init(name: "warehouse", purposes: ["shipping"]),
            "support": .init(name: "support", purposes: ["order-messaging", "customer-support"]),
        ]
        policy.roles["mailer"] = .init(name: "mailer", purposes: ["order-messaging"])
        for actor in ["label-printer", "warehouse-1", "warehouse-2", "warehouse-3", "warehouse-s1", "warehouse-s2", "warehouse-s3"] {
            policy.actorRoles[actor] = "warehouse"
        }
        for actor in ["support-1", "support-2", "support-3", "support-4", "support-5", "support-6", "support-s1", "support-s2", "support-s3"] {
            policy.actorRoles[actor] = "support"
        }
        policy.actorRoles["mailer"] = "mailer"
        return policy
    }

    /// Calls `body` with each day's steps, in time order, and returns the plants.
    @discardableResult
    public func run(_ body: (_ day: Int, _ steps: [TimedStep]) async throws -> Void) async rethrows -> [Plant] {
        if let shape = configuration.shape {
            var world = MidSizeWorld(configuration: configuration, shape: shape)
            for day in 0..<configuration.days {
                try await body(day, world.day(day))
            }
            return world.base.plants
        }
        var world = World(configuration: configuration)
        for day in 0..<configuration.days {
            try await body(day, world.day(day))
        }
        return world.plants
    }

    /// The canary orders planted on day 0 (the same ids every run of a configuration).
    public var canaryOrders: [OrderID] {
        var world = World(configuration: configuration)
        return world.makeCanaries().map(\.id)
    }
}

/// SplitMix64: a small, fast, seedable random number generator, so that a simulation (or any
/// test data) is the same on every run. Not for anything secret.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// A generator whose numbers follow from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulated shop's state: its orders and what is scheduled for later days.
struct World {
    let configuration: SellerSimulation.Configuration
    var random: SeededGenerator
    var plants: [SellerSimulation.Plant] = []
    /// Orders by day of purchase, for legitimate follow-ups and for the misuse that picks buyers.
    var ordersByDay: [Int: [OrderID]] = [:]
    var scheduled: [Int: [SellerSimulation.TimedStep]] = [:]
    var canaries: [MarketplaceOrder] = []
    var caseNumber = 10_000
    /// Labels already scheduled per day: the printer prints one every 20 seconds from 09:00.
    var labels: [Int: Int] = [:]

    init(configuration: SellerSimulation.Configuration) {
        self.configuration = configuration
        random = SeededGenerator(seed: configuration.seed)
    }

    func time(_ day: Int, _ hour: Double) -> Date {
        configuration.start.addingTimeInterval(TimeInterval(day) * 86_400 + hour * 3600)
    }

    /// 0 for Monday ... 6 for Sunday.
    func weekday(_ day: Int) -> Int { (Int(configuration.start.timeIntervalSince1970 / 86_400) + day + 3) % 7 }

    /// The shop is closed on Sunday: work planned for it moves to Monday.
    func workday(_ day: Int) -> Int { weekday(day) == 6 ? day + 1 : day }

    /// A support agent for work on `day`.
    mutating func agent(on day: Int) -> String {
        let agents = configuration.newHireDay.map { day >= $0 ? 4 : 3 } ?? 3
        return "support-\(Int.random(in: 1...agents, using: &random))"
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }

    mutating func orderID() -> OrderID {
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) }) }
        return try! OrderID("40\(Int.random(in: 2...8, using: &random))-\(digits(7))-\(digits(7))")
    }

    mutating func order(purchased: Date) -> MarketplaceOrder {
        let id = orderID()
        let names = ["Giulia Bianchi", "Marco Rossi", "Sara Conti", "Luca Greco", "Elena Ricci", "Paolo Gallo", "Anna Marino"]
        var contact = BuyerContact()
        let name = names.randomElement(using: &random)!
        contact[.buyerEmail] = "\(UInt32.random(in: 0...UInt32.max, using: &random))x@marketplace.amazon.it"
        contact[.buyerName] = name
        contact[.recipientName] = name
        contact[.addressLine1] = "Via Roma \(Int.random(in: 1...200, using: &random))"
        contact[.city] = "Milano"
        contact[.postalCode] = "20121"
        contact[.countryCode] = "IT"
        contact[.shipPhone] = "+39 333 \(Int.random(in: 1_000_000...9_999_999, using: &random))"
        return MarketplaceOrder(id: id, marketplace: "Amazon.it", purchaseDate: purchased, status: .unshipped,
                                items: [OrderItem(orderItemID: "1", sku: "SKU-1", quantity: 1)], contact: contact)
    }

    mutating func makeCanaries() -> [MarketplaceOrder] {
        if canaries.isEmpty {
            var generator = SeededGenerator(seed: configuration.seed ^ 0xCA4A_21E5)
            canaries = (0..<configuration.canaries).map { _ in
                var order = try! Vault.decoyOrder(using: &generator, now: configuration.start)
                order.purchaseDate = configuration.start.addingTimeInterval(-3 * 86_400)
                return order
            }
        }
        return canaries
    }

    mutating func schedule(_ day: Int, _ hour: Double, _ step: SellerSimulation.Step, _ scenario: SellerSimulation.Scenario? = nil) {
        guard day < configuration.days else { return }
        scheduled[day, default: []].append(.init(time: time(day, hour), step: step, scenario: scenario))
    }

    mutating func hour(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }

    mutating func day(_ day: Int) -> [SellerSimulation.TimedStep] {
        if day == 0 { schedule(0, 7.5, .importOrders(makeCanaries())) }
        var count = configuration.ordersPerDay * (configuration.holidays.contains(day) ? 5 : 1)
        if weekday(day) >= 5 { count = count * 7 / 10 }
        var morning: [MarketplaceOrder] = []
        var afternoon: [MarketplaceOrder] = []
        var today: [OrderID] = []
        for _ in 0..<count {
            // The 08:00 import brings the night's purchases, the 13:00 one the morning's.
            let purchaseHour = hour(0...12.9)
            let order = order(purchased: time(day, purchaseHour))
            if purchaseHour < 8 { morning.append(order) } else { afternoon.append(order) }
            today.append(order.id)
            lifecycle(of: order.id, importedOn: day)
        }
        ordersByDay[day] = today
        ordersByDay[day - 30] = nil  // nothing looks further back: memory stays flat over long runs
        schedule(day, 8, .importOrders(morning))
        schedule(day, 13, .importOrders(afternoon))
        schedule(day, 23.5, .checkpoint)
        ownerWork(day)
        for plant in configuration.plants where plant.day == day { plantScenario(plant.scenario, day: day) }
        let steps = (scheduled.removeValue(forKey: day) ?? []).enumerated().sorted {
            ($0.element.time, $0.offset) < ($1.element.time, $1.offset)
        }.map(\.element)
        return steps
    }

    /// Everything legitimate that happens to one order after it is imported.
    mutating func lifecycle(of order: OrderID, importedOn day: Int) {
        let nextDay = workday(day + 1)
        if chance(0.01) {  // out of stock: the buyer is told, the order cancelled
            let agent = agent(on: nextDay)
            schedule(nextDay, hour(9...12), .message(actor: agent, order: order, purpose: .orderMessaging(.orderUnavailable)))
            schedule(nextDay, 12.5, .orderEvent(order, .cancelled(at: time(nextDay, 12.5), reason: "NoInventory"), actor: agent))
            return
        }
        var shipDay = nextDay
        if chance(0.05) {  // delayed: the buyer is told, it ships two days later
            schedule(nextDay, hour(9...17), .message(actor: agent(on: nextDay), order: order, purpose: .orderMessaging(.shipmentDelay)))
            shipDay = workday(shipDay + 2)
        }
        // Labels are printed from 09:00, one every 20 s (faster in a big shop: its printers can do an
        // ordinary day in 8 hours); what does not fit by 20:30 waits for the next working day.
        let pace = min(20, 8 * 3600 / (Double(configuration.ordersPerDay) * 1.2))
        while 9 + Double(labels[shipDay, default: 0]) * pace / 3600 > 20.5 { shipDay = workday(shipDay + 1) }
        let label = 9 + Double(labels[shipDay, default: 0]) * pace / 3600
        labels[shipDay, default: 0] += 1
        schedule(shipDay, label, .access(AccessRequest(actor: "label-printer", purpose: .shipping, orderID: order)))
        let packer = "warehouse-\(Int.random(in: 1...2, using: &random))"
        let shipped = max(17.8, label + 0.1)
        schedule(shipDay, shipped, .orderEvent(order, .shipped(at: time(shipDay, shipped), carrier: "BRT", trackingNumber: nil), actor: packer))
        let deliveryDay = workday(shipDay + Int.random(in: 2...4, using: &random))
        schedule(deliveryDay, 20, .orderEvent(order, .delivered(at: time(deliveryDay, 19)), actor: "carrier-feed"))
        if chance(0.04) {  // a support case, maybe with a second look the next working day
            caseNumber += 1
            let caseID = "C-\(caseNumber)"
            let caseDay = workday(deliveryDay + Int.random(in: -1...6, using: &random))
            let agent = agent(on: caseDay)
            schedule(caseDay, hour(9...17), .message(actor: agent, order: order, purpose: .customerSupport(caseID: caseID)))
            if chance(0.4) {
                let again = workday(caseDay + 1)
                schedule(again, hour(9...17), .access(AccessRequest(actor: agent, purpose: .customerSupport(caseID: caseID), orderID: order)))
            }
        } else if chance(0.04) {  // returned, refunded, and the buyer told each time
            let returnDay = workday(deliveryDay + Int.random(in: 4...12, using: &random))
            let refundDay = workday(returnDay + 1)
            let agent = agent(on: returnDay)
            schedule(returnDay, 11, .orderEvent(order, .returned(at: time(returnDay, 11)), actor: agent))
            schedule(returnDay, hour(11.2...16), .message(actor: agent, order: order, purpose: .orderMessaging(.returnConfirmation)))
            schedule(refundDay, 10, .orderEvent(order, .refunded(at: time(refundDay, 10), reason: "CustomerReturn"), actor: agent))
            schedule(refundDay, hour(10.2...16), .message(actor: agent, order: order, purpose: .orderMessaging(.refundConfirmation)))
        }
    }

    /// The owner looks at a few orders most days (a complaint, a check before a refund).
    mutating func ownerWork(_ day: Int) {
        guard day > 2 else { return }
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            guard let order = ordersByDay[day - Int.random(in: 1...2, using: &random), default: []].randomElement(using: &random) else { continue }
            schedule(day, hour(9...19), .access(AccessRequest(actor: "owner", purpose: .shipping, orderID: order)))
        }
    }

    /// Recent orders, most recent first (the misuse picks its buyers from these).
    func recentOrders(before day: Int, days: Int) -> [OrderID] {
        (max(0, day - days)..<day).reversed().flatMap { ordersByDay[$0, default: []] }
    }

    mutating func plantScenario(_ scenario: SellerSimulation.Scenario, day: Int) {
        precondition(day >= 3, "plant misuse from day 3 on: it needs orders to pick from")
        var steps: [(Int, Double, SellerSimulation.Step)] = []
        let actor: String
        switch scenario {
        case .fastExport:
            actor = "support-2"
            for (index, order) in recentOrders(before: day, days: 10).prefix(400).enumerated() {
                steps.append((day, 19.5 + Double(index) * 1.8 / 3600, .access(AccessRequest(
                    actor: actor, purpose: .orderMessaging(.orderCompletion), orderID: order, fields: .exactly([.buyerEmail]), channel: .cli))))
            }
        case .slowExport:
            actor = "support-3"
            for offset in 0..<5 {
                var pool = recentOrders(before: day, days: 20).shuffled(using: &random)
                for workHour in 9..<18 {
                    for _ in 0..<3 {
                        steps.append((day + offset, Double(workHour) + hour(0...0.95), .access(AccessRequest(
                            actor: actor, purpose: .orderMessaging(.shipmentDelay), orderID: pool.removeLast(), fields: .exactly([.buyerEmail])))))
                    }
                }
            }
        case .curiousEmployee:
            actor = "support-1"
            for offset in 0..<3 {
                let pool = recentOrders(before: day, days: 25)
                for _ in 0..<12 {
                    caseNumber += 1
                    steps.append((day + offset, hour(9...17.5), .access(AccessRequest(
                        actor: actor, purpose: .customerSupport(caseID: "C-\(caseNumber + 50_000)"), orderID: pool.randomElement(using: &random)!))))
                }
            }
        case .compromisedService:
            actor = "label-printer"
            let orders = recentOrders(before: day, days: 14).sorted { $0.rawValue < $1.rawValue }.prefix(300)
            for (index, order) in orders.enumerated() {
                steps.append((day, 2.1 + Double(index) * 0.8 / 3600, .access(AccessRequest(actor: actor, purpose: .shipping, orderID: order, channel: .cli))))
            }
            for (index, order) in orders.prefix(12).enumerated() {
                steps.append((day, 2.2 + Double(index) * 10 / 3600, .access(AccessRequest(
                    actor: actor, purpose: .orderMessaging(.orderCompletion), orderID: order, channel: .cli))))
            }
        case .probing:
            actor = "intern-\(day)"
            let order = recentOrders(before: day, days: 3).randomElement(using: &random)!
            let purposes = ["marketing", "export", "analytics", "newsletter", "review-request", "crm-sync", "promotion", "third-party"]
            for index in 0..<14 {
                steps.append((day, 15 + Double(index) * 25 / 3600, .access(AccessRequest(
                    actor: actor, purpose: Purpose(parsing: purposes[index % purposes.count]), orderID: order))))
            }
        case .canaryRead:
            actor = "temp-helper-\(day)"
            for canary in makeCanaries().prefix(2) {
                steps.append((day, hour(10...16), .access(AccessRequest(actor: actor, purpose: .shipping, orderID: canary.id))))
            }
        case .splitExport, .disguisedExport, .departingEmployee, .nightService, .ownerBrowsing, .lateCanary:
            preconditionFailure("\(scenario.rawValue) plays in the mid-size shop (SellerSimulation.midSize) only")
        }
        for (stepDay, at, step) in steps { schedule(stepDay, at, step, scenario) }
        let times = steps.map { time($0.0, $0.1) }
        plants.append(.init(scenario: scenario, actor: actor, from: times.min()!, to: times.max()!))
    }
}
