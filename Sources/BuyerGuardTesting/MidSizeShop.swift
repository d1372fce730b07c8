import BuyerGuard
public import Foundation

extension SellerSimulation {
    /// The shape of a mid-size shop (``Configuration/midSize``): an Italian seller with a few
    /// hundred orders a day, a label printer that works through the waiting orders in morning and
    /// afternoon batches, warehouse staff, support agents who handle the cases buyers open, a
    /// mailer service for order messages, an owner, and seasonal hires through a peak.
    public struct MidSizeShape: Sendable {
        /// The seller's time zone: hours below are local.
        public var timeZone = TimeZone(identifier: "Europe/Rome")!
        /// Orders on an ordinary weekday at the start; they grow linearly by ``growth`` to the end.
        public var ordersPerDay = 300
        /// How much ordinary days grow over the run (0.5: half as many again at the end).
        public var growth = 0.5
        /// The peak (Black Friday to Cyber week): its first day and length, and its factor.
        public var peakStart = 38
        /// See ``peakStart``.
        public var peakDays = 10
        /// See ``peakStart``.
        public var peakFactor = 4.0
        /// Days (from 0) the shop is closed besides Sundays (national holidays): orders still
        /// arrive, the work waits.
        public var closedDays: Set<Int> = [50, 67, 68]
        /// Warehouse staff (`warehouse-1`...) and support agents (`support-1`...).
        public var warehouseStaff = 3
        /// See ``warehouseStaff``.
        public var supportAgents = 4
        /// Seasonal hires (`warehouse-s1`..., `support-s1`...), at full volume from their first
        /// day: from a few days before the peak to a week after it.
        public var seasonalWarehouse = 2
        /// See ``seasonalWarehouse``.
        public var seasonalSupport = 2
        /// Share of orders whose buyer opens a support case.
        public var caseShare = 0.06
        /// Share of buyers who bought before (the same email, another order).
        public var returningShare = 0.2
        /// When the morning and the afternoon label batches start (local hours), and how many
        /// seconds a label takes.
        public var batchHours = (morning: 7.75, afternoon: 16.5)
        /// See ``batchHours``.
        public var secondsPerLabel = 1.5

        /// The defaults: ten weeks from Monday 19 October 2026, Black Friday on day 39.
        public init() {}
    }

    /// Ten weeks of the mid-size shop, with the abuse families of a real one planted (see
    /// ``Scenario``): three support accounts splitting an export, a mailer disguising one, a
    /// departing employee, a service used at night, the owner browsing old buyers for six weeks,
    /// and a canary touched late.
    public static func midSize(seed: UInt64 = 11, shape: MidSizeShape = MidSizeShape()) -> Configuration {
        var configuration = Configuration()
        configuration.seed = seed
        configuration.start = Date(timeIntervalSince1970: 1_792_360_800)  // 2026-10-19 00:00 in Rome (22:00 UTC the day before)
        configuration.days = 70
        configuration.ordersPerDay = shape.ordersPerDay
        configuration.holidays = []
        configuration.newHireDay = nil
        configuration.shape = shape
        configuration.plants = [
            (.ownerBrowsing, 12), (.splitExport, 20), (.disguisedExport, 30), (.nightService, 44),
            (.departingEmployee, 55), (.lateCanary, 66),
        ]
        return configuration
    }
}

/// The mid-size shop's days: what ``World`` is for the small one.
struct MidSizeWorld {
    var base: World
    let shape: SellerSimulation.MidSizeShape
    private var calendar: Calendar
    /// Orders waiting for a label, in arrival order, with the day and local hour they may be labelled from.
    private var awaiting: [(order: OrderID, day: Int, hour: Double)] = []
    /// Delivered orders by delivery day (the misuse picks from these).
    private var deliveredOn: [Int: [OrderID]] = [:]
    /// Closed cases and their order (the owner's reused ids).
    private var closedCases: [(caseID: String, order: OrderID)] = []
    private var buyers: [BuyerContact] = []

