import ArgumentParser
import BuyerGuard
import Foundation

struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "Read a buyer's fields through the broker, for one order and one permitted purpose.",
        discussion: """
            Prints the released fields as `field<TAB>value` lines (for label printing and scripts). \
            On denial prints nothing on stdout, the reason on stderr, and exits with 6. Every request, \
            granted or denied, is written to the audit log first.
            Purposes: shipping, order-messaging (--kind order-unavailable|shipment-delay|return-confirmation|\
            refund-confirmation|order-completion), customer-support (--case ID). Anything else is denied and logged.
            """)

    @OptionGroup var options: VaultOptions

    @Option(help: "Why: shipping, order-messaging or customer-support.")
    var purpose: String

    @Option(help: "The order id (NNN-NNNNNNN-NNNNNNN).")
    var order: String

    @Option(help: "Who is asking (your login or service name).")
    var actor: String

    @Option(help: "The message kind, with order-messaging.")
    var kind: String?

    @Option(name: .customLong("case"), help: "The support case id, with customer-support.")
    var caseID: String?

    @Option(parsing: .upToNextOption, help: "Fields wanted (default: all the purpose allows).")
    var fields: [String] = []

    @Option(help: "Your own request id, recorded in the audit log.")
    var requestID: String?

    @Option(help: ArgumentHelp("Output: text (field<TAB>value lines) or json.", valueName: "format"))
    var format: OutputFormat = .text

    func run() async throws {
        let orderID = try OrderID(order)
        var selection = FieldSelection.allowedForPurpose
        if !fields.isEmpty {
            var set = Set<ContactField>()
            for name in fields {
                guard let field = ContactField(rawValue: name) else {
                    throw ValidationError("unknown field '\(name)'; fields: \(ContactField.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                set.insert(field)
            }
            selection = .exactly(set)
        }
        let vault = try await options.openVault()
        let broker = AccessBroker(vault: vault, policy: try options.accessPolicy())
        let request = AccessRequest(
            actor: actor, purpose: Purpose(parsing: purpose, kind: kind, caseID: caseID), orderID: orderID,
            fields: selection, requestID: requestID, channel: .cli)
        let output = try await broker.withAccess(request) { contact in
            switch format {
            case .text:
                return contact.fields.compactMap { field in contact.string(field).map { "\(field.rawValue)\t\($0)" } }
                    .joined(separator: "\n")
            case .json:
                var object: [String: String] = [:]
                for field in contact.fields { object[field.rawValue] = contact.string(field) }
                return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
        }
        print(output)
    }
}
