import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// What `FieldCipher.open` says when it cannot open a field: which field, which kind of record,
/// and which of its header bytes it does not know, never the content.
@Suite struct FieldCipherTests {
    static let orderID = "402-1234567-7654321"
    static let email = "k3x9q2m7w1p5z8@marketplace.amazon.it"

    /// A stored order's sealed city and its buyer's sealed email, with the buyer's record id.
    func sealedFields(_ test: TestVault) async throws -> (city: Data, email: Data, buyer: RecordID) {
        try await test.vault.store(.sample(Self.orderID, email: Self.email), actor: "test")
        return try await test.vault.database.read { db in
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT orders.city, buyers.buyer_email, buyers.uid FROM orders JOIN buyers ON buyers.id = orders.buyer_id
                """))
            return (row["city"], row["buyer_email"], .buyer([UInt8](row["uid"] as Data)))
        }
    }

    func openError(_ test: TestVault, _ data: Data, _ field: ContactField, _ record: RecordID) -> BuyerGuardError? {
        #expect(throws: BuyerGuardError.self) { _ = try test.vault.cipher.open(data, field: field, record: record) }
    }

    @Test func unknownKeyVersionNamesFieldRecordKindAndVersion() async throws {
        let test = try await TestVault.make()
        var (city, email, buyer) = try await sealedFields(test)
        city[4] = 77  // key version 77
        let error = try #require(openError(test, city, .city, .order(try OrderID(Self.orderID))))
        #expect(error.code == .unsupportedFormat)
        #expect(error.message.contains("city"), "\(error)")
        #expect(error.message.contains("order record"), "\(error)")
        #expect(error.message.contains("no field key version 77"), "\(error)")
        #expect(!error.message.contains("format"), "\(error)")

        email[4] = 77
        let buyerError = try #require(openError(test, email, .buyerEmail, buyer))
        #expect(buyerError.message.contains("buyer-email of a buyer record"), "\(buyerError)")
    }

    @Test func unknownFormatByteIsNotCalledAMissingKey() async throws {
        let test = try await TestVault.make()
        var (city, _, _) = try await sealedFields(test)
        city[0] = 77  // format 77, key version still 1
        let error = try #require(openError(test, city, .city, .order(try OrderID(Self.orderID))))
        #expect(error.code == .unsupportedFormat)
        #expect(error.message.contains("city of an order record"), "\(error)")
        #expect(error.message.contains("unknown ciphertext format 77"), "\(error)")
        #expect(!error.message.contains("key"), "\(error)")

        // Both header bytes wrong: the format is read first, so the report is about the format.
        city[4] = 77
        let both = try #require(openError(test, city, .city, .order(try OrderID(Self.orderID))))
        #expect(both.message.contains("unknown ciphertext format 77"), "\(both)")
    }

    @Test func truncatedAndTamperedFieldsNameFieldAndRecordKindButNoContent() async throws {
        let test = try await TestVault.make()
        var (city, email, buyer) = try await sealedFields(test)
        let truncated = try #require(openError(test, city.prefix(10), .city, .order(try OrderID(Self.orderID))))
        #expect(truncated.code == .corruptCiphertext)
        #expect(truncated.message.contains("city of an order record"), "\(truncated)")
        email[email.count - 1] ^= 1
        let tampered = try #require(openError(test, email, .buyerEmail, buyer))
        #expect(tampered.code == .corruptCiphertext)
        #expect(tampered.message.contains("buyer-email of a buyer record"), "\(tampered)")
        city[0] = 77
        for error in [truncated, tampered, openError(test, city, .city, .order(try OrderID(Self.orderID)))] {
            let text = error?.description ?? ""
            #expect(!text.contains("Torino") && !text.contains("@") && !text.contains(Self.orderID), "\(text)")
        }
    }
}
