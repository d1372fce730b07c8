public import Foundation
import GRDB
import GRDBSQLite

/// Strings of the audit log (actors, orders, buyer pseudonyms, purposes, ...) as small integers.
///
/// A scan over millions of entries compares and groups these values over and over; numbers make
/// that cheap, and each distinct string is stored once. `-1` stands for "no value" (SQL NULL).
/// Not thread-safe: one table belongs to one scan.
public final class AuditSymbolTable {
    // Unchecked: interning runs a dozen times per entry, and the runtime's exclusivity bookkeeping
    // for class properties cost more than the lookups. The table is used from one thread (its
    // documented contract) and never hands out references into its storage.
    @exclusivity(unchecked) private var arena: [UInt8] = []
    @exclusivity(unchecked) private var spans: [(offset: Int32, count: Int32)] = []
    /// Strings made so far, for the few symbols that are ever shown (actors, the orders of a finding).
    @exclusivity(unchecked) private var names: [Int32: String] = [:]
    @exclusivity(unchecked) private var slots: [Int32]
    @exclusivity(unchecked) private var mask: Int

    /// An empty table.
    public init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    /// How many distinct strings it holds.
    public var count: Int { spans.count }

    /// The number for `string`, added if new.
    public func intern(_ string: String) -> Int32 {
        var copy = string
        return copy.withUTF8 { intern(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The number for the UTF-8 `bytes`, added if new.
    public func intern(bytes: UnsafeRawBufferPointer) -> Int32 {
        let (found, slot) = find(bytes)
        if let found { return found }
        let symbol = Int32(spans.count)
        spans.append((Int32(arena.count), Int32(bytes.count)))
        arena.append(contentsOf: bytes)
        slots[slot] = symbol
        if spans.count * 2 > slots.count { grow() }
        return symbol
    }

    /// Open addressing with linear probing: the symbol, or the free slot for it.
    private func find(_ bytes: UnsafeRawBufferPointer) -> (symbol: Int32?, slot: Int) {
        var slot = Self.hash(bytes) & mask
        while true {
            let symbol = slots[slot]
            if symbol < 0 { return (nil, slot) }
            let span = spans[Int(symbol)]
            if Int(span.count) == bytes.count, bytes.isEmpty || arena.withUnsafeBufferPointer({
                memcmp($0.baseAddress! + Int(span.offset), bytes.baseAddress!, bytes.count) == 0
            }) {
                return (symbol, slot)
            }
            slot = (slot + 1) & mask
        }
    }

    /// Eight bytes at a time, each word mixed by a multiply (strings here are 5 to 40 bytes).
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        while index < bytes.count {
            tail = tail << 8 | UInt64(bytes[index])
            index += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: hash ^ (hash >> 31))
    }

    /// Whether the string of `a` sorts before that of `b` (byte order), without making Strings.
    public func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let (x, y) = (spans[Int(a)], spans[Int(b)])
        let common = Int(min(x.count, y.count))
        let order = arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(x.offset), $0.baseAddress! + Int(y.offset), common) }
        return order < 0 || (order == 0 && x.count < y.count)
    }

    /// The string for `symbol`; empty for `-1`.
    public subscript(symbol: Int32) -> String {
        guard symbol >= 0 else { return "" }
        if let name = names[symbol] { return name }
        let span = spans[Int(symbol)]
        let name = String(decoding: arena[Int(span.offset)..<Int(span.offset + span.count)], as: UTF8.self)
        names[symbol] = name
        return name
    }

    private func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        arena.withUnsafeBytes { arena in
            for (symbol, span) in spans.enumerated() {
                var slot = Self.hash(UnsafeRawBufferPointer(rebasing: arena[Int(span.offset)..<Int(span.offset + span.count)])) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(symbol)
            }
        }
    }
}

