import Foundation
import GRDB
import Testing
@testable import BuyerGuard

/// Who really asked: the authenticated identity is logged beside the claimed actor, hashed into
/// the chain, and a policy that binds identities to actors denies a claim the identity may not make.
@Suite struct AuthenticatedIdentityTests {
    static let anna = AuthenticatedIdentity(name: "user:anna", annotation: "session=s-1")
    static let policy: AccessPolicy = {
        var policy = AccessPolicy()
        policy.identityActors = ["user:anna": ["anna@shop.example"], "service:printer": ["label-printer"], "user:owner": ["*"]]
        return policy
    }()

    func request(_ fixture: BrokerFixture, actor: String, identity: AuthenticatedIdentity?) -> AccessRequest {
        AccessRequest(actor: actor, purpose: .shipping, orderID: BrokerFixture.orderA, identity: identity)
    }

    @Test func theRequestsIdentityIsLoggedBesideTheActorElseTheVaults() async throws {
        var configuration = VaultConfiguration()
        configuration.identity = AuthenticatedIdentity(name: "service:app-server", annotation: "pid=42")
        let fixture = try await BrokerFixture.make(configuration: configuration)
        _ = try await fixture.attempt(request(fixture, actor: "anna@shop.example", identity: Self.anna)).get()
        _ = try await fixture.attempt(request(fixture, actor: "order-sync", identity: nil)).get()
        let entries = try fixture.entries()
        #expect(entries.filter { $0.kind == "access" }.map(\.identity) == ["user:anna session=s-1", "service:app-server pid=42"])
        // The vault's own events (creation, orders stored) carry the vault's identity too.
        #expect(entries.filter { $0.kind != "access" }.allSatisfy { $0.identity == "service:app-server pid=42" })
        #expect(try fixture.vault.auditLog.verify().isIntact)
    }

    @Test func aClaimTheIdentityMayNotMakeIsDeniedAndLogged() async throws {
        let fixture = try await BrokerFixture.make(policy: Self.policy)
        _ = try await fixture.attempt(request(fixture, actor: "anna@shop.example", identity: Self.anna)).get()
        let cases: [(String, AuthenticatedIdentity?, String)] = [
            ("boss@shop.example", Self.anna, "actor-not-permitted"),  // anna claims to be the boss
            ("label-printer", AuthenticatedIdentity(name: "user:mallory"), "identity-not-bound"),
        ]
        for (actor, identity, reason) in cases {
            let result = try await fixture.attempt(request(fixture, actor: actor, identity: identity))
            guard case .failure(let error) = result else {
                Issue.record("\(actor) as \(String(describing: identity)) was granted")
                continue
            }
            #expect(error.code == .accessDenied && error.message.contains(reason), "\(error)")
        }
        // `*` acts as anyone; with no identity at all, only require-identity denies.
        _ = try await fixture.attempt(request(fixture, actor: "boss@shop.example", identity: AuthenticatedIdentity(name: "user:owner"))).get()
        _ = try await fixture.attempt(request(fixture, actor: "boss@shop.example", identity: nil)).get()
        let denied = try fixture.entries().filter { $0.decision == .denied }
        #expect(denied.map(\.reason) == ["actor-not-permitted", "identity-not-bound"])
        #expect(denied.map(\.identity) == ["user:anna session=s-1", "user:mallory"])
        #expect(denied.allSatisfy { $0.fieldsReleased.isEmpty })

        var strict = Self.policy
        strict.requireIdentity = true
        #expect(strict.claimDenial(actor: "boss@shop.example", identity: nil) == .identityRequired)
    }

