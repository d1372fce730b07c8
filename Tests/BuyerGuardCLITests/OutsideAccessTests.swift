import Foundation
import Testing

/// What an app that depends on BuyerGuard can reach: its public API, and nothing that bypasses
/// the broker or writes the log. Each probe is type-checked by `swiftc` against the modules of
/// this build, as a separate module would be (no `-package-name`, so `package` symbols are out of
/// reach, and `@_spi` is no longer an escape hatch).
@Suite struct OutsideAccessTests {
    static let build = CLITests.binary.resolvingSymlinksInPath().deletingLastPathComponent()
    static let scratch = build.deletingLastPathComponent().deletingLastPathComponent()
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Compiles `source` to SIL (so the ownership and isolation checks run, not only type checking); returns the compiler's status and output.
    static func typecheck(_ source: String, asLibrary: Bool = false) throws -> (status: Int32, output: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-probe-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("probe.swift")
        try Data(source.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "swiftc", "-emit-sil", "-o", "/dev/null", "-swift-version", "6", "-I", build.appendingPathComponent("Modules").path,
            "-Xcc", "-fmodule-map-file=" + root.appendingPathComponent("Sources/CSodium/module.modulemap").path,
            "-Xcc", "-fmodule-map-file=" + scratch.appendingPathComponent("checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap").path,
            file.path,
        ] + (asLibrary ? ["-parse-as-library"] : [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func thePublicAPICompilesFromOutside() throws {
        let result = try Self.typecheck("""
            import BuyerGuard
            func serve(_ vault: Vault, _ order: OrderID) async throws -> Int {
                try await AccessBroker(vault: vault).withAccess(AccessRequest(actor: "a", purpose: .shipping, orderID: order)) { $0.fields.count }
            }
            """)
        #expect(result.status == 0, "\(result.output)")
    }

    /// The README's "In your app" example, as an app writes it: in an `@main` async entry point,
    /// which is main-actor code. Taken from the README itself, so the README stays compiled.
    @Test func theReadmeExampleCompilesFromMainActorCode() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try #require(readme.components(separatedBy: "## In your app\n\n```swift\n").dropFirst().first?
            .components(separatedBy: "```").first)
        let body = example.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("import ") }.map { "        " + $0 }.joined(separator: "\n")
        let result = try Self.typecheck("""
            import BuyerGuard
            import BuyerGuardMessaging
            import Foundation
            import Logging
            struct ShippingLabel { var name: String?; var street: String? }
            struct Address { var name = "Giulia Bianchi"; var line1 = "Via Roma 1" }
            struct ShopOrder { var buyerEmail = "b@marketplace.amazon.it"; var shipTo = Address() }
            struct Mailer: MessageTransport { func deliver(to: String, subject: String, body: String, order: OrderID) async throws {} }
            @main struct App {
                static func main() async throws {
                    let logger = Logger(label: "shop")
                    let order = ShopOrder()
                    let (reportURL, policyURL) = (URL(fileURLWithPath: "r.txt"), URL(fileURLWithPath: "p.toml"))
                    let orderID = try OrderID("402-1234567-1234567")
            \(body)
                    _ = (summary, label)
                    try await broker.send(OutgoingMessage(purpose: .order(.orderCompletion), subject: "s", body: "b"),
                                          order: orderID, actor: "mailer", via: Mailer())
                }
            }
            """, asLibrary: true)
        #expect(result.status == 0, "\(result.output)")
    }

    /// The released values cannot leave the closure: not returned, stored, copied or sent to another task.
    @Test(arguments: [
        "let c = try await b.withAccess(r) { contact in return contact }\nprint(c.fields)",
        "let c: RevealedContact = try await b.withAccess(r) { $0 }\nprint(c.fields)",
        "var kept: [RevealedContact] = []\n_ = try await b.withAccess(r) { kept.append($0) }",
        "_ = try await b.withAccess(r) { c in Task { print(c.fields) } }",
        "_ = try await b.withAccess(r) { c in let copy = c; return copy.fields }",
    ])
    func revealedContactCannotEscape(body: String) throws {
        let result = try Self.typecheck("""
            import BuyerGuard
            func f(_ b: AccessBroker, _ r: AccessRequest) async throws {
                \(body)
            }
            """)
        #expect(result.status != 0, "compiled: \(body)")
    }

    @Test(arguments: [
        ("import BuyerGuard\nfunc f(_ v: Vault, _ o: OrderID) async throws { _ = try await v.readShippingFieldsWithoutBroker(o) }", "readShippingFieldsWithoutBroker"),
        ("@_spi(Benchmarks) import BuyerGuard\nfunc f(_ v: Vault, _ o: OrderID) async throws { _ = try await v.readShippingFieldsWithoutBroker(o) }", "readShippingFieldsWithoutBroker"),
        ("import BuyerGuard\nfunc f(_ l: AuditLog) async throws { try await l.appendSyntheticEntries(10) }", "appendSyntheticEntries"),
        ("import BuyerGuard\nfunc f(_ l: AuditLog) async throws { try await l.appendSynthetic([]) }", "appendSynthetic"),
        ("import BuyerGuard\nimport Foundation\nlet e = SyntheticAuditEntry(time: Date(), actor: \"x\", decision: .granted)", "SyntheticAuditEntry"),
        ("import BuyerGuard\nfunc f(_ l: AuditLog) async throws { try await l.recordEvent(.messageSent, actor: \"x\") }", "recordEvent"),
        ("import BuyerGuard\nlet p = try FieldSealingProbe()", "FieldSealingProbe"),
        ("import BuyerGuard\nlet hex = try MasterKey.generate().hexEncoded()", "hexEncoded"),
        ("import BuyerGuardTesting\nimport BuyerGuard\nfunc f(_ l: AuditLog) async throws { _ = try await SellerSimulation().writeSynthetic(into: l) }", "writeSynthetic"),
    ])
    func doorsAroundTheBrokerAreOutOfReach(source: String, symbol: String) throws {
        let result = try Self.typecheck(source)
        #expect(result.status != 0, "an outside module could use \(symbol)")
        #expect(result.output.contains(symbol), "\(result.output)")
    }
}