/// One audit entry as a scanner reads it: what happened, to which order and buyer, by whom, with
/// every string as a number of an ``AuditSymbolTable``. No hashes, no request ids, no details.
public struct AuditEvent: Sendable {
    /// Position in the log.
    public var sequence: Int64
    /// Milliseconds since 1970 (UTC).
    public var timeMillis: Int64
    /// `access` or the event's name.
    public var kind: Int32
    /// Who.
    public var actor: Int32
    /// The actor's role, or -1.
    public var role: Int32
    /// The purpose family, or -1.
    public var purpose: Int32
    /// The message kind, or -1.
    public var messageKind: Int32
    /// The support case id, or -1.
    public var caseID: Int32
    /// The order, or -1.
    public var order: Int32
    /// The buyer's pseudonym, or -1.
    public var buyer: Int32
    /// The released fields as one comma-separated list (one symbol per distinct list), or -1.
    public var fieldsReleased: Int32
    /// The outcome.
    public var decision: AuditDecision
    /// The reason code, or -1.
    public var reason: Int32
    /// The channel, or -1.
    public var channel: Int32
    /// The order's status then, or -1.
    public var orderStatus: Int32
    /// Whole days since purchase, or -1.
    public var daysSincePurchase: Int32
    /// Whole days since delivery, or -1.
    public var daysSinceDelivery: Int32
    /// The broker's ``AccessExplanation`` of a granted access, or -1 (anything else, or a log from
    /// before explanations were recorded).
    public var explanation: Int32 = -1

    /// The event of an entry read through ``AuditLog/forEachEntry(matching:_:)`` or returned by an
    /// append (for live monitoring), interned into `symbols`.
    public init(_ entry: AuditEntry, symbols: AuditSymbolTable) {
        func symbol(_ value: String?) -> Int32 { value.map(symbols.intern) ?? -1 }
        sequence = entry.sequence
        timeMillis = Int64((entry.time.timeIntervalSince1970 * 1000).rounded())
        kind = symbols.intern(entry.kind)
        actor = symbols.intern(entry.actor)
        role = symbol(entry.role)
        purpose = symbol(entry.purpose)
        messageKind = symbol(entry.messageKind)
        caseID = symbol(entry.caseID)
        order = symbol(entry.orderID)
        buyer = symbol(entry.buyer)
        fieldsReleased = symbols.intern(entry.fieldsReleased.joined(separator: ","))
        decision = entry.decision
        reason = symbol(entry.reason)
        channel = symbol(entry.channel)
        orderStatus = symbol(entry.orderStatus)
        daysSincePurchase = entry.daysSincePurchase.map { Int32(clamping: $0) } ?? -1
        daysSinceDelivery = entry.daysSinceDelivery.map { Int32(clamping: $0) } ?? -1
        explanation = symbol(entry.explanation)
    }

    init(sequence: Int64, timeMillis: Int64, kind: Int32, actor: Int32, role: Int32, purpose: Int32, messageKind: Int32,
         caseID: Int32, order: Int32, buyer: Int32, fieldsReleased: Int32, decision: AuditDecision, reason: Int32,
         channel: Int32, orderStatus: Int32, daysSincePurchase: Int32, daysSinceDelivery: Int32, explanation: Int32 = -1) {
        self.sequence = sequence
        self.timeMillis = timeMillis
        self.kind = kind
        self.actor = actor
        self.role = role
        self.purpose = purpose
        self.messageKind = messageKind
        self.caseID = caseID
        self.order = order
        self.buyer = buyer
        self.fieldsReleased = fieldsReleased
        self.decision = decision
        self.reason = reason
        self.channel = channel
        self.orderStatus = orderStatus
        self.daysSincePurchase = daysSincePurchase
        self.daysSinceDelivery = daysSinceDelivery
        self.explanation = explanation
    }
}

