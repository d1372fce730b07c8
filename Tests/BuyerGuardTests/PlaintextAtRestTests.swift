import Foundation
import InMemoryLogging
import Logging
import Testing
@testable import BuyerGuard

/// After an import, no buyer email, name, address line or phone is found in any byte of any vault
/// file (database, WAL, shared memory), nor in the log output.
@Suite struct PlaintextAtRestTests {
    static let piiColumns = [
        "buyer-email", "buyer-name", "buyer-phone-number", "recipient-name", "ship-address-1", "ship-address-2",
        "ship-address-3", "ship-city", "ship-postal-code", "ship-phone-number",
    ]

    /// Every PII value of the sample report, at least 5 bytes long (shorter ones, like country
    /// codes, occur by chance in random ciphertext).
    static func samplePII() throws -> Set<String> {
        let text = try String(contentsOf: Fixtures.sampleReport, encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let columns = piiColumns.compactMap { header.firstIndex(of: $0) }
        #expect(columns.count == piiColumns.count)
        var values = Set<String>()
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            for column in columns where fields[column].utf8.count >= 5 { values.insert(String(fields[column])) }
        }
        // Also each part of a name or street, so a partial leak is caught too.
        for value in Array(values) {
            for word in value.split(separator: " ") where word.utf8.count >= 5 && !word.allSatisfy(\.isNumber) {
                values.insert(String(word))
            }
        }
        return values
    }

    func leaks(in folder: URL, of values: Set<String>) throws -> [String] {
        var found: [String] = []
        for (name, data) in try TemporaryFolder.allBytes(in: folder) {
            for value in values where data.range(of: Data(value.utf8)) != nil {
                found.append("\(name) contains a PII value of \(value.utf8.count) bytes")
            }
        }
        return found
    }

    @Test func noPlaintextInVaultFilesOrLogs() async throws {
        let values = try Self.samplePII()
        #expect(values.count > 100)
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        let folder = try TemporaryFolder()
        let vaultFolder = folder.path("vault")
        let vault = try await Vault.create(at: vaultFolder, keyProvider: try MasterKey.generate(), logger: logger)
        _ = try await vault.importOrders(from: Fixtures.sampleReport)

        // While the vault is open the WAL holds the newest pages: search it too.
        let names = try FileManager.default.contentsOfDirectory(atPath: vaultFolder.path)
        #expect(names.contains("vault.sqlite-wal"))
        #expect(try leaks(in: vaultFolder, of: values) == [])

        try await vault.checkpoint()
        #expect(try leaks(in: vaultFolder, of: values) == [])

        var logText = ""
        for entry in logs.entries {
            logText += "\(entry.message) \(entry.metadata)\n"
        }
        #expect(!logs.entries.isEmpty)
        #expect(values.filter { logText.contains($0) } == [])

        // The buyer's own words check: the values really were in the report (the search can fail).
        let report = try Data(contentsOf: Fixtures.sampleReport)
        #expect(values.allSatisfy { report.range(of: Data($0.utf8)) != nil })
    }

    @Test func statisticsCarryNoPII() async throws {
        let test = try await TestVault.make()
        _ = try await test.vault.importOrders(from: Fixtures.sampleReport)
        let json = String(decoding: try JSONEncoder().encode(try await test.vault.statistics()), as: UTF8.self)
        #expect(try Self.samplePII().filter { json.contains($0) } == [])
    }
}