    init(configuration: SellerSimulation.Configuration, shape: SellerSimulation.MidSizeShape) {
        base = World(configuration: configuration)
        self.shape = shape
        calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = shape.timeZone
    }

    var configuration: SellerSimulation.Configuration { base.configuration }

    /// Local `hour` of `day` (daylight saving time included).
    func time(_ day: Int, _ hour: Double) -> Date {
        let midnight = calendar.date(byAdding: .day, value: day, to: configuration.start)!
        // Wall-clock hours: on the days the clocks change, 07:45 is still 07:45.
        let naive = midnight.addingTimeInterval(hour * 3600)
        let shift = shape.timeZone.secondsFromGMT(for: midnight) - shape.timeZone.secondsFromGMT(for: naive)
        return naive.addingTimeInterval(TimeInterval(shift))
    }

    func closed(_ day: Int) -> Bool { base.weekday(day) == 6 || shape.closedDays.contains(day) }

    func workday(_ day: Int) -> Int {
        var day = day
        while closed(day) { day += 1 }
        return day
    }

    func inPeak(_ day: Int) -> Bool { day >= shape.peakStart && day < shape.peakStart + shape.peakDays }

    /// Seasonal hires work from 3 days before the peak to 7 days after it.
    func seasonal(_ day: Int) -> Bool { day >= shape.peakStart - 3 && day < shape.peakStart + shape.peakDays + 7 }

    mutating func pick(_ prefix: String, staff: Int, seasonal count: Int, on day: Int) -> String {
        let all = (1...staff).map { "\(prefix)-\($0)" } + (seasonal(day) ? (0..<count).map { "\(prefix)-s\($0 + 1)" } : [])
        return all.randomElement(using: &base.random)!
    }

    mutating func agent(on day: Int) -> String { pick("support", staff: shape.supportAgents, seasonal: shape.seasonalSupport, on: day) }
    mutating func packer(on day: Int) -> String { pick("warehouse", staff: shape.warehouseStaff, seasonal: shape.seasonalWarehouse, on: day) }

    mutating func schedule(_ day: Int, _ hour: Double, _ step: SellerSimulation.Step, _ scenario: SellerSimulation.Scenario? = nil) {
        guard day < configuration.days else { return }
        base.scheduled[day, default: []].append(.init(time: time(day, hour), step: step, scenario: scenario))
    }