extension AuditLog {
    /// Calls `body` with each entry matching `filter` as an ``AuditEvent``, in sequence order.
    ///
    /// The fast path for scanners: it reads only the columns a detection rule looks at, through a
    /// read-only connection of its own, straight from SQLite's column buffers, and interns every
    /// string in `symbols` (so reading a million entries allocates almost nothing).
    public func forEachEvent(matching filter: AuditFilter = AuditFilter(), symbols: AuditSymbolTable,
                             _ body: (AuditEvent) throws -> Void) throws {
        let connection = try ChainSegment.open(url)
        defer { sqlite3_close_v2(connection) }
        let (whereClause, arguments) = filter.sqlCondition
        // A read-only copy of a log from before explanations were recorded has no such column.
        let explanation = try ChainSegment.columnNames(of: "entries", on: connection, url).contains("explanation") ? "explanation" : "NULL"
        let sql = """
            SELECT seq, time_ms, kind, actor, role, purpose, message_kind, case_id, order_id, buyer, fields_released,
                decision, reason, channel, order_status, days_since_purchase, days_since_delivery, \(explanation)
            FROM entries \(whereClause) ORDER BY seq
            """
        let statement = try ChainSegment.prepare(sql, on: connection, url)
        defer { sqlite3_finalize(statement) }
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .text(let text): sqlite3_bind_text(statement, Int32(index + 1), text, -1, directTransient)
            case .integer(let value): sqlite3_bind_int64(statement, Int32(index + 1), value)
            }
        }
        func text(_ column: Int32) -> Int32 {
            guard let pointer = sqlite3_column_text(statement, column) else { return -1 }
            return symbols.intern(bytes: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column))))
        }
        func integer(_ column: Int32) -> Int32 {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? -1 : Int32(clamping: sqlite3_column_int64(statement, column))
        }
        func decision() -> AuditDecision {
            // granted, denied, failed, event: the first letter tells them apart.
            switch sqlite3_column_text(statement, 11)?.pointee {
            case UInt8(ascii: "g"): .granted
            case UInt8(ascii: "d"): .denied
            case UInt8(ascii: "e"): .event
            default: .failed
            }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw BuyerGuardError(.auditUnavailable, "reading the audit log failed", location: url.path,
                                      underlying: String(cString: sqlite3_errmsg(connection)))
            }
            try body(AuditEvent(
                sequence: sqlite3_column_int64(statement, 0), timeMillis: sqlite3_column_int64(statement, 1),
                kind: text(2), actor: text(3), role: text(4), purpose: text(5), messageKind: text(6), caseID: text(7),
                order: text(8), buyer: text(9), fieldsReleased: text(10), decision: decision(), reason: text(12),
                channel: text(13), orderStatus: text(14), daysSincePurchase: integer(15), daysSinceDelivery: integer(16),
                explanation: text(17)))
        }
    }

    /// The entry at `sequence`, if there is one.
    public func entry(sequence: Int64) throws -> AuditEntry? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM entries WHERE seq = ?", arguments: [sequence]).map(Self.entry(from:))
        }
    }

    /// When the newest signed checkpoint was taken and how many entries it covers, if any.
    public func newestCheckpoint() throws -> (entryCount: Int64, time: Date)? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT entry_count, time_ms FROM checkpoints ORDER BY entry_count DESC LIMIT 1").map {
                ($0["entry_count"], Date(timeIntervalSince1970: TimeInterval($0["time_ms"] as Int64) / 1000))
            }
        }
    }
}

/// A bound value of a filter's SQL.
enum SQLArgument {
    case text(String)
    case integer(Int64)
}

extension AuditFilter {
    /// `WHERE ...` (or nothing) and its arguments, in order.
    var sqlCondition: (String, [SQLArgument]) {
        var conditions: [String] = []
        var arguments: [SQLArgument] = []
        if let actor { conditions.append("actor = ?"); arguments.append(.text(actor)) }
        if let purpose { conditions.append("purpose = ?"); arguments.append(.text(purpose)) }
        if let orderID { conditions.append("order_id = ?"); arguments.append(.text(orderID)) }
        if let buyer { conditions.append("buyer = ?"); arguments.append(.text(buyer)) }
        if let decision { conditions.append("decision = ?"); arguments.append(.text(decision.rawValue)) }
        if let from { conditions.append("time_ms >= ?"); arguments.append(.integer(Int64(from.timeIntervalSince1970 * 1000))) }
        if let to { conditions.append("time_ms < ?"); arguments.append(.integer(Int64(to.timeIntervalSince1970 * 1000))) }
        if let afterSequence { conditions.append("seq > ?"); arguments.append(.integer(afterSequence)) }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }
}
