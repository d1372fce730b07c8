/// The fields the broker released for one request, alive only inside the closure that receives
/// them. The bytes sit in buffers that are wiped when the closure returns; nothing here prints them.
public struct RevealedContact: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let values: [ContactField: SecureBytes]

    init(values: [ContactField: SecureBytes]) {
        self.values = values
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

    public var description: String { "RevealedContact(\(fields.map(\.rawValue).joined(separator: ", ")); values redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": fields.map(\.rawValue)]) }
}
