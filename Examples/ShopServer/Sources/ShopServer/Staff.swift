import BuyerGuard
import Foundation
import Hummingbird

/// Someone on the shop's staff, as the back office authenticated them.
public struct StaffMember: Sendable, Hashable {
    /// Their login: the broker's actor in every audit entry.
    public var login: String

    public init(login: String) { self.login = login }

    /// What the audit log records as who the app authenticated (matched by a policy's `[identities]`).
    var identity: AuthenticatedIdentity { AuthenticatedIdentity(name: "user:\(login)", annotation: "via=shop-server") }
}

/// Bearer tokens and the staff they belong to. Tokens are compared in constant time and never
/// logged; a real shop keeps them in its session store or identity provider.
public struct StaffDirectory: Sendable {
    private let members: [(token: [UInt8], member: StaffMember)]

    /// `tokens` maps each token (at least 32 characters) to a staff login.
    public init(tokens: [String: String]) throws {
        members = try tokens.map { token, login in
            guard token.utf8.count >= 32 else { throw BuyerGuardError(.invalidArgument, "a staff token is at least 32 characters (\(login)'s is not)") }
            guard !login.isEmpty, login.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                throw BuyerGuardError(.invalidArgument, "a staff login is letters, digits, '.', '_' or '-'")
            }
            return (Array(token.utf8), StaffMember(login: login))
        }
    }

    /// Reads a file of `token<TAB>login` lines (`#` starts a comment); it must be 0600.
    public init(contentsOf url: URL) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BuyerGuardError(.inputNotFound, "cannot read the staff tokens file", location: url.path)
        }
        if let mode = attributes?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw BuyerGuardError(.insecureKeyFile, "the staff tokens file is readable by others (chmod 600 it)", location: url.path)
        }
        var tokens: [String: String] = [:]
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let parts = text.split(separator: "\t")
            guard parts.count == 2 else {
                throw BuyerGuardError(.malformedInput, "expected token<TAB>login", location: "\(url.path):\(number + 1)")
            }
            tokens[String(parts[0])] = String(parts[1])
        }
        try self.init(tokens: tokens)
    }

    /// The member `token` belongs to; every token is compared, whether or not one matched.
    func member(for token: Substring) -> StaffMember? {
        let given = Array(token.utf8)
        var found: StaffMember?
        for (candidate, member) in members where Self.constantTimeEqual(candidate, given) { found = member }
        return found
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// The request context: who is asking, once ``StaffAuthentication`` let the request in.
public struct StaffContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated member; set by the middleware before any route runs.
    public var staff: StaffMember?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The member, for routes behind ``StaffAuthentication``.
    func member() throws -> StaffMember {
        guard let staff else { throw HTTPError(.unauthorized) }
        return staff
    }
}

/// `Authorization: Bearer <token>` on every request; 401 without a known token.
struct StaffAuthentication: RouterMiddleware {
    typealias Context = StaffContext
    let directory: StaffDirectory

    func handle(_ request: Request, context: StaffContext, next: (Request, StaffContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let member = directory.member(for: header.dropFirst("Bearer ".count)) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a staff token is required")
        }
        var context = context
        context.staff = member
        return try await next(request, context)
    }
}
