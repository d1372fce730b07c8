import Foundation
import GRDB

/// The authenticated link between an order and its buyer: keyed BLAKE2b-128 over the order id and
/// the buyer's random id, stored with the order and checked on every access.
///
/// `orders.buyer_id` is a plain integer: someone who can write `vault.sqlite` but holds no key
/// could point an order at another buyer's row, and the broker would release that buyer's email
/// and name for the order (their ciphertext is bound to the buyer, not the order). With the link,
/// such an access fails closed (``BuyerGuardError/Code/vaultTampered``) and is logged as failed.
/// The key is the audit-pseudonym key (never rotated), under its own domain label.
enum OrderBuyerLink {
    static func mac(orderID: String, buyerUID: some Collection<UInt8>, keyRing: KeyRing) throws -> Data {
        let key = keyRing.primary(.auditPseudonym)
        return Data(try BLAKE2b.hash(key: key.secret, outputByteCount: 16) { hash in
            hash.update(Array("bg.order-buyer.v1|".utf8))
            hash.update(Array(orderID.utf8))
            hash.update([0x7C])
            hash.update(Array(buyerUID))
        })
    }

    static func isValid(_ stored: Data?, orderID: String, buyerUID: [UInt8], keyRing: KeyRing) throws -> Bool {
        guard let stored else { return false }
        return constantTimeEquals([UInt8](stored), [UInt8](try mac(orderID: orderID, buyerUID: buyerUID, keyRing: keyRing)))
    }

    /// Links the orders that have no link yet: once, when a vault from before links is upgraded
    /// (generation 1 to 2, see ``MasterKeySchedule/keyCheckValue(vaultID:generation:)``). A vault of
    /// generation 2 is never backfilled: an order without a valid link there is refused.
    static func backfill(_ database: DatabaseFile, keyRing: KeyRing) async throws {
        try await database.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT orders.id, orders.order_id, buyers.uid FROM orders JOIN buyers ON buyers.id = orders.buyer_id WHERE orders.buyer_link IS NULL
                """)
            for row in rows {
                try db.execute(sql: "UPDATE orders SET buyer_link = ? WHERE id = ?",
                               arguments: [try mac(orderID: row["order_id"], buyerUID: [UInt8](row["uid"] as Data), keyRing: keyRing), row["id"] as Int64])
            }
        }
    }
}