    @Test func operationsOutsideTheBrokerAreRefusedBeforeTheyRun() async throws {
        var configuration = VaultConfiguration()
        configuration.identity = Self.anna
        let fixture = try await BrokerFixture.make(configuration: configuration)
        try await fixture.vault.authorize(actor: "anna@shop.example", for: "purge", under: Self.policy)
        await #expect(throws: BuyerGuardError.self) {
            try await fixture.vault.authorize(actor: "buyerguard-cli", for: "purge", under: Self.policy)
        }
        let refused = try #require(try fixture.entries().last)
        #expect(refused.kind == "actor-refused" && refused.decision == .denied && refused.reason == "actor-not-permitted")
        #expect(refused.channel == "library")
        #expect(refused.details == #"{"operation":"purge"}"# && refused.identity == "user:anna session=s-1")
    }

    /// The documented encoding (docs/formats.md), recomputed here byte by byte: `01` and the text
    /// after `details` when the identity is set, nothing when it is not, so old entries keep their
    /// hash; then `02` and the explanation, when the entry has one.
    @Test func theIdentityIsHashedAsDocumentedAndOldEntriesKeepTheirHash() async throws {
        let fixture = try await BrokerFixture.make()
        _ = try await fixture.attempt(request(fixture, actor: "anna@shop.example", identity: Self.anna))
        _ = try await fixture.attempt(request(fixture, actor: "anna@shop.example", identity: nil))
        let rows = try fixture.vault.auditLog.database.read { db -> [Row] in
            try Row.fetchAll(db, sql: "SELECT * FROM entries WHERE kind = 'access' ORDER BY seq")
        }
        #expect(rows.count == 2)
        for row in rows {
            var bytes = Array("bg.audit.v1".utf8) + [UInt8](row["prev_hash"] as Data)
            func integer(_ value: Int64) { bytes += withUnsafeBytes(of: value.bigEndian, Array.init) }
            func text(_ value: String?) {
                guard let value else { return bytes += [0xFF, 0xFF, 0xFF, 0xFF] }
                bytes += withUnsafeBytes(of: UInt32(value.utf8.count).bigEndian, Array.init) + Array(value.utf8)
            }
            integer(row["seq"])
            integer(row["time_ms"])
            for column in ["kind", "actor", "role", "purpose", "message_kind", "case_id", "order_id", "buyer", "fields_asked",
                           "fields_released", "decision", "reason", "channel", "request_id", "order_status"] {
                text(row[column])
            }
            for column in ["days_since_purchase", "days_since_delivery"] {
                if let value = row[column] as Int64? { bytes += [1]; integer(value) } else { bytes += [0] }
            }
            text(row["details"])
            if let identity = row["identity"] as String? { bytes += [1]; text(identity) }
            if let explanation = row["explanation"] as String? { bytes += [2]; text(explanation) }
            #expect(try BLAKE2b.hash(bytes, key: nil) == [UInt8](row["hash"] as Data))
        }
        try await fixture.vault.auditLog.database.write { db in
            try db.execute(sql: "UPDATE entries SET identity = 'user:owner' WHERE identity IS NOT NULL AND kind = 'access'")
        }
        let report = try fixture.vault.auditLog.verify()
        #expect(report.problems.first?.code == "hash-mismatch")
    }

    @Test func thePolicyFileBindsIdentities() throws {
        let policy = try AccessPolicy(toml: """
            require-identity = true
            [identities]
            "os-user:anna" = ["anna@shop.example"]
            "os-user:root" = ["*"]
            """)
        #expect(policy.requireIdentity)
        #expect(policy.identityActors == ["os-user:anna": ["anna@shop.example"], "os-user:root": ["*"]])
        #expect(policy.claimDenial(actor: "anna@shop.example", identity: AuthenticatedIdentity(name: "os-user:anna", annotation: "uid=1000")) == nil)
        #expect(policy.claimDenial(actor: "boss", identity: AuthenticatedIdentity(name: "os-user:anna")) == .actorNotPermitted)
        #expect(throws: BuyerGuardError.self) { try AccessPolicy(toml: "[identities]\n\"os-user:x\" = [\"\"]\n") }
        #expect(throws: BuyerGuardError.self) { try AccessPolicy(toml: "[identities]\n\"os-user:x\" = \"anna\"\n") }
    }

    /// The vault-wide identity fills every entry that names none: one with a control character is
    /// refused when the vault is opened or created, not written escaped into every entry.
    @Test func aVaultIdentityWithControlCharactersIsRefusedAtOpen() async throws {
        let test = try await TestVault.make()
        var configuration = VaultConfiguration()
        configuration.identity = AuthenticatedIdentity(name: "user:42\u{1B}[2K")
        let opening = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: test.vaultFolder, keyProvider: test.key, configuration: configuration)
        }
        #expect(opening?.code == .invalidArgument && opening?.message.contains("vault identity") == true)
        let elsewhere = try TemporaryFolder(#function)
        await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.create(at: elsewhere.path("vault"), keyProvider: try MasterKey.generate(), configuration: configuration)
        }
        #expect(!FileManager.default.fileExists(atPath: elsewhere.path("vault").path))
    }

    @Test func theOSUserIsNamedWithItsUID() {
        let me = AuthenticatedIdentity.operatingSystemUser()
        #expect(me.name.hasPrefix("os-user:") && me.annotation == "uid=\(getuid())")
        #expect(me.description == "\(me.name) uid=\(getuid())")
    }
}
