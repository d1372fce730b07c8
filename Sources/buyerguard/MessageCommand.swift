import ArgumentParser
import BuyerGuard
import BuyerGuardMessaging
import Foundation

struct MessageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Check outgoing buyer messages against the marketplace's communication rules.",
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report each rule a message breaks, with its place in the text; exit 6 when there is any.",
            discussion: "Plain text or HTML (detected). Italian, English, German, French and Spanish.")

        @Option(help: "order-unavailable, shipment-delay, return-confirmation, refund-confirmation, order-completion, review-request, or support.")
        var kind: String

        @Option(help: ArgumentHelp("email, or marketplace-api (adds the Messaging API's limits: no HTML, no email addresses, length, language).",
                                   valueName: "channel"))
        var channel: String = MessageChannel.email.rawValue

        @Option(help: ArgumentHelp("The buyer's language of preference (it, en-GB, ...), checked for --channel marketplace-api.",
                                   valueName: "language"))
        var buyerLanguage: String?

        @Option(help: "The message's order id.")
        var order: String

        @Option(help: ArgumentHelp("Output: text or json.", valueName: "format"))
        var format: OutputFormat = .text

        @Argument(help: "The message file, or - for standard input.")
        var file: String

        func run() async throws {
            guard let purpose = MessagePurpose(name: kind) else {
                throw ValidationError("--kind must be one of \(MessageKind.allCases.map(\.rawValue).joined(separator: ", ")), support")
            }
            guard let channel = MessageChannel(rawValue: channel) else {
                throw ValidationError("--channel must be one of \(MessageChannel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let orderID = try OrderID(order)
            let data = try Terminal.readInput(file, what: "the message")
            guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .windowsCP1252) else {
                throw BuyerGuardError(.malformedInput, "the message is not text", location: file)
            }
            if !MessageChecker.statisticalLayerLoaded {
                Terminal.warning("the message checker's statistical layer is missing (BuyerGuard_BuyerGuardMessaging.resources/message-model.bin beside the executable): only the phrase rules run")
            }
            let violations = MessageChecker().check(text, purpose: purpose, orderID: orderID, channel: channel, buyerLanguage: buyerLanguage)
            switch format {
            case .json:
                print(try JSONOutput.encode(violations))
            case .text:
                if violations.isEmpty { print("OK: no rule broken") }
                for violation in violations { print("\(file == "-" ? "<stdin>" : file):\(violation)") }
            }
            if !violations.isEmpty { throw ExitStatus.accessDenied.exitCode }
        }
    }
}
