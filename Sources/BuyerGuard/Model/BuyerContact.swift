/// A buyer's contact details as they arrive from the marketplace: the input to the vault.
///
/// This is plaintext the caller already holds (from an order report or the marketplace API).
/// The vault seals each field on the way in; nothing hands a `BuyerContact` back out.
/// Its descriptions, debug descriptions and mirror never show the values.
public struct BuyerContact: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Indexed by ``ContactField/index``: a fixed array is much cheaper than a dictionary keyed by a String-backed enum.
    private var values = [String?](repeating: nil, count: ContactField.allCases.count)

    /// An empty contact.
    public init() {}

    /// A contact from field values; empty strings count as absent.
    public init(_ values: [ContactField: String]) {
        for (field, value) in values { self[field] = value }
    }

    /// The value of `field`, or `nil`. Setting an empty or blank string removes the value.
    public subscript(field: ContactField) -> String? {
        get { values[field.index] }
        set {
            if let newValue, !newValue.trimmingASCIIWhitespace().isEmpty {
                values[field.index] = newValue
            } else {
                values[field.index] = nil
            }
        }
    }

    /// Sets a value already trimmed by the caller (the importer), skipping the check the subscript makes.
    mutating func setTrimmed(_ field: ContactField, _ value: String?) {
        values[field.index] = value
    }

    /// The fields that have a value.
    public var presentFields: [ContactField] { ContactField.allCases.filter { values[$0.index] != nil } }

    public var description: String { "BuyerContact(\(presentFields.count) fields, values redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": presentFields.map(\.rawValue)]) }
}