    mutating func hour(_ range: ClosedRange<Double>) -> Double { base.hour(range) }
    mutating func chance(_ probability: Double) -> Bool { base.chance(probability) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &base.random) }

    mutating func day(_ day: Int) -> [SellerSimulation.TimedStep] {
        if day == 0 { schedule(0, 7, .importOrders(base.makeCanaries())) }
        var count = Double(shape.ordersPerDay) * (1 + shape.growth * Double(day) / Double(max(1, configuration.days)))
        if base.weekday(day) == 5 { count *= 0.8 }
        if base.weekday(day) == 6 { count *= 0.7 }
        if inPeak(day) { count *= shape.peakFactor }
        // Imports at 07:30 (the night's and the evening's purchases) and 13:00 (the morning's).
        var morning: [MarketplaceOrder] = []
        var afternoon: [MarketplaceOrder] = []
        for _ in 0..<Int(count) {
            let purchaseHour = hour(-10.9...12.9)  // from 13:00 the day before
            var order = base.order(purchased: time(day, purchaseHour))
            if !buyers.isEmpty, chance(shape.returningShare) {
                let earlier = buyers[int(0...(buyers.count - 1))]
                order.contact[.buyerEmail] = earlier[.buyerEmail]
                order.contact[.buyerName] = earlier[.buyerName]
            } else {
                buyers.append(order.contact)
                if buyers.count > 5_000 { buyers.removeFirst(1_000) }
            }
            if purchaseHour < 7.5 { morning.append(order) } else { afternoon.append(order) }
            lifecycle(of: order.id, importedOn: day, afternoon: purchaseHour >= 7.5)
        }
        base.ordersByDay[day] = (morning + afternoon).map(\.id)
        base.ordersByDay[day - 40] = nil
        deliveredOn[day - 40] = nil
        schedule(day, 7.5, .importOrders(morning))
        schedule(day, 13, .importOrders(afternoon))
        schedule(day, 23.8, .checkpoint)
        if !closed(day) { labelBatches(day) }
        ownerWork(day)
        for plant in configuration.plants where plant.day == day { plantScenario(plant.scenario, day: day) }
        return (base.scheduled.removeValue(forKey: day) ?? []).enumerated().sorted {
            ($0.element.time, $0.offset) < ($1.element.time, $1.offset)
        }.map(\.element)
    }

    /// What happens to an order besides its label: decided on import, scheduled for later days.
    mutating func lifecycle(of order: OrderID, importedOn day: Int, afternoon: Bool) {
        if chance(0.01) {  // out of stock: the mailer tells the buyer, the feed cancels
            let at = workday(day + 1)
            schedule(at, hour(7.2...7.6), .message(actor: "mailer", order: order, purpose: .orderMessaging(.orderUnavailable)))
            schedule(at, 7.7, .orderEvent(order, .cancelled(at: time(at, 7.7), reason: "NoInventory"), actor: "order-sync"))
            return
        }
        if chance(0.05) {  // delayed: the buyer is told the next morning, it is labelled two working days later
            let at = workday(day + 1)
            schedule(at, hour(7.0...7.6), .message(actor: "mailer", order: order, purpose: .orderMessaging(.shipmentDelay)))
            awaiting.append((order, workday(at + 2), 0))
            return
        }
        // A morning import goes into the morning batch, an afternoon one into the afternoon's.
        awaiting.append((order, day, afternoon ? 13 : 7.5))
    }

    /// The morning and afternoon batches: the label printer reads every waiting order it can
    /// print that day, a label each ``MidSizeShape/secondsPerLabel``; the warehouse ships them in
    /// the evening and reprints a few. What does not fit waits for the next working day.
    mutating func labelBatches(_ day: Int) {
        let capacity = Int(Double(shape.ordersPerDay) * shape.peakFactor * 1.1)
        var printed = 0
        for start in [shape.batchHours.morning, shape.batchHours.afternoon] {
            var label = 0
            var kept: [(order: OrderID, day: Int, hour: Double)] = []
            for waiting in awaiting {
                let ready = waiting.day < day || (waiting.day == day && waiting.hour < start)
                guard ready, printed < capacity else {
                    kept.append(waiting)
                    continue
                }
                shipped(waiting.order, labelledOn: day, at: start + Double(label) * shape.secondsPerLabel / 3600)
                label += 1
                printed += 1
            }
            awaiting = kept
        }
    }

    mutating func shipped(_ order: OrderID, labelledOn day: Int, at hour: Double) {
        schedule(day, hour, .access(AccessRequest(actor: "label-printer", purpose: .shipping, orderID: order)))
        let packer = packer(on: day)
        let shipAt = max(hour + 0.2, self.hour(17.0...19.5))
        schedule(day, shipAt, .orderEvent(order, .shipped(at: time(day, shipAt), carrier: "BRT", trackingNumber: nil), actor: packer))
        if chance(0.02) {  // a label reprinted: damaged, wrong box
            schedule(day, min(shipAt - 0.05, max(hour + 0.1, self.hour(9...17))), .access(AccessRequest(actor: packer, purpose: .shipping, orderID: order)))
        }
        let delivery = day + int(1...4)
        let deliveredAt = self.hour(10...19)
        schedule(delivery, 20.5, .orderEvent(order, .delivered(at: time(delivery, deliveredAt)), actor: "carrier-feed"))
        deliveredOn[delivery, default: []].append(order)
        if chance(shape.caseShare) {
            supportCase(order, delivered: delivery)
        } else if chance(0.04) {  // returned, refunded; the mailer confirms each
            let returned = workday(delivery + int(4...12))
            let refunded = workday(returned + 1)
            schedule(returned, 9.5, .orderEvent(order, .returned(at: time(returned, 9.5)), actor: "returns-feed"))
            schedule(returned, self.hour(10...12), .message(actor: "mailer", order: order, purpose: .orderMessaging(.returnConfirmation)))
            schedule(refunded, 9.5, .orderEvent(order, .refunded(at: time(refunded, 9.5), reason: "CustomerReturn"), actor: "returns-feed"))
            schedule(refunded, self.hour(10...12), .message(actor: "mailer", order: order, purpose: .orderMessaging(.refundConfirmation)))
        }
    }

    /// A buyer's case: opened when their message arrives, assigned to an agent, read over a few
    /// working days with about one reply per three reads, closed; now and then read once more
    /// after it closed (a buyer writing again before the case reopens: unexplained, and legitimate).
    mutating func supportCase(_ order: OrderID, delivered: Int) {
        base.caseNumber += 1
        let caseID = "C-\(base.caseNumber)"
        let openDay = delivered + int(0...8)
        let openHour = hour(7...22)
        schedule(openDay, openHour, .supportCase(.opened(at: time(openDay, openHour)), caseID: caseID, order: order, actor: "marketplace-feed"))
        var day = workday(openHour > 17 ? openDay + 1 : openDay)
        let agent = agent(on: day)
        var at = max(9, openHour > 17 ? 9 : openHour + 0.2)
        schedule(day, at, .supportCase(.assigned(to: agent), caseID: caseID, order: order, actor: agent))
        let reads = int(2...4)
        for index in 0..<reads {
            at = min(at + hour(0.1...2), 18.9)
            schedule(day, at, .access(AccessRequest(actor: agent, purpose: .customerSupport(caseID: caseID), orderID: order)))
            if index == 0 || (index == reads - 1 && chance(0.5)) {
                schedule(day, min(at + 0.05, 18.95), .message(actor: agent, order: order, purpose: .customerSupport(caseID: caseID)))
            }
            if chance(0.5) {
                day = workday(day + 1)
                at = hour(9...12)
            }
        }
        let closeDay = workday(day + int(1...2))
        schedule(closeDay, 18.99, .supportCase(.closed(at: time(closeDay, 18.99)), caseID: caseID, order: order, actor: agent))
        if chance(0.05) {
            let again = workday(closeDay + int(1...3))
            schedule(again, hour(9...18), .access(AccessRequest(actor: agent, purpose: .customerSupport(caseID: caseID), orderID: order)))
        } else {
            closedCases.append((caseID, order))
            if closedCases.count > 400 { closedCases.removeFirst(100) }
        }
    }

    /// The owner checks a few orders on most days (before a refund, a complaint on the phone),
    /// and now and then an old one.
    mutating func ownerWork(_ day: Int) {
        guard day > 2, !closed(day) else { return }
        for _ in 0..<int(0...4) {
            guard let order = base.ordersByDay[day - int(0...1), default: []].randomElement(using: &base.random) else { continue }
            schedule(day, hour(9...19), .access(AccessRequest(actor: "owner", purpose: .shipping, orderID: order)))
        }
        if chance(0.1), let order = deliveredOn[day - int(8...20), default: []].randomElement(using: &base.random) {
            schedule(day, hour(9...19), .access(AccessRequest(actor: "owner", purpose: .shipping, orderID: order)))
        }
    }

    /// Delivered orders between `days.lowerBound` and `days.upperBound` days before `day`.
    func delivered(before day: Int, _ days: ClosedRange<Int>) -> [OrderID] {
        days.flatMap { deliveredOn[day - $0, default: []] }
    }

    mutating func plantScenario(_ scenario: SellerSimulation.Scenario, day: Int) {
        var planted: [(actor: String, steps: [(Int, Double, SellerSimulation.Step)])] = []
        switch scenario {
        case .splitExport:
            // Three agents, a dozen delivered buyers' emails each working day for three weeks,
            // under case ids of the shop's own series that nobody opened.
            for actor in ["support-2", "support-3", "support-4"] {
                var steps: [(Int, Double, SellerSimulation.Step)] = []
                for offset in 0..<21 where !closed(day + offset) {
                    var pool = delivered(before: day + offset, 3...25).shuffled(using: &base.random)
                    for _ in 0..<int(10...14) where !pool.isEmpty {
                        base.caseNumber += 1
                        steps.append((day + offset, hour(9...18), .access(AccessRequest(
                            actor: actor, purpose: .customerSupport(caseID: "C-\(base.caseNumber)"), orderID: pool.removeLast(),
                            fields: .exactly([.buyerEmail])))))
                    }
                }
                planted.append((actor, steps))
            }
        case .disguisedExport:
            // The mailer reads delivered buyers' emails under message kinds their state does not
            // call for, between its real messages, and sends nothing.
            var steps: [(Int, Double, SellerSimulation.Step)] = []
            for offset in 0..<7 where !closed(day + offset) {
                var pool = delivered(before: day + offset, 3...20).shuffled(using: &base.random)
                for index in 0..<int(40...60) where !pool.isEmpty {
                    let kind: MessageKind = index % 2 == 0 ? .shipmentDelay : .orderUnavailable
                    steps.append((day + offset, hour(8...18), .access(AccessRequest(
                        actor: "mailer", purpose: .orderMessaging(kind), orderID: pool.removeLast(), fields: .exactly([.buyerEmail])))))
                }
            }
            planted.append(("mailer", steps))
        case .departingEmployee:
            // In their last days: addresses of delivered orders (mostly refused) and of waiting
            // orders someone else labels.
            var steps: [(Int, Double, SellerSimulation.Step)] = []
            for offset in 0..<5 where !closed(day + offset) {
                var old = delivered(before: day + offset, 1...15).shuffled(using: &base.random)
                var waiting = base.ordersByDay[day + offset - 1, default: []].shuffled(using: &base.random)
                for _ in 0..<int(25...35) where !old.isEmpty {
                    steps.append((day + offset, hour(12...17), .access(AccessRequest(actor: "warehouse-3", purpose: .shipping, orderID: old.removeLast()))))
                }
                for _ in 0..<int(25...35) where !waiting.isEmpty {
                    steps.append((day + offset, hour(12...17), .access(AccessRequest(actor: "warehouse-3", purpose: .shipping, orderID: waiting.removeLast()))))
                }
            }
            planted.append(("warehouse-3", steps))
        case .nightService:
            // The label printer's credentials at night: the last week's orders, waiting or not.
            let orders = (1...7).flatMap { base.ordersByDay[day - $0, default: []] }.shuffled(using: &base.random).prefix(250)
            planted.append(("label-printer", orders.enumerated().map { index, order in
                (day, 2.1 + Double(index) * 3 / 3600, .access(AccessRequest(actor: "label-printer", purpose: .shipping, orderID: order, channel: .cli)))
            }))
        case .ownerBrowsing:
            // Two or three old buyers a working day for six weeks, under closed cases of other orders.
            var steps: [(Int, Double, SellerSimulation.Step)] = []
            for offset in 0..<42 where !closed(day + offset) {
                var pool = delivered(before: day + offset, 10...28).shuffled(using: &base.random)
                for _ in 0..<int(2...3) where !pool.isEmpty && !closedCases.isEmpty {
                    let reused = closedCases[int(0...(closedCases.count - 1))].caseID
                    steps.append((day + offset, hour(9...19), .access(AccessRequest(
                        actor: "owner", purpose: .customerSupport(caseID: reused), orderID: pool.removeLast()))))
                }
            }
            planted.append(("owner", steps))
        case .lateCanary:
            let canary = base.makeCanaries()[2]
            planted.append(("support-1", [(day, hour(10...16), .access(AccessRequest(actor: "support-1", purpose: .customerSupport(caseID: "C-\(base.caseNumber + 7)"), orderID: canary.id)))]))
        default:
            // The small shop's scenarios play the same here.
            base.plantScenario(scenario, day: day)
            return
        }
        for (actor, steps) in planted where !steps.isEmpty {
            for (stepDay, at, step) in steps { schedule(stepDay, at, step, scenario) }
            let times = steps.map { time($0.0, $0.1) }
            base.plants.append(.init(scenario: scenario, actor: actor, from: times.min()!, to: times.max()!))
        }
    }
}
