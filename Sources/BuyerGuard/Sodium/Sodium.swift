internal import CSodium

/// One-time libsodium initialisation. Every entry point of the sodium layer calls ``ensureInitialized()``.
enum Sodium {
    private static let initialization: Result<Void, BuyerGuardError> = {
        if sodium_init() < 0 {
            return .failure(BuyerGuardError(.sodium, "libsodium could not be initialised"))
        }
        return .success(())
    }()

    /// Initialises libsodium once; cheap afterwards.
    static func ensureInitialized() throws {
        try initialization.get()
    }

    /// The libsodium version string, for `status` and bug reports.
    static var version: String {
        String(cString: sodium_version_string())
    }
}
