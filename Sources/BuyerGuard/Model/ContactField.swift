/// A buyer contact field that BuyerGuard holds encrypted.
///
/// Raw values are the names used on the command line, in the audit log and in the
/// associated data of each ciphertext; they never change once released.
public enum ContactField: String, CaseIterable, Sendable, Codable, Comparable {
    /// The buyer's email (on Amazon, an anonymised relay address).
    case buyerEmail = "buyer-email"
    /// The buyer's name.
    case buyerName = "buyer-name"
    /// The buyer's phone number, when the marketplace shares it.
    case buyerPhone = "buyer-phone"
    /// The name on the shipping label.
    case recipientName = "recipient-name"
    /// Shipping address, first line.
    case addressLine1 = "address-line-1"
    /// Shipping address, second line.
    case addressLine2 = "address-line-2"
    /// Shipping address, third line.
    case addressLine3 = "address-line-3"
    /// Shipping city.
    case city
    /// Shipping state, province or region.
    case stateOrRegion = "state-or-region"
    /// Shipping postal code.
    case postalCode = "postal-code"
    /// Shipping country code (ISO 3166-1 alpha-2).
    case countryCode = "country-code"
    /// Phone number for the carrier.
    case shipPhone = "ship-phone"

    /// Fields stored once per buyer (shared by all the buyer's orders).
    public static let buyerLevel: [ContactField] = [.buyerEmail, .buyerName]
    /// Fields stored with each order (the shipping contact can differ from order to order).
    public static let orderLevel: [ContactField] = allCases.filter { !buyerLevel.contains($0) }

    /// The column that holds this field's ciphertext.
    var column: String { rawValue.replacingOccurrences(of: "-", with: "_") }

    public static func < (lhs: ContactField, rhs: ContactField) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
