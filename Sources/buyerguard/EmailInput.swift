import ArgumentParser
import BuyerGuard
import Foundation

/// A buyer's email given to a command: on the command line (visible to other users of the machine
/// in `ps` and `/proc/PID/cmdline` while it runs), or safer, from a file or standard input.
struct EmailInput: ParsableArguments {
    @Option(name: .customLong("email"), help: "The buyer's email (visible to other users in `ps`: prefer --email-file).")
    var email: String?

    @Option(name: .customLong("email-file"), help: ArgumentHelp("Read the email from this file's first line, or from standard input with -.", valueName: "path"))
    var emailFile: String?

    var isGiven: Bool { email != nil || emailFile != nil }

    func validate() throws {
        if email != nil && emailFile != nil { throw ValidationError("give --email or --email-file, not both") }
    }

    /// The email, read from wherever it was given; `nil` if neither option was.
    func read() throws -> String? { try Self.read(email: email, file: emailFile) }

    /// An email given as `email`, or in `emailFile` (`-`: standard input).
    static func read(email: String?, file emailFile: String?) throws -> String? {
        if let email { return email }
        guard let emailFile else { return nil }
        let data = try Terminal.readInput(emailFile, what: "the email file")
        let text = String(decoding: data.prefix(4096), as: UTF8.self)
        guard let line = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !line.isEmpty else {
            throw BuyerGuardError(.invalidArgument, "no email in \(emailFile == "-" ? "standard input" : emailFile)")
        }
        return line
    }
}
