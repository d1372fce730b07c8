internal import CSodium

/// A heap buffer for secrets and plaintext.
///
/// Wiped with `sodium_memzero` when the last reference goes away. Keys are also locked in RAM
/// with `sodium_mlock` where the process is allowed to (a failing `mlock` is not an error:
/// containers often forbid it). Immutable after creation, so it may cross tasks.
final class SecureBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// The number of meaningful bytes.
    let count: Int
    private let isLocked: Bool

    /// Allocates `count` bytes and lets `initialize` fill them; the buffer is wiped if it throws.
    init<E: Error>(
        count: Int,
        lockInMemory: Bool = false,
        initializingWith initialize: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        self.storage = buffer
        self.count = count
        self.isLocked = lockInMemory && sodium_mlock(buffer.baseAddress!, buffer.count) == 0
        try initialize(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// A copy of `bytes`. The caller stays responsible for wiping its own copy.
    convenience init(copying bytes: UnsafeRawBufferPointer, lockInMemory: Bool = false) {
        self.init(count: bytes.count, lockInMemory: lockInMemory) { buffer in
            buffer.copyMemory(from: bytes)
        }
    }

    /// `count` bytes from the operating system's secure random source.
    convenience init(randomCount count: Int, lockInMemory: Bool = true) {
        self.init(count: count, lockInMemory: lockInMemory) { buffer in
            randombytes_buf(buffer.baseAddress!, buffer.count)
        }
    }

    deinit {
        if isLocked {
            sodium_munlock(storage.baseAddress!, storage.count)  // zeroes, then unlocks
        } else {
            sodium_memzero(storage.baseAddress!, storage.count)
        }
        storage.deallocate()
    }

    /// Zeroes the bytes now, before the buffer goes away (which zeroes them again).
    func zero() {
        sodium_memzero(storage.baseAddress!, storage.count)
    }

    /// Read access to the bytes. Do not let the pointer escape.
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Constant-time comparison: the time taken does not depend on where the bytes differ.
    func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in
                sodium_memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
    }

    /// Constant-time comparison with plain bytes (a stored MAC, say).
    func constantTimeEquals(_ other: [UInt8]) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in
                sodium_memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
    }
}

/// Constant-time equality of two plain byte arrays (MACs, hashes).
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    if lhs.isEmpty { return true }
    return lhs.withUnsafeBytes { a in
        rhs.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, lhs.count) == 0 }
    }
}

/// Wipes a plain array in place. For the few places where a secret had to pass through `[UInt8]`.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
}
