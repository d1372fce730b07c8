public import Foundation
internal import CSodium

/// What a ``KeyProvider`` is told about the vault whose master key it must produce.
public struct VaultKeyContext: Sendable {
    /// The vault's random identifier (hex), stable for its lifetime.
    public let vaultID: String
    /// A random 16-byte salt stored in the vault, for providers that stretch a passphrase.
    public let passphraseSalt: [UInt8]

    /// Creates a context. The vault makes these; tests and custom providers may too.
    public init(vaultID: String, passphraseSalt: [UInt8]) {
        self.vaultID = vaultID
        self.passphraseSalt = passphraseSalt
    }
}

/// Supplies a vault's master key: from a file, an environment variable, a passphrase, or a KMS.
///
/// Implement this to fetch the key from a key management service; the vault calls it once when
/// it opens and checks the result against the key-check value it stores, so a wrong key is
/// reported as ``BuyerGuardError/Code/wrongMasterKey`` before anything is read.
public protocol KeyProvider: Sendable {
    /// Returns the master key for the vault described by `context`.
    func masterKey(for context: VaultKeyContext) async throws -> MasterKey
}

extension MasterKey: KeyProvider {
    /// A master key provides itself (for apps that fetch the key on their own, and for tests).
    public func masterKey(for context: VaultKeyContext) async throws -> MasterKey { self }
}

/// A master key kept in a file: 64 hex digits (what `buyerguard init` writes) or base64.
///
/// The file must be readable by its owner only (mode `0600` or `0400`); anything more open
/// is refused with ``BuyerGuardError/Code/insecureKeyFile`` and a `chmod` hint.
public struct KeyFileProvider: KeyProvider {
    /// The key file's path.
    public let path: String

    /// A provider reading the key from `path`.
    public init(path: String) {
        self.path = path
    }

    public func masterKey(for context: VaultKeyContext) async throws -> MasterKey {
        try load()
    }

    /// Reads and checks the key file: a regular file owned by the user running BuyerGuard (as ssh
    /// requires of its keys; a file another user planted is refused) and readable by its owner only.
    /// Its bytes are read into a buffer that is wiped, never into a `String`.
    public func load() throws -> MasterKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BuyerGuardError(.invalidKey, "cannot read key file: \(String(cString: strerror(errno)))", location: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw BuyerGuardError(.invalidKey, "key file is not a regular file", location: path)
        }
        guard info.st_uid == geteuid() else {
            throw BuyerGuardError(
                .insecureKeyFile,
                "key file is owned by uid \(info.st_uid), not by the user running BuyerGuard (uid \(geteuid())); refusing it. "
                    + "Use a key file you own (chown it, or make a new one)",
                location: path)
        }
        let openBits = info.st_mode & 0o077
        guard openBits == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw BuyerGuardError(
                .insecureKeyFile,
                "key file is readable by group or others (mode \(mode)); refusing it. Run: chmod 600 \(path)",
                location: path)
        }
        var bytes = [UInt8](repeating: 0, count: 4097)
        defer { wipe(&bytes) }
        let count = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        guard count > 0, count <= 4096 else {
            throw BuyerGuardError(.invalidKey, "key file is empty or too large", location: path)
        }
        var text = Array(bytes[..<count])
        defer { wipe(&text) }
        return try MasterKey(encodedBytes: text, source: "key file \(path)")
    }

    /// Writes `key` to a new file at `path` with mode 0600. Refuses to replace an existing file.
    public static func write(_ key: MasterKey, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST {
                throw BuyerGuardError(.alreadyExists, "a file already exists here; refusing to overwrite a key", location: path)
            }
            throw BuyerGuardError(.io, "cannot create key file: \(reason)", location: path)
        }
        defer { close(fd) }
        let complete = try key.withKeyFileText { text in Foundation.write(fd, text.baseAddress, text.count) == text.count }
        guard complete, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw BuyerGuardError(.io, "cannot write key file: \(reason)", location: path)
        }
        // The file's name is durable only once its folder is: a crash now must not lose the key.
        let folder = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            defer { close(folder) }
            guard fsync(folder) == 0 else {
                throw BuyerGuardError(.io, "cannot sync the key file's folder: \(String(cString: strerror(errno)))", location: path)
            }
        }
    }
}

/// A master key in an environment variable (64 hex digits or base64), for containers and CI.
public struct EnvironmentKeyProvider: KeyProvider {
    /// The default variable name.
    public static let defaultVariable = "BUYERGUARD_MASTER_KEY"
    /// The variable read.
    public let variable: String
    private let environment: [String: String]

    /// A provider reading `variable` from `environment` (the process environment by default).
    public init(variable: String = Self.defaultVariable, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.variable = variable
        self.environment = environment
    }

    public func masterKey(for context: VaultKeyContext) async throws -> MasterKey {
        guard let value = environment[variable], !value.isEmpty else {
            throw BuyerGuardError(.invalidKey, "environment variable \(variable) is not set")
        }
        return try MasterKey(encoded: value, source: "environment variable \(variable)")
    }
}

/// A master key stretched from a passphrase with Argon2id and the vault's own salt.
///
/// The same passphrase gives different keys for different vaults. Strength must stay the same
/// for the life of a vault (a different strength gives a different key: "wrong master key").
public struct PassphraseKeyProvider: KeyProvider {
    /// Argon2id work factors.
    public struct Strength: Sendable, Equatable {
        let value: PasswordHash.Strength
        /// About a second and 256 MiB: the default.
        public static let moderate = Strength(value: .moderate)
        /// 64 MiB and well under a second: for tests and small hosts.
        public static let interactive = Strength(value: .interactive)
    }

    private let passphrase: SecureBytes
    private let strength: Strength

    /// A provider for `passphrase`. The string is copied into a wiped buffer at once;
    /// Swift cannot wipe the caller's `String`, so keep it short-lived.
    public init(passphrase: String, strength: Strength = .moderate) {
        var bytes = Array(passphrase.utf8)
        defer { wipe(&bytes) }
        self.passphrase = bytes.withUnsafeBytes { SecureBytes(copying: $0, lockInMemory: true) }
        self.strength = strength
    }

    public func masterKey(for context: VaultKeyContext) async throws -> MasterKey {
        try Sodium.ensureInitialized()
        guard passphrase.count > 0 else { throw BuyerGuardError(.invalidKey, "the passphrase is empty") }
        return MasterKey(secret: try PasswordHash.deriveKey(
            passphrase: passphrase, salt: context.passphraseSalt, strength: strength.value))
    }
}
