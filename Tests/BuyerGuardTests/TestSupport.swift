import Foundation
import Testing
@testable import BuyerGuard

/// A fresh temporary folder, removed when the test ends.
final class TemporaryFolder: @unchecked Sendable {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("buyerguard-tests-\(safe.prefix(40))-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ component: String) -> URL { url.appendingPathComponent(component) }

    /// Writes `text` (as UTF-8 unless bytes are given) to a file in the folder.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let file = path(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let file = path(name)
        try Data(bytes).write(to: file)
        return file
    }

    /// Every byte of every file in `folder`, for plaintext searches.
    static func allBytes(in folder: URL) throws -> [(name: String, data: Data)] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { name in
            (name, try Data(contentsOf: folder.appendingPathComponent(name)))
        }
    }
}

enum Fixtures {
    /// The repository root (for `docs/samples`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let sampleReport = repositoryRoot.appendingPathComponent("docs/samples/orders-2026-11.txt")

    static func url(_ path: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + path, withExtension: nil) else {
            throw BuyerGuardError(.io, "missing fixture \(path)")
        }
        return url
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try url(path))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        precondition(hex.count.isMultiple(of: 2), "odd hex length")
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }
}

extension SecureBytes {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
    var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

/// A vault in a temporary folder with a random in-memory master key.
struct TestVault {
    let folder: TemporaryFolder
    let key: MasterKey
    let vault: Vault

    static func make(_ name: String = #function) async throws -> TestVault {
        let folder = try TemporaryFolder(name)
        let key = try MasterKey.generate()
        let vault = try await Vault.create(at: folder.path("vault"), keyProvider: key)
        return TestVault(folder: folder, key: key, vault: vault)
    }

    var vaultFolder: URL { folder.path("vault") }
}

extension MarketplaceOrder {
    /// A plausible order for tests.
    static func sample(
        _ id: String = "402-1234567-7654321", email: String? = "k3x9q2m7w1p5z8@marketplace.amazon.it",
        name: String = "Giulia Bianchi", street: String = "Via Garibaldi 12", items: Int = 1
    ) throws -> MarketplaceOrder {
        var contact = BuyerContact()
        contact[.buyerEmail] = email
        contact[.buyerName] = name
        contact[.recipientName] = name
        contact[.addressLine1] = street
        contact[.city] = "Torino"
        contact[.stateOrRegion] = "TO"
        contact[.postalCode] = "10123"
        contact[.countryCode] = "IT"
        contact[.shipPhone] = "+39 333 1234567"
        return MarketplaceOrder(
            id: try OrderID(id), marketplace: "Amazon.it", purchaseDate: Date(timeIntervalSince1970: 1_793_000_000),
            status: .unshipped,
            items: (0..<items).map { OrderItem(orderItemID: "1000\($0)", sku: "SKU-\($0)", productName: "Tazza \($0)", quantity: 1) },
            contact: contact)
    }
}
