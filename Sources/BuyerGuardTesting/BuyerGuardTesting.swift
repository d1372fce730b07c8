public import BuyerGuard
public import Foundation
import Synchronization

/// A clock that stays where you put it, for tests of retention windows and audit times.
public final class ManualClock: BuyerGuardClock, Sendable {
    private let current: Mutex<Date>

    /// A clock showing `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_793_577_600)) {  // 2026-11-02T00:00:00Z
        current = Mutex(start)
    }

    /// The time it shows.
    public var now: Date { current.withLock { $0 } }

    /// Sets the time.
    public func set(_ date: Date) { current.withLock { $0 = date } }

    /// Moves the time forward by `interval` seconds.
    public func advance(by interval: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(interval) } }

    /// Moves the time forward by whole days.
    public func advance(days: Int) { advance(by: TimeInterval(days) * 86_400) }
}

/// A vault in a fresh temporary folder with a random in-memory master key, removed when released.
/// For app developers' own tests: real libsodium, real SQLite, no key files.
public final class TemporaryVault: Sendable {
    /// The vault.
    public let vault: Vault
    /// Its master key (in memory only).
    public let masterKey: MasterKey
    /// The temporary folder holding `vault/`.
    public let folder: URL

    /// Creates the vault; `clock` drives the broker's windows and the audit log's times.
    public init(clock: any BuyerGuardClock = ManualClock(), configuration: VaultConfiguration = VaultConfiguration()) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-testing-\(UUID().uuidString)")
        masterKey = try MasterKey.generate()
        vault = try await Vault.create(
            at: folder.appendingPathComponent("vault"), keyProvider: masterKey, configuration: configuration, clock: clock)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The vault folder.
    public var vaultFolder: URL { folder.appendingPathComponent("vault") }
}
