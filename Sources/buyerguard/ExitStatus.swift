import ArgumentParser
import BuyerGuard

/// The process exit codes, one per kind of outcome a script may want to tell apart.
enum ExitStatus: Int32 {
    case success = 0
    case failure = 1
    /// The command finished, but some input rows were rejected (listed on stderr).
    case rowsRejected = 2
    case wrongMasterKey = 3
    case insecureKeyFile = 4
    /// `audit verify` found the log altered, cut short or rewritten.
    case auditTampered = 5
    /// The broker refused the request (reason on stderr).
    case accessDenied = 6
    /// The audit log could not be written; nothing was released.
    case auditUnavailable = 7
    /// `audit scan` found misuse at or above the threshold.
    case findings = 8
    case usage = 64
    case dataError = 65
    case notFound = 66
    case cannotCreate = 73
    case ioError = 74
    /// A database was busy (another process held its write lock past the timeout); nothing changed, try again.
    case busy = 75

    static func code(for error: BuyerGuardError) -> ExitStatus {
        switch error.code {
        case .wrongMasterKey: .wrongMasterKey
        case .insecureKeyFile: .insecureKeyFile
        case .malformedInput, .invalidOrderID, .corruptCiphertext, .unsupportedFormat: .dataError
        case .vaultNotFound, .inputNotFound, .orderNotFound: .notFound
        case .auditTampered, .vaultTampered: .auditTampered
        case .accessDenied: .accessDenied
        case .auditUnavailable: .auditUnavailable
        case .alreadyExists: .cannotCreate
        case .io, .storage: .ioError
        case .busy: .busy
        case .invalidKey, .invalidArgument: .usage
        default: .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
