import Foundation
import Testing
@testable import BuyerGuard

@Suite struct KeyProviderTests {
    let context = VaultKeyContext(vaultID: "00", passphraseSalt: [UInt8](repeating: 1, count: 16))

    @Test func keyFileRoundTripWithMode0600() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("master.key").path
        let key = try MasterKey.generate()
        try KeyFileProvider.write(key, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try await KeyFileProvider(path: path).masterKey(for: context)
        #expect(loaded.secret.constantTimeEquals(key.secret))
    }

    @Test func keyFileIsNeverOverwritten() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("master.key").path
        try KeyFileProvider.write(try MasterKey.generate(), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: BuyerGuardError.self) { try KeyFileProvider.write(try MasterKey.generate(), to: path) }
        #expect(error?.code == .alreadyExists)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o666])
    func keyFileReadableByOthersIsRefused(mode: Int) async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("master.key").path
        try KeyFileProvider.write(try MasterKey.generate(), to: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await KeyFileProvider(path: path).masterKey(for: context) }
        #expect(error?.code == .insecureKeyFile)
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test func ownerReadOnlyKeyFileIsAccepted() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("master.key").path
        try KeyFileProvider.write(try MasterKey.generate(), to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        _ = try KeyFileProvider(path: path).load()
    }

    @Test(arguments: ["", "not a key", String(repeating: "a", count: 63), String(repeating: "g", count: 64), "AAAA"])
    func malformedKeysAreRejected(text: String) throws {
        let error = #expect(throws: BuyerGuardError.self) { _ = try MasterKey(encoded: text) }
        #expect(error?.code == .invalidKey)
    }

    @Test func hexAndBase64AreBothRead() throws {
        let bytes = [UInt8](0..<32)
        let hex = bytes.hexString
        let base64 = Data(bytes).base64EncodedString()
        #expect(try MasterKey(encoded: "  \(hex)\n").secret.bytes == bytes)
        #expect(try MasterKey(encoded: base64).secret.bytes == bytes)
        #expect(try MasterKey(encoded: hex).hexEncoded() == hex)
    }

    @Test func missingKeyFileIsAClearError() throws {
        let error = #expect(throws: BuyerGuardError.self) { _ = try KeyFileProvider(path: "/nonexistent/buyerguard.key").load() }
        #expect(error?.code == .invalidKey)
        #expect(error?.location == "/nonexistent/buyerguard.key")
    }

    @Test func environmentVariable() async throws {
        let key = try MasterKey.generate()
        let provider = EnvironmentKeyProvider(environment: ["BUYERGUARD_MASTER_KEY": key.hexEncoded()])
        #expect(try await provider.masterKey(for: context).secret.constantTimeEquals(key.secret))
        let missing = EnvironmentKeyProvider(environment: [:])
        let error = await #expect(throws: BuyerGuardError.self) { _ = try await missing.masterKey(for: context) }
        #expect(error?.message.contains("BUYERGUARD_MASTER_KEY") == true)
    }

    @Test func keyDescriptionsRevealNothing() throws {
        let key = try MasterKey.generate()
        #expect(!"\(key)".contains(key.hexEncoded()))
        #expect(!String(reflecting: key).contains(key.hexEncoded().prefix(8)))
    }

    @Test func passphraseOpensOnlyWithTheSamePassphrase() async throws {
        let folder = try TemporaryFolder()
        let url = folder.path("vault")
        let vault = try await Vault.create(at: url, keyProvider: PassphraseKeyProvider(passphrase: "tre tigri contro tre tigri", strength: .interactive))
        try await vault.store(.sample(), actor: "test")
        _ = try await Vault.open(at: url, keyProvider: PassphraseKeyProvider(passphrase: "tre tigri contro tre tigri", strength: .interactive))
        let error = await #expect(throws: BuyerGuardError.self) {
            _ = try await Vault.open(at: url, keyProvider: PassphraseKeyProvider(passphrase: "tre tigri contro tre tigre", strength: .interactive))
        }
        #expect(error?.code == .wrongMasterKey)
    }
}
