import Foundation
import BuyerGuard

/// Terminal output: messages on stderr, a progress bar when stderr is a terminal, secret prompts.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("buyerguard: warning: \(AuditText.escaped(message))\n".utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("buyerguard: error: \(AuditText.escaped(message))\n".utf8))
    }

    /// The bytes of `path`, or of standard input for `-`; `what` names the input in the error.
    static func readInput(_ path: String, what: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw BuyerGuardError(.inputNotFound, "cannot read \(what)", location: path)
        }
        return contents
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Reads a line without echo from the controlling terminal; `nil` if there is none.
    static func readSecret(prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1, let raw = getpass(prompt) else { return nil }
        let value = String(cString: raw)
        memset(raw, 0, strlen(raw))
        return value.isEmpty ? nil : value
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second; silent off a terminal.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private let enabled: Bool
    private var drawn = false
    /// What `done` counts, when not bytes ("entries").
    private let unit: String?

    init(enabled: Bool = Terminal.stderrIsTerminal, unit: String? = nil) {
        self.enabled = enabled
        self.unit = unit
    }

    func update(label: String, done: Int, total: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= total else { return }
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let amount = unit.map { "\(done) \($0)" } ?? Self.bytes(done)
        let line = String(format: "\r%@ [%@] %3.0f%% %@", label, bar, fraction * 100, amount)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }

    static func bytes(_ count: Int) -> String {
        ByteCountFormatter.string(fromByteCount: Int64(count), countStyle: .file)
    }
}
