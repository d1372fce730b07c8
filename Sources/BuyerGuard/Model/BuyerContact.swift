/// A buyer's contact details as they arrive from the marketplace: the input to the vault.
///
/// This is plaintext the caller already holds (from an order report or the marketplace API).
/// The vault seals each field on the way in; nothing hands a `BuyerContact` back out.
/// Its descriptions, debug descriptions and mirror never show the values.
public struct BuyerContact: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var values: [ContactField: String] = [:]

    /// An empty contact.
    public init() {}

    /// A contact from field values; empty strings count as absent.
    public init(_ values: [ContactField: String]) {
        for (field, value) in values { self[field] = value }
    }

    /// The value of `field`, or `nil`. Setting an empty or blank string removes the value.
    public subscript(field: ContactField) -> String? {
        get { values[field] }
        set {
            if let newValue, !newValue.trimmingASCIIWhitespace().isEmpty {
                values[field] = newValue
            } else {
                values[field] = nil
            }
        }
    }

    /// The fields that have a value.
    public var presentFields: [ContactField] { ContactField.allCases.filter { values[$0] != nil } }

    public var description: String { "BuyerContact(\(values.count) fields, values redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": presentFields.map(\.rawValue)]) }
}
