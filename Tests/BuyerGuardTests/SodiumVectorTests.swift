import CSodium
import Foundation
import Testing
@testable import BuyerGuard

/// The sodium layer against published vectors (Wycheproof, RFC 7693, RFC 8032), not only round trips.
@Suite struct SodiumVectorTests {
    struct AEADCase: Sendable, CustomTestStringConvertible {
        let id: Int
        let key, nonce, aad, message, ciphertext, tag: [UInt8]
        let valid: Bool
        var testDescription: String { "tcId \(id)" }
    }

    static let xchachaCases: [AEADCase] = {
        guard let root = try? Fixtures.json("wycheproof/xchacha20_poly1305_test.json") else { return [] }
        var cases: [AEADCase] = []
        for group in root["testGroups"] as! [[String: Any]] {
            for test in group["tests"] as! [[String: Any]] {
                cases.append(AEADCase(
                    id: test["tcId"] as! Int, key: .init(hex: test["key"] as! String), nonce: .init(hex: test["iv"] as! String),
                    aad: .init(hex: test["aad"] as! String), message: .init(hex: test["msg"] as! String),
                    ciphertext: .init(hex: test["ct"] as! String), tag: .init(hex: test["tag"] as! String),
                    valid: test["result"] as! String == "valid"))
            }
        }
        return cases
    }()

    @Test func wycheproofFileIsComplete() {
        #expect(Self.xchachaCases.count == 315)
        #expect(Self.xchachaCases.filter(\.valid).count == 246)
    }

