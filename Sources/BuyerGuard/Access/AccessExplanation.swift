public import Foundation

/// Which state or event of the order explains a granted access, as the broker records it in the
/// entry's `explanation` column: evidence for the auditor, not a permission (the policy decides
/// what is allowed; this says whether the order called for it). Decided from the vault's own
/// facts at the moment of the access (the order's status and dates, the support cases the app
/// recorded), never from what the request claims.
public enum AccessExplanation: String, Sendable, CaseIterable, Codable {
    /// Shipping data of an order that waits to be shipped (pending or unshipped).
    case awaitingShipment = "awaiting-shipment"
    /// Shipping data of an order shipped and not yet delivered (a label reprint, a carrier query).
    case inTransit = "in-transit"
    /// Shipping data within ``AccessExplanation/deliveryGraceSeconds`` (two days) of the delivery (a late carrier query).
    case deliveryGrace = "delivery-grace"
    /// An Order Unavailable message for an order that did not ship (pending, unshipped or
    /// cancelled), or a Shipment Delay message for one not shipped yet.
    case orderNotShipped = "order-not-shipped"
    /// A Return Confirmation after a return was recorded.
    case returnRecorded = "return-recorded"
    /// A Refund Confirmation after a refund was recorded.
    case refundRecorded = "refund-recorded"
    /// An Order Completion message for an order that went through (not cancelled, returned or refunded).
    case orderOpen = "order-open"
    /// The order's review request, in its window (the broker refuses it outside).
    case reviewWindow = "review-window"
    /// A support read under an open case the buyer opened for this order, nobody else handling it.
    case caseOpened = "case-opened"
    /// A support read under an open case of this order assigned to the reader.
    case caseHandler = "case-handler"
    /// Nothing in the order's state or its cases calls for this access.
    case unexplained = "unexplained"

    /// Days after delivery in which shipping data is still explained.
    public static let deliveryGraceSeconds: TimeInterval = 2 * 86_400

    /// Whether this explains the access (`unexplained` does not).
    public var isExplained: Bool { self != .unexplained }
}

/// What the broker knows of a support case when it explains a support read.
package struct SupportCaseState: Sendable {
    package var orderID: String
    package var handler: String?
    package var closed: Bool

    package init(orderID: String, handler: String? = nil, closed: Bool = false) {
        self.orderID = orderID
        self.handler = handler
        self.closed = closed
    }
}

extension AccessExplanation {
    /// The explanation of a granted access to an order in `state`, at `now`.
    static func of(_ purpose: Purpose, actor: String, state: OrderAccessState, supportCase: SupportCaseState?, orderID: OrderID, now: Date)
        -> AccessExplanation
    {
        of(purpose, actor: actor, status: state.status, delivered: state.delivered, returned: state.returned != nil,
           refunded: state.refunded != nil, supportCase: supportCase, orderID: orderID.rawValue, now: now)
    }

    /// The same from plain facts (the broker's, and a synthetic log's that mirrors it).
    package static func of(
        _ purpose: Purpose, actor: String, status: OrderStatus, delivered: Date?, returned: Bool, refunded: Bool,
        supportCase: SupportCaseState?, orderID: String, now: Date
    ) -> AccessExplanation {
        let open = status == .pending || status == .unshipped
        switch purpose {
        case .shipping:
            if open { return .awaitingShipment }
            if status == .shipped { return .inTransit }
            if status == .delivered, let delivered, now <= delivered.addingTimeInterval(deliveryGraceSeconds) { return .deliveryGrace }
            return .unexplained
        case .orderMessaging(let kind):
            switch kind {
            case .orderUnavailable: return open || status == .cancelled ? .orderNotShipped : .unexplained
            case .shipmentDelay: return open ? .orderNotShipped : .unexplained
            case .returnConfirmation: return returned || status == .returned || status == .refunded ? .returnRecorded : .unexplained
            case .refundConfirmation: return refunded || status == .refunded ? .refundRecorded : .unexplained
            case .orderCompletion: return open || status == .shipped || status == .delivered ? .orderOpen : .unexplained
            case .reviewRequest: return .reviewWindow
            }
        case .customerSupport:
            guard let supportCase, !supportCase.closed, supportCase.orderID == orderID else { return .unexplained }
            guard let handler = supportCase.handler else { return .caseOpened }
            return handler == actor ? .caseHandler : .unexplained
        default:
            return .unexplained
        }
    }
}
