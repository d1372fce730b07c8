/// A buyer contact field that BuyerGuard holds encrypted.
///
/// Raw values are the names used on the command line, in the audit log and in the
/// associated data of each ciphertext; they never change once released.
public enum ContactField: String, CaseIterable, Sendable, Codable, Comparable {
    /// The buyer's email (on Amazon, an anonymised relay address).
    case buyerEmail = "buyer-email"
    /// The buyer's name.
    case buyerName = "buyer-name"
    /// The buyer's phone number, when the marketplace shares it. Never stored: no purpose the
    /// marketplace allows reads it (the carrier's number is ``shipPhone``), so the vault drops it
    /// on the way in (data minimisation). Kept as a name so reports that carry it still parse.
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
    /// Fields some permitted purpose may read: the only ones the vault keeps.
    public static let stored: Set<ContactField> = Set(allCases.filter { field in
        [Purpose.shipping, .orderMessaging(.orderUnavailable), .customerSupport(caseID: "-")].contains { $0.allowedFields.contains(field) }
    })

    /// Position in ``allCases``, for array-backed storage and bit sets.
    public var index: Int {
        switch self {
        case .buyerEmail: 0
        case .buyerName: 1
        case .buyerPhone: 2
        case .recipientName: 3
        case .addressLine1: 4
        case .addressLine2: 5
        case .addressLine3: 6
        case .city: 7
        case .stateOrRegion: 8
        case .postalCode: 9
        case .countryCode: 10
        case .shipPhone: 11
        }
    }

    /// The column that holds this field's ciphertext.
    var column: String { Self.columns[index] }

    /// The raw value's UTF-8 bytes, as bound into associated data and digests.
    var nameBytes: [UInt8] { Self.names[index] }

    private static let names = allCases.map { Array($0.rawValue.utf8) }
    private static let columns = allCases.map { $0.rawValue.replacingOccurrences(of: "-", with: "_") }

    public static func < (lhs: ContactField, rhs: ContactField) -> Bool {
        lhs.index < rhs.index
    }
}