    @Test(arguments: xchachaCases)
    func xchacha20Poly1305(_ test: AEADCase) throws {
        try Sodium.ensureInitialized()
        let key = test.key.withUnsafeBytes { SecureBytes(copying: $0) }
        if test.valid {
            let sealed = try XChaCha20Poly1305.seal(test.message, key: key, nonce: test.nonce, authenticating: test.aad)
            #expect(sealed == test.ciphertext + test.tag)
            let opened = try XChaCha20Poly1305.open(test.ciphertext + test.tag, key: key, nonce: test.nonce, authenticating: test.aad)
            #expect(opened.bytes == test.message)
        } else {
            // Invalid: a modified tag or ciphertext, or a nonce of the wrong size. Opening must fail, with a typed error.
            #expect(throws: BuyerGuardError.self) {
                _ = try XChaCha20Poly1305.open(test.ciphertext + test.tag, key: key, nonce: test.nonce, authenticating: test.aad)
            }
        }
    }

    @Test func draftArciszewskiVectorIsCaseOne() throws {
        let first = try #require(Self.xchachaCases.first)
        #expect(first.id == 1)
        #expect(first.valid)
        #expect(first.nonce == [UInt8](hex: "404142434445464748494a4b4c4d4e4f5051525354555657"))
    }

    @Test func openFailsWithWrongAssociatedData() throws {
        let key = SecureBytes(randomCount: 32)
        let nonce = randomBytes(24)
        let sealed = try XChaCha20Poly1305.seal(Array("hello".utf8), key: key, nonce: nonce, authenticating: [1])
        let error = #expect(throws: BuyerGuardError.self) {
            _ = try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: [2])
        }
        #expect(error?.code == .corruptCiphertext)
    }

    // MARK: Ed25519

    struct SignatureCase: Sendable, CustomTestStringConvertible {
        let id: Int
        let publicKey, message, signature: [UInt8]
        let valid: Bool
        var testDescription: String { "tcId \(id)" }
    }

    static let ed25519Cases: [SignatureCase] = {
        guard let root = try? Fixtures.json("wycheproof/ed25519_test.json") else { return [] }
        var cases: [SignatureCase] = []
        for group in root["testGroups"] as! [[String: Any]] {
            let publicKey = [UInt8](hex: (group["publicKey"] as! [String: Any])["pk"] as! String)
            for test in group["tests"] as! [[String: Any]] {
                cases.append(SignatureCase(
                    id: test["tcId"] as! Int, publicKey: publicKey, message: .init(hex: test["msg"] as! String),
                    signature: .init(hex: test["sig"] as! String), valid: test["result"] as! String == "valid"))
            }
        }
        return cases
    }()

    @Test func ed25519FileIsComplete() {
        #expect(Self.ed25519Cases.count == 151)
    }

    @Test(arguments: ed25519Cases)
    func ed25519Verify(_ test: SignatureCase) {
        #expect(Ed25519.isValidSignature(test.signature, for: test.message, publicKey: test.publicKey) == test.valid)
    }

    /// RFC 8032, section 7.1, TEST 1 and TEST 2: signing is deterministic, so the signature must match.
    @Test(arguments: [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ])
    func ed25519SignRFC8032(seed: String, publicKey: String, message: String, signature: String) throws {
        let seedBytes = [UInt8](hex: seed).withUnsafeBytes { SecureBytes(copying: $0) }
        let pair = try Ed25519.keyPair(seed: seedBytes)
        #expect(pair.publicKey == [UInt8](hex: publicKey))
        let signed = try Ed25519.sign([UInt8](hex: message), secretKey: pair.secretKey)
        #expect(signed == [UInt8](hex: signature))
        #expect(Ed25519.isValidSignature(signed, for: [UInt8](hex: message), publicKey: pair.publicKey))
    }

    // MARK: BLAKE2b and KDF

    @Test func blake2bRFC7693AppendixA() throws {
        try Sodium.ensureInitialized()
        let digest = try BLAKE2b.hash(Array("abc".utf8), key: nil, outputByteCount: 64)
        #expect(digest == [UInt8](hex: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"))
    }

    /// The BLAKE2 reference KAT (`blake2b-kat.txt`), keyed with bytes 00..3f.
    @Test func blake2bKeyedKAT() throws {
        let key = [UInt8](0..<64).withUnsafeBytes { SecureBytes(copying: $0) }
        #expect(try BLAKE2b.hash([], key: key, outputByteCount: 64) == [UInt8](hex: "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"))
        #expect(try BLAKE2b.hash([0, 1, 2], key: key, outputByteCount: 64) == [UInt8](hex: "33d0825dddf7ada99b0e7e307104ad07ca9cfd9692214f1561356315e784f3e5a17e364ae9dbb14cb2036df932b77f4b292761365fb328de7afdc6d8998f5fc1"))
    }

    @Test func blake2bRejectsBadLengths() {
        #expect(throws: BuyerGuardError.self) { _ = try BLAKE2b.hash([], key: nil, outputByteCount: 8) }
        #expect(throws: BuyerGuardError.self) { _ = try BLAKE2b.hash([], key: nil, outputByteCount: 65) }
    }

    /// crypto_kdf is BLAKE2b keyed with the master key, salt = little-endian id, personal = context:
    /// check the derivation against that definition, computed independently.
    @Test func kdfMatchesItsBLAKE2bDefinition() throws {
        try Sodium.ensureInitialized()
        let master = [UInt8](0..<32)
        let masterKey = master.withUnsafeBytes { SecureBytes(copying: $0) }
        for id: UInt64 in [0, 1, 2, 0xFFFF_FFFF_FFFF] {
            let derived = try KeyDerivation.deriveKey(from: masterKey, id: id, context: .init("BGmaster"))
            var salt = [UInt8](repeating: 0, count: 16)
            for byte in 0..<8 { salt[byte] = UInt8(truncatingIfNeeded: id >> (8 * UInt64(byte))) }
            var personal = [UInt8](repeating: 0, count: 16)
            personal.replaceSubrange(0..<8, with: Array("BGmaster".utf8))
            var expected = [UInt8](repeating: 0, count: 32)
            let status = crypto_generichash_blake2b_salt_personal(&expected, 32, nil, 0, master, 32, salt, personal)
            #expect(status == 0)
            #expect(derived.bytes == expected)
        }
    }

    @Test func argon2idIsDeterministicPerSalt() throws {
        try Sodium.ensureInitialized()
        let passphrase = Array("correct horse battery staple".utf8).withUnsafeBytes { SecureBytes(copying: $0) }
        let salt = [UInt8](repeating: 7, count: 16)
        let a = try PasswordHash.deriveKey(passphrase: passphrase, salt: salt, strength: .interactive)
        let b = try PasswordHash.deriveKey(passphrase: passphrase, salt: salt, strength: .interactive)
        let c = try PasswordHash.deriveKey(passphrase: passphrase, salt: [UInt8](repeating: 8, count: 16), strength: .interactive)
        #expect(a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(throws: BuyerGuardError.self) {
            _ = try PasswordHash.deriveKey(passphrase: passphrase, salt: [1, 2, 3], strength: .interactive)
        }
    }

    @Test func secureBytesComparesInConstantTimeAndByLength() {
        let a = [UInt8](repeating: 1, count: 32).withUnsafeBytes { SecureBytes(copying: $0) }
        let b = [UInt8](repeating: 1, count: 32).withUnsafeBytes { SecureBytes(copying: $0) }
        let c = [UInt8](repeating: 1, count: 31).withUnsafeBytes { SecureBytes(copying: $0) }
        #expect(a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(constantTimeEquals([1, 2], [1, 2]))
        #expect(!constantTimeEquals([1, 2], [1, 3]))
    }
}
