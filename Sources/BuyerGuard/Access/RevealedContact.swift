/// The fields the broker released for one request, alive only inside the closure that receives
/// them.
///
/// The closure borrows it: it is not copyable, not `Sendable`, and cannot be returned from the
/// closure, stored or sent to another task (`withAccess(request) { $0 }` does not compile). When
/// the closure returns, every released byte is zeroed at once. Nothing here prints the values.
/// What the closure copies out (a `String` from ``string(_:)``) is the caller's to keep short.
public struct RevealedContact: ~Copyable {
    let values: [ContactField: SecureBytes]
    /// The sequence number of the grant's audit entry.
    let entry: Int64

    init(values: [ContactField: SecureBytes], entry: Int64) {
        self.values = values
        self.entry = entry
    }

    deinit {
        for value in values.values { value.zero() }
    }

    /// The fields released (a field the order lacks is absent).
    public var fields: [ContactField] { values.keys.sorted() }

    /// Calls `body` with a field's UTF-8 bytes, without making a `String` (which Swift cannot wipe).
    public func withUTF8<R>(_ field: ContactField, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let value = values[field] else { return nil }
        return try value.withUnsafeBytes(body)
    }

    /// A field as a `String`. Convenient for labels and templates; keep the string short-lived.
    public func string(_ field: ContactField) -> String? {
        withUTF8(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// The released field names, never the values.
    public var description: String { "RevealedContact(\(fields.map(\.rawValue).joined(separator: ", ")); values redacted)" }
}
