import BuyerGuard
import Foundation

/// A count of entries with their time span and the first 50 sequences and distinct orders.
struct Tally {
    var count = 0
    var from = Int64.max
    var to = Int64.min
    var sequences: [Int64] = []
    var orders: [Int32] = []
    /// Every distinct order, for the rules whose sentence says "N orders" (`nil`: not counted).
    private var orderSet: Set<Int32>?

    init(countingOrders: Bool = false) {
        if countingOrders { orderSet = [] }
    }

    /// Oldest first, then by first entry: an order of tallies that does not depend on where they
    /// were kept (dictionaries iterate in a different order on each run).
    static func precedes(_ a: Tally, _ b: Tally) -> Bool {
        (a.from, a.sequences.first ?? .max) < (b.from, b.sequences.first ?? .max)
    }

    /// Distinct orders among the entries (all of them when counted, else at most 50).
    var distinctOrders: Int { orderSet?.count ?? orders.count }

    mutating func add(_ event: AuditEvent) {
        add(time: event.timeMillis, sequence: event.sequence, order: event.order)
    }

    /// Adds one entry by its time, sequence and order (-1 for none).
    mutating func add(time: Int64, sequence: Int64, order: Int32) {
        count += 1
        from = min(from, time)
        to = max(to, time)
        if sequences.count < 50 { sequences.append(sequence) }
        if order >= 0 {
            if orders.count < 50, !orders.contains(order) { orders.append(order) }
            orderSet?.insert(order)
        }
    }

    /// Adds another tally's entries; the evidence keeps the lowest sequences and orders of both,
    /// so the result does not depend on the order of merging.
    mutating func merge(_ other: Tally) {
        count += other.count
        from = min(from, other.from)
        to = max(to, other.to)
        sequences = Array((sequences + other.sequences).sorted().prefix(50))
        for order in other.orders where !orders.contains(order) { orders.append(order) }
        orders = Array(orders.sorted().prefix(50))
        if let theirs = other.orderSet { orderSet = (orderSet ?? Set(orders)).union(theirs) }
    }

    func evidence(_ symbols: AuditSymbolTable) -> Evidence {
        Evidence(sequences: sequences, count: count, orders: orders.map { symbols[$0] }.sorted())
    }
}

/// The entries of the last `length` seconds, oldest first, with a count per key (buyer): adding
/// and expiring are amortised O(1), so a scan stays linear however dense the traffic.
struct SlidingWindow {
    let lengthMillis: Int64
    private var times: [Int64] = []
    private var keys: [Int32] = []
    private var sequences: [Int64] = []
    private var orders: [Int32] = []
    private var head = 0
    private var keyCounts: [Int32: Int] = [:]

    init(length: TimeInterval) { lengthMillis = Int64(length * 1000) }

    var count: Int { times.count - head }
    var distinctKeys: Int { keyCounts.count }
    var oldest: Int64 { times[head] }

    mutating func add(_ event: AuditEvent, key: Int32) {
        while head < times.count, event.timeMillis - times[head] > lengthMillis {
            let old = keys[head]
            if keyCounts[old] == 1 { keyCounts[old] = nil } else { keyCounts[old]! -= 1 }
            head += 1
        }
        if head > 4096, head * 2 > times.count {  // compact now and then
            times.removeFirst(head); keys.removeFirst(head); sequences.removeFirst(head); orders.removeFirst(head)
            head = 0
        }
        times.append(event.timeMillis); keys.append(key); sequences.append(event.sequence); orders.append(event.order)
        keyCounts[key, default: 0] += 1
    }

    /// The distinct keys (buyers) in the window.
    var distinctKeySet: Set<Int32> { Set(keyCounts.keys) }

    /// The window's entries as a tally (its first 50 sequences and orders).
    var tally: Tally {
        var tally = Tally()
        for index in head..<times.count { tally.add(time: times[index], sequence: sequences[index], order: orders[index]) }
        return tally
    }

    /// The first 50 entries in the window, their count and their orders.
    func evidence(_ symbols: AuditSymbolTable) -> Evidence {
        let range = head..<min(times.count, head + 50)
        return Evidence(sequences: Array(sequences[range]), count: count,
                        orders: Array(Set(orders[range].filter { $0 >= 0 }.map { symbols[$0] })).sorted())
    }
}
