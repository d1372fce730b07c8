import BuyerGuard
import BuyerGuardDetect
import BuyerGuardMessaging
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// How the back office runs.
public struct ShopConfiguration: Sendable {
    /// The vault's folder (made by `buyerguard init`).
    public var vaultFolder: URL
    /// The vault's master key.
    public var keyProvider: any KeyProvider
    /// What the broker allows (default: the marketplace's rules).
    public var policy = AccessPolicy()
    /// Who may sign in.
    public var staff: StaffDirectory
    /// Canary orders (`buyerguard canary add`): any read of one raises a critical alert.
    public var canaries: Set<OrderID> = []
    /// Address and port (port 0: any free one).
    public var host = "127.0.0.1"
    public var port = 8080
    /// Called for each finding at high severity or above, as the entry that completes it is written.
    public var onAlert: @Sendable (Finding) -> Void = { _ in }

    public init(vaultFolder: URL, keyProvider: any KeyProvider, staff: StaffDirectory) {
        self.vaultFolder = vaultFolder
        self.keyProvider = keyProvider
        self.staff = staff
    }
}

/// Closes the vault when the service group shuts down, after the HTTP server stopped taking
/// requests (services stop in reverse order: the server, listed after this one, goes first).
struct VaultService: Service {
    let vault: Vault
    /// Kept here for the app's life (the log holds its observers weakly).
    let monitor: MisuseMonitor
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try monitor.save()
            try await vault.close()
            logger.info("vault closed, audit log checkpointed")
        } catch {
            logger.error("the vault did not close cleanly", metadata: ["error": "\(error)"])
            throw error
        }
    }
}

/// The back office: opens the vault (and closes it with the service lifecycle), attaches the live
/// misuse monitor, and serves the routes.
///
/// | Route | Purpose |
/// |---|---|
/// | `GET /orders` | orders without personal data (JSON); `GET /staff/orders`: the same as a page |
/// | `POST /orders/{order}/label` | a shipping label (`shipping`) |
/// | `POST /orders/{order}/messages` | an order message through `broker.send` (`{"kind", "subject", "body"}`) |
/// | `POST /support/cases` | the case a buyer's message opened (`{"caseID", "order"}`) |
/// | `POST /support/cases/{case}/reply` | a reply to that case's buyer (`{"subject", "body"}`) |
public func buildApplication(
    _ configuration: ShopConfiguration, outbox: Outbox = Outbox(), logger: Logger = Logger(label: "shop-server")
) async throws -> some ApplicationProtocol {
    let vault = try await Vault.open(at: configuration.vaultFolder, keyProvider: configuration.keyProvider, logger: logger)
    var rules = DetectionRules()
    rules.canaryOrders = Set(configuration.canaries.map(\.rawValue))
    var policy = configuration.policy
    policy.refusedCanaries.formUnion(configuration.canaries)
    let onAlert = configuration.onAlert
    let monitor = MisuseMonitor(
        rules: rules, minimumSeverity: .high,
        stateFile: configuration.vaultFolder.appendingPathComponent("shop-server-monitor.json")
    ) { finding in
        logger.critical("misuse alert", metadata: ["rule": "\(finding.rule)", "actor": "\(finding.actor)", "severity": "\(finding.severity.rawValue)"])
        onAlert(finding)
    }
    try monitor.attach(to: vault.auditLog)

    let shop = ShopRoutes(broker: AccessBroker(vault: vault, policy: policy), vault: vault, outbox: outbox, cases: SupportCases())
    let router = Router(context: StaffContext.self)
    router.add(middleware: StaffAuthentication(directory: configuration.staff))
    shop.register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "shop-server"),
        services: [VaultService(vault: vault, monitor: monitor, logger: logger)],
        logger: logger)
}

struct ShopRoutes: Sendable {
    let broker: AccessBroker
    let vault: Vault
    let outbox: Outbox
    let cases: SupportCases

    struct MessageBody: Decodable { var kind: String; var subject: String; var body: String }
    struct CaseBody: Decodable { var caseID: String; var order: String }
    struct ReplyBody: Decodable { var subject: String; var body: String }
    struct Sent: ResponseEncodable { var sent = true; var order: String }

