import BuyerGuard
import BuyerGuardMessaging
import Logging
import Synchronization

/// Where the example's messages go: held in memory (the last 100), as the marketplace's
/// Messaging API or the shop's mail client would take them. Replace it with your real transport;
/// the address arrives here from the broker and nowhere else. Its log line names the order,
/// never the address.
public final class Outbox: MessageTransport, Sendable {
    public struct Delivery: Sendable, Hashable {
        public var address: String
        public var subject: String
        public var body: String
        public var order: OrderID
    }

    private let held = Mutex<[Delivery]>([])
    private let logger: Logger

    public init(logger: Logger = Logger(label: "shop-server.outbox")) { self.logger = logger }

    public func deliver(to address: String, subject: String, body: String, order: OrderID) async throws {
        held.withLock { deliveries in
            deliveries.append(Delivery(address: address, subject: subject, body: body, order: order))
            if deliveries.count > 100 { deliveries.removeFirst() }
        }
        logger.info("message handed to the marketplace", metadata: ["order": "\(order)"])
    }

    /// What was delivered, oldest first.
    public var deliveries: [Delivery] { held.withLock { $0 } }
}
