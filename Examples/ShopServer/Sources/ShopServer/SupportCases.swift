import BuyerGuard
import Foundation

/// The support cases the buyers opened: a case exists once the buyer's message came in, and a
/// reply can only go to that case's order. (A real shop keeps them in its help desk.)
public actor SupportCases {
    public struct Case: Sendable, Codable, Hashable {
        public var caseID: String
        public var orderID: OrderID
        public var opened: Date
    }

    private var cases: [String: Case] = [:]

    public init() {}

    /// Records the case a buyer's message opened; the same id again must name the same order.
    @discardableResult
    public func open(_ caseID: String, order: OrderID, at date: Date = Date()) throws -> Case {
        guard (3...64).contains(caseID.count), caseID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw BuyerGuardError(.invalidArgument, "a case id is 3 to 64 letters, digits or '-'")
        }
        if let existing = cases[caseID] {
            guard existing.orderID == order else { throw BuyerGuardError(.invalidArgument, "case \(caseID) belongs to another order") }
            return existing
        }
        let opened = Case(caseID: caseID, orderID: order, opened: date)
        cases[caseID] = opened
        return opened
    }

    /// The case, if a buyer opened it.
    public func find(_ caseID: String) -> Case? { cases[caseID] }
}