    func register(on router: Router<StaffContext>) {
        router.get("orders") { request, _ in
            Page(orders: try await summaries(request))
        }
        router.get("staff/orders") { request, _ in
            HTMLPage(orders: try await summaries(request))
        }
        router.post("orders/:order/label") { request, context in
            let staff = try context.member()
            let order = try orderID(context.parameters.require("order"))
            let label = try await guarded {
                try await broker.withAccess(AccessRequest(
                    actor: staff.login, purpose: .shipping, orderID: order, requestID: request.headers[.init("X-Request-ID")!],
                    identity: staff.identity)) { contact in ShippingLabel(contact).text }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: label)))
        }
        router.post("orders/:order/messages") { request, context in
            let staff = try context.member()
            let order = try orderID(context.parameters.require("order"))
            let message = try await request.decode(as: MessageBody.self, context: context)
            if let kind = MessageKind(rawValue: message.kind) {
                try await guarded {
                    try await broker.send(OutgoingMessage(purpose: .order(kind), subject: message.subject, body: message.body),
                                          order: order, actor: staff.login, via: outbox, identity: staff.identity)
                }
                return Sent(order: order.rawValue)
            }
            // Anything else (marketing, a newsletter, an export) is still the broker's to refuse,
            // so that the attempt is in the audit log with its reason.
            try await guarded {
                try await broker.withAccess(AccessRequest(
                    actor: staff.login, purpose: Purpose(parsing: message.kind), orderID: order, fields: .exactly([.buyerEmail]),
                    identity: staff.identity)) { _ in }
            }
            throw HTTPError(.internalServerError, message: "the broker released data for \(message.kind)")  // it never does
        }
        router.post("support/cases") { request, context in
            let staff = try context.member()
            let body = try await request.decode(as: CaseBody.self, context: context)
            let opened = try await guarded { try await cases.open(body.caseID, order: try orderID(body.order)) }
            // In the vault too: the case is what explains the support reads and the reply (the
            // broker records `case-opened` as their explanation; without it they are unexplained).
            try await guarded {
                try await vault.recordCase(.opened(at: opened.opened), caseID: opened.caseID, for: opened.orderID, actor: staff.login)
            }
            return Response(status: .created, headers: [.location: "/support/cases/\(opened.caseID)"])
        }
        router.post("support/cases/:case/reply") { request, context in
            let staff = try context.member()
            let caseID = try context.parameters.require("case")
            guard let supportCase = await cases.find(caseID) else {
                throw HTTPError(.notFound, message: "no support case \(caseID): a reply answers a case the buyer opened")
            }
            let reply = try await request.decode(as: ReplyBody.self, context: context)
            try await guarded {
                try await broker.send(OutgoingMessage(purpose: .support, caseID: caseID, subject: reply.subject, body: reply.body),
                                      order: supportCase.orderID, actor: staff.login, via: outbox, identity: staff.identity)
            }
            return Sent(order: supportCase.orderID.rawValue)
        }
    }

    func summaries(_ request: Request) async throws -> [OrderSummary] {
        let status = try request.uri.queryParameters.get("status").map { name in
            guard let status = OrderStatus(rawValue: name) else { throw HTTPError(.badRequest, message: "no order status \(name)") }
            return status
        }
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 100
        return try await guarded { try await vault.orderSummaries(status: status, limit: limit) }
    }

    func orderID(_ text: String) throws -> OrderID {
        do { return try OrderID(text) } catch { throw HTTPError(.badRequest, message: "not an order id (NNN-NNNNNNN-NNNNNNN)") }
    }

    /// BuyerGuard's errors as HTTP answers. Their messages name orders and reasons, never a value.
    func guarded<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BuyerGuardError {
            let status: HTTPResponse.Status = switch error.code {
            case .accessDenied: .forbidden
            case .orderNotFound: .notFound
            case .invalidArgument, .invalidOrderID, .malformedInput: .badRequest
            case .auditUnavailable, .busy: .serviceUnavailable
            default: .internalServerError
            }
            throw HTTPError(status, message: status == .internalServerError ? "the vault could not answer (see the server log)" : error.message)
        } catch let rejected as MessageRejected {
            throw HTTPError(.unprocessableContent, message: rejected.violations.map(\.description).joined(separator: "\n"))
        }
    }
}

/// One page of orders, as JSON.
struct Page: ResponseEncodable {
    var orders: [OrderSummary]
}

/// The same list as a page for a person: escaped, no script, nothing cached.
struct HTMLPage: ResponseGenerator {
    var orders: [OrderSummary]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let escape = { (text: String) in
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let day = Date.ISO8601FormatStyle().year().month().day()
        let rows = orders.map { order in
            "<tr><td>\(escape(order.orderID.rawValue))</td><td>\(order.status.rawValue)</td>"
                + "<td>\(order.purchased.map { $0.formatted(day) } ?? "")</td><td>\(order.delivered.map { $0.formatted(day) } ?? "")</td>"
                + "<td>\(order.itemCount)</td><td>\(escape(order.shipServiceLevel ?? ""))</td><td>\(order.personalDataRemoved ? "purged" : "")</td></tr>"
        }.joined(separator: "\n")
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orders</title></head><body>
            <h1>Orders</h1><table><thead><tr><th>Order</th><th>Status</th><th>Bought</th><th>Delivered</th><th>Items</th><th>Service</th><th>Personal data</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table></body></html>
            """
        return Response(status: .ok, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'", .init("X-Content-Type-Options")!: "nosniff",
        ], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A label: the recipient and the address, one line each.
struct ShippingLabel {
    let text: String

    init(_ contact: borrowing RevealedContact) {
        let fields: [ContactField] = [.recipientName, .addressLine1, .addressLine2, .addressLine3, .city, .stateOrRegion, .postalCode, .countryCode, .shipPhone]
        var lines: [String] = []
        for field in fields {
            if let value = contact.string(field), !value.isEmpty { lines.append(value) }
        }
        text = lines.joined(separator: "\n") + "\n"
    }
}
