import BuyerGuard
import BuyerGuardDetect
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ShopServer
import Synchronization
import Testing

/// The back office over real HTTP (a live server on a free port), on a real vault holding the
/// marketplace's sample report.
@Suite struct ShopServerTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let sample = repository.appendingPathComponent("docs/samples/orders-2026-11.txt")
    static let giulia = "giulia-" + String(repeating: "7", count: 40)
    static let marco = "marco-" + String(repeating: "3", count: 40)

    /// The sample's rows: order id, buyer email, buyer name, recipient, street, city.
    static func sampleRows() throws -> [[String]] {
        try String(contentsOf: sample, encoding: .utf8).split(separator: "\r\n").dropFirst()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Every personal value in the sample: none may appear in a page or a list.
    static func personalValues() throws -> Set<String> {
        var values = Set<String>()
        for row in try sampleRows() {
            for column in [4, 5, 6, 16, 17, 18, 24] where !row[column].isEmpty { values.insert(row[column]) }
        }
        return values
    }

    struct Shop {
        let folder: URL
        let key: MasterKey
        let canary: OrderID
        let publicKey: String?
        var vault: URL { folder.appendingPathComponent("vault") }
        var auditLog: URL { vault.appendingPathComponent("audit.sqlite") }

        static func make() async throws -> Shop {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shop-server-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let key = try MasterKey.generate()
            let vault = try await Vault.create(at: folder.appendingPathComponent("vault"), keyProvider: key)
            _ = try await vault.importOrders(from: ShopServerTests.sample)
            let canary = try await vault.plantCanaries(count: 1)[0]
            let publicKey = vault.auditLog.signingPublicKey
            try await vault.close()
            return Shop(folder: folder, key: key, canary: canary, publicKey: publicKey)
        }

        func configuration(alerts: Alerts? = nil) throws -> ShopConfiguration {
            var configuration = ShopConfiguration(
                vaultFolder: vault, keyProvider: key,
                staff: try StaffDirectory(tokens: [ShopServerTests.giulia: "giulia", ShopServerTests.marco: "marco"]))
            configuration.port = 0
            configuration.canaries = [canary]
            if let alerts { configuration.onAlert = { finding in alerts.list.withLock { $0.append(finding) } } }
            return configuration
        }

        func entries() throws -> [AuditEntry] {
            var entries: [AuditEntry] = []
            try AuditLog.openForReading(at: auditLog).forEachEntry { entries.append($0) }
            return entries
        }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
    static func jsonBearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    @Test func theFourRoutesOverHTTP() async throws {
        let shop = try await Shop.make()
        defer { try? FileManager.default.removeItem(at: shop.folder) }
        let rows = try Self.sampleRows()
        let order = rows[0][0], email = rows[0][4], recipient = rows[0][16], street = rows[0][17]
        let outbox = Outbox()
        let personal = try Self.personalValues()
        let app = try await buildApplication(try shop.configuration(), outbox: outbox, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            // No token, or a wrong one: nothing.
            try await client.execute(uri: "/orders", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/orders", method: .get, headers: Self.bearer(Self.giulia.uppercased())) { #expect($0.status == .unauthorized) }

            // The staff list: orders, no personal data.
            try await client.execute(uri: "/orders?limit=100", method: .get, headers: Self.bearer(Self.giulia)) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains(order))
                for value in personal { #expect(!body.contains(value), "\(value) in the order list") }
            }
            try await client.execute(uri: "/staff/orders", method: .get, headers: Self.bearer(Self.marco)) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: response.body)
                #expect(page.contains("<td>\(order)</td>"))
                for value in personal { #expect(!page.contains(value), "\(value) on the staff page") }
            }

            // A label: the address, for shipping.
            try await client.execute(uri: "/orders/\(order)/label", method: .post, headers: Self.bearer(Self.giulia)) { response in
                #expect(response.status == .ok)
                let label = String(buffer: response.body)
                #expect(label.hasPrefix(recipient + "\n") && label.contains(street))
                #expect(!label.contains(email))
            }

            // An order message, through broker.send: the address goes to the transport only.
            let delay = #"{"kind":"shipment-delay","subject":"Ritardo spedizione","body":"Gentile cliente, la spedizione dell'ordine \#(order) partirà con due giorni di ritardo. Ci scusiamo per l'attesa."}"#
            try await client.execute(uri: "/orders/\(order)/messages", method: .post, headers: Self.jsonBearer(Self.giulia),
                                     body: ByteBuffer(string: delay)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(!String(buffer: response.body).contains(email))
            }
            #expect(outbox.deliveries.map(\.address) == [email])

            // Marketing is refused, and the refusal is in the audit log.
            let marketing = #"{"kind":"marketing","subject":"Saldi!","body":"Il 30% su tutto il catalogo."}"#
            try await client.execute(uri: "/orders/\(order)/messages", method: .post, headers: Self.jsonBearer(Self.marco),
                                     body: ByteBuffer(string: marketing)) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("purpose-prohibited"))
            }
            let refused = try #require(try shop.entries().last)
            #expect(refused.decision == .denied && refused.purpose == "marketing" && refused.reason == "purpose-prohibited")
            #expect(refused.actor == "marco" && refused.identity?.hasPrefix("user:marco") == true && refused.fieldsReleased.isEmpty)
            #expect(outbox.deliveries.count == 1)

            // A support reply answers a case the buyer opened, for that case's order only.
            let reply = #"{"subject":"Re: taglia","body":"Gentile cliente, per l'ordine \#(order): la taglia M della maglietta è di nuovo disponibile."}"#
            try await client.execute(uri: "/support/cases/CASE-404/reply", method: .post, headers: Self.jsonBearer(Self.marco),
                                     body: ByteBuffer(string: reply)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/support/cases", method: .post, headers: Self.jsonBearer(Self.marco),
                                     body: ByteBuffer(string: #"{"caseID":"CASE-9001","order":"\#(order)"}"#)) { #expect($0.status == .created) }
            try await client.execute(uri: "/support/cases/CASE-9001/reply", method: .post, headers: Self.jsonBearer(Self.marco),
                                     body: ByteBuffer(string: reply)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            #expect(outbox.deliveries.map(\.address) == [email, email])
            let answered = try shop.entries().filter { $0.caseID == "CASE-9001" }
            #expect(answered.contains { $0.decision == .granted && $0.actor == "marco" && $0.purpose == "customer-support" })
            #expect(answered.filter { $0.decision == .granted }.allSatisfy { $0.explanation == "case-opened" }, "\(answered)")
            #expect(try shop.entries().contains { $0.kind == "case-opened" && $0.actor == "marco" })
        }
        // The service group closed the vault: its audit log ends at a signed checkpoint.
        let verification = try AuditLog.openForReading(at: shop.auditLog).verify(trustedPublicKey: shop.publicKey)
        #expect(verification.problems.isEmpty && verification.warnings.isEmpty, "\(verification.warnings)")
        #expect(verification.checkpointsVerified >= 1)
    }

    @Test func aCanaryLabelIsRefusedLoggedAndAlertedBeforeTheAnswer() async throws {
        let shop = try await Shop.make()
        defer { try? FileManager.default.removeItem(at: shop.folder) }
        let alerts = Alerts()
        let app = try await buildApplication(try shop.configuration(alerts: alerts), logger: Logger(label: "test"))
        try await app.test(.live) { client in
            try await client.execute(uri: "/orders/\(shop.canary.rawValue)/label", method: .post, headers: Self.bearer(Self.giulia)) { response in
                #expect(response.status == .forbidden)
                // The alert was raised as the entry was written, before this answer went out.
                #expect(alerts.list.withLock { $0.map(\.rule) } == ["canary"])
            }
            let entry = try #require(try shop.entries().last)
            #expect(entry.orderID == shop.canary.rawValue && entry.decision == .denied && entry.reason == "canary" && entry.actor == "giulia")
        }
    }
}

/// The alerts a test's app raised.
final class Alerts: Sendable {
    let list = Mutex<[Finding]>([])
}
