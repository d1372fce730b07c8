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
    case usage = 64
    case dataError = 65
    case notFound = 66
    case cannotCreate = 73
    case ioError = 74

    static func code(for error: BuyerGuardError) -> ExitStatus {
        switch error.code {
        case .wrongMasterKey: .wrongMasterKey
        case .insecureKeyFile: .insecureKeyFile
        case .malformedInput, .invalidOrderID, .corruptCiphertext, .unsupportedFormat: .dataError
        case .vaultNotFound, .inputNotFound: .notFound
        case .alreadyExists: .cannotCreate
        case .io, .storage: .ioError
        case .invalidKey, .invalidArgument: .usage
        default: .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
