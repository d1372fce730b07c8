public import Foundation
import GRDB

/// What happened to a support case: the facts that explain (or fail to explain) support reads.
public enum SupportCaseEvent: Sendable, Equatable {
    /// The buyer opened the case about the order: their message arrived.
    case opened(at: Date)
    /// Who handles it from now on (a staff actor, as the broker's requests name them).
    case assigned(to: String)
    /// The case is closed: reads under it are no longer explained by it.
    case closed(at: Date)
}

extension SupportCaseEvent {
    /// Whether this is the case's opening.
    fileprivate var opens: Bool {
        if case .opened = self { return true }
        return false
    }
}

extension Vault {
    /// Records a support case event and logs it (`case-opened`, `case-assigned`, `case-closed`,
    /// with the case id in the entry's details). The broker explains a support read by these
    /// facts: a read under an open case of the same order, by its handler or while nobody handles
    /// it, is explained; any other (a case nobody opened, another order's case, a closed case,
    /// someone else's case) is not.
    ///
    /// A case belongs to one order: opening a case id already opened for another order is refused
    /// (``BuyerGuardError/Code/invalidArgument``), as is assigning or closing a case never opened.
    /// Opening the same case for the same order again changes nothing but is logged.
    public func recordCase(_ event: SupportCaseEvent, caseID: String, for orderID: OrderID, actor: String,
                           channel: AccessChannel = .library) async throws {
        try AuditText.requirePrintable(caseID, as: "case id")
        guard !caseID.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BuyerGuardError(.invalidArgument, "a support case needs a case id")
        }
        let (existing, orderExists) = try await database.read { db in
            (try String.fetchOne(db, sql: "SELECT order_id FROM support_cases WHERE case_id = ?", arguments: [caseID]),
             try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM orders WHERE order_id = ?)", arguments: [orderID.rawValue]) ?? false)
        }
        guard orderExists else { throw BuyerGuardError(.orderNotFound, "no order \(orderID) in the vault", location: folder.path) }
        if let existing, existing != orderID.rawValue { throw Self.caseOfAnotherOrder(caseID) }
        if existing == nil, !event.opens {  // assigned or closed: only a case that was opened
            throw BuyerGuardError(.invalidArgument, "support case \(AuditText.escaped(caseID)) was never opened")
        }
        let kind: AuditEventKind
        var details = ["case": caseID]
        switch event {
        case .opened(let date):
            kind = .caseOpened
            details["date"] = ISO8601DateFormatter().string(from: date)
        case .assigned(let handler):
            try AuditText.requirePrintable(handler, as: "handler")
            kind = .caseAssigned
            details["handler"] = handler
        case .closed(let date):
            kind = .caseClosed
            details["date"] = ISO8601DateFormatter().string(from: date)
        }
        let finished = details
        try await journaled(kind, actor: actor, orderID: orderID, channel: channel, intentDetails: details) {
            try await database.write { db in
                switch event {
                case .opened(let date):
                    try db.execute(sql: """
                        INSERT INTO support_cases (case_id, order_id, opened_at) VALUES (?, ?, ?) ON CONFLICT (case_id) DO NOTHING
                        """, arguments: [caseID, orderID.rawValue, Int64(date.timeIntervalSince1970.rounded(.down))])
                    // Checked again inside the write: another process may have opened the id for another order meanwhile.
                    let owner = try String.fetchOne(db, sql: "SELECT order_id FROM support_cases WHERE case_id = ?", arguments: [caseID])
                    guard owner == orderID.rawValue else { throw Self.caseOfAnotherOrder(caseID) }
                case .assigned(let handler):
                    try db.execute(sql: "UPDATE support_cases SET handler = ? WHERE case_id = ?", arguments: [handler, caseID])
                case .closed(let date):
                    try db.execute(sql: "UPDATE support_cases SET closed_at = ? WHERE case_id = ?",
                                   arguments: [Int64(date.timeIntervalSince1970.rounded(.down)), caseID])
                }
            }
            return ((), finished)
        }
    }

    private static func caseOfAnotherOrder(_ caseID: String) -> BuyerGuardError {
        BuyerGuardError(.invalidArgument, "support case \(AuditText.escaped(caseID)) belongs to another order; a case concerns one order")
    }

    /// The support case a support read names, for its explanation (`nil`: never opened).
    func supportCase(_ caseID: String) throws -> SupportCaseState? {
        try database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT order_id, handler, closed_at FROM support_cases WHERE case_id = ?"),
                             arguments: [caseID])
                .map { SupportCaseState(orderID: $0["order_id"], handler: $0["handler"], closed: ($0["closed_at"] as Int64?) != nil) }
        }
    }
}
