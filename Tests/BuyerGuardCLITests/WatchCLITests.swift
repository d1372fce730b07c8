import Foundation
import Testing

/// `buyerguard audit watch` following a log that other processes write, restarted midway.
@Suite final class WatchCLITests: @unchecked Sendable {  // immutable after init
    let cli: CLITests
    let vault: String
    let orders: [String]
    let canaries: String

    init() throws {
        cli = try CLITests()
        vault = cli.folder.appendingPathComponent("vault").path
        canaries = cli.folder.appendingPathComponent("canaries.txt").path
        orders = try String(contentsOf: CLITests.sample, encoding: .utf8).split(separator: "\r\n").dropFirst()
            .map { String($0.prefix { $0 != "\t" }) }
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(try cli.run(["init", "--vault", vault]).status == 0)
        #expect(try cli.run(["import", "--vault", vault, CLITests.sample.path]).status == 0)
        #expect(try cli.run(["canary", "add", "--vault", vault, "--count", "2", "--out", canaries]).status == 0)
    }

    var alertsFile: URL { cli.folder.appendingPathComponent("alerts.jsonl") }

    /// Starts `audit watch`, its alert command appending each finding to alerts.jsonl; returns once it watches.
    func startWatch() throws -> (Process, stderr: URL) {
        let stderr = cli.folder.appendingPathComponent("watch-\(UUID().uuidString.prefix(6)).err")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["audit", "watch", "--vault", vault, "--canaries", canaries, "--min-severity", "high",
                             "--interval", "100", "--exec", "cat >> '\(alertsFile.path)'"]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BUYERGUARD_") }
        process.currentDirectoryURL = cli.folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        try waitFor("the watch to start") { try String(contentsOf: stderr, encoding: .utf8).contains("watching ") }
        return (process, stderr)
    }

    /// Polls `condition` every 50 ms; fails after 60 s (a bound for a broken build, not a speed).
    func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            guard Date() < deadline else { Issue.record("timed out waiting for \(what)"); return }
            usleep(50_000)
        }
    }

    func alerts() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: alertsFile, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    func read(_ order: String, as actor: String) throws {
        let result = try cli.run(["access", "--vault", vault, "--purpose", "shipping", "--order", order, "--actor", actor])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func followsTwoWritersAndARestartWithoutReportingAnythingTwice() throws {
        let planted = try String(contentsOfFile: canaries, encoding: .utf8).split(separator: "\n").map(String.init)
        var (watch, stderr) = try startWatch()
        #expect(try alerts().isEmpty)

        // Two processes at once: both read orders, one of them touches a canary.
        let lanes = [Array(orders.prefix(15)), Array(orders.dropFirst(15).prefix(15)) + ["canary"]]
        let failures = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            for order in lanes[lane] {
                do {
                    if order == "canary" { try read(planted[0], as: "mallory") } else { try read(order, as: "packer-\(lane)") }
                } catch { failures.mutate { $0.append("\(error)") } }
            }
        }
        #expect(failures.value.isEmpty)
        try waitFor("the canary alert") {
            try alerts().map { "\($0["rule"] ?? "") \($0["actor"] ?? "")" }.contains("canary mallory")
        }
        let note = try String(contentsOf: stderr, encoding: .utf8)
        #expect(note.contains("alert: critical canary mallory"), "\(note)")

        // Stopped (its state saved), the log grows, and it comes back.
        watch.terminate()
        watch.waitUntilExit()
        let stopped = try String(contentsOf: stderr, encoding: .utf8)
        #expect(watch.terminationStatus == 0, "\(stopped)")
        try read(planted[1], as: "eve")
        for order in orders.suffix(5) { try read(order, as: "packer-0") }
        (watch, stderr) = try startWatch()
        try waitFor("eve's canary alert") { try alerts().contains { $0["actor"] as? String == "eve" } }
        try read(planted[0], as: "mallory")  // a second canary read: a new finding, once
        try waitFor("mallory's second canary alert") {
            try alerts().filter { $0["rule"] as? String == "canary" && $0["actor"] as? String == "mallory" }.count == 2
        }
        watch.terminate()
        watch.waitUntilExit()
        #expect(watch.terminationStatus == 0)

        // Nothing was reported twice, and a catch-up run with nothing new reports nothing.
        let all = try alerts()
        let keys = all.map { finding in
            let evidence = finding["evidence"] as? [String: Any]
            return "\(finding["rule"] ?? "") \(finding["actor"] ?? "") \(finding["from"] ?? "") \((evidence?["sequences"] as? [Any])?.first ?? "")"
        }
        #expect(Set(keys).count == keys.count, "\(keys)")
        #expect(all.map { "\($0["rule"] ?? "") \($0["actor"] ?? "")" }.sorted() == ["canary eve", "canary mallory", "canary mallory"], "\(keys)")
        #expect(all.allSatisfy { ($0["severity"] as? String).map { ["high", "critical"].contains($0) } ?? false })
        let again = try cli.run(["audit", "watch", "--vault", vault, "--canaries", canaries, "--once"])
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)\(again.stderr)")
        #expect(try alerts().count == all.count)

        // Its state belongs to this log: another vault's log with the same file is refused.
        let other = cli.folder.appendingPathComponent("other").path
        #expect(try cli.run(["init", "--vault", other]).status == 0)
        let state = cli.folder.appendingPathComponent("vault/audit-watch.json").path
        let refused = try cli.run(["audit", "watch", "--vault", other, "--state", state, "--once"])
        #expect(refused.status == 5 && refused.stderr.contains("another audit log"), "\(refused.stderr)")
    }

    @Test func aCatchUpRunPostsItsAlertsToTheWebhook() throws {
        let planted = try String(contentsOfFile: canaries, encoding: .utf8).split(separator: "\n").map(String.init)
        let first = try cli.run(["audit", "watch", "--vault", vault, "--canaries", canaries, "--once"])
        #expect(first.status == 0, "\(first.stderr)")  // learns the history, alerts on nothing
        try read(planted[0], as: "mallory")
        let listener = try OneRequestListener()
        let run = try cli.run(["audit", "watch", "--vault", vault, "--canaries", canaries, "--once", "--webhook", "http://127.0.0.1:\(listener.port)/alerts"])
        #expect(run.status == 8, "\(run.stderr)")
        let request = listener.received()
        #expect(request.hasPrefix("POST /alerts HTTP/1.1"), "\(request)")
        #expect(request.lowercased().contains("content-type: application/json"))
        #expect(request.contains(#""rule":"canary""#) && request.contains(#""actor":"mallory""#), "\(request)")
        // A webhook that refuses is a warning; the alert still went to stdout.
        let refusing = try OneRequestListener(status: "500 Internal Server Error")
        try read(planted[1], as: "mallory")
        let again = try cli.run(["audit", "watch", "--vault", vault, "--canaries", canaries, "--once", "--webhook", "http://127.0.0.1:\(refusing.port)/"])
        #expect(again.status == 8 && again.stdout.contains(#""rule":"canary""#))
        #expect(again.stderr.contains("the webhook did not take the alert (HTTP 500)"), "\(again.stderr)")
    }

    @Test func badOptionsAreUsageErrors() throws {
        #expect(try cli.run(["audit", "watch", "--vault", vault, "--interval", "5"]).status == 64)
        #expect(try cli.run(["audit", "watch", "--vault", vault, "--webhook", "ftp://example.org/x"]).status == 64)
        #expect(try cli.run(["audit", "watch", "--vault", vault, "--min-severity", "loud"]).status == 64)
    }
}

/// A value several threads update.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

/// A loopback HTTP listener that answers every request with `status` and keeps the first one.
final class OneRequestListener: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let done = DispatchSemaphore(value: 0)
    private let box = LockedBox<String>("")

    init(status: String = "204 No Content") throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw CocoaError(.fileWriteUnknown) }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        let box = self.box, done = self.done
        Thread.detachNewThread {
            var first = true
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var data = Data()
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = read(client, &buffer, buffer.count)
                    if count <= 0 { break }
                    data.append(contentsOf: buffer[0..<count])
                    let text = String(decoding: data, as: UTF8.self)
                    if let end = text.range(of: "\r\n\r\n") {
                        let header = text[..<end.lowerBound].lowercased()
                        let length = header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                        if text.utf8.count - text[..<end.upperBound].utf8.count >= length { break }
                    }
                }
                let answer = "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = answer.withCString { write(client, $0, strlen($0)) }
                close(client)
                if first {
                    box.mutate { $0 = String(decoding: data, as: UTF8.self) }
                    done.signal()
                    first = false
                }
            }
        }
    }

    deinit { close(socketFD) }

    /// The first request, once it came (empty after 30 s without one).
    func received() -> String {
        _ = done.wait(timeout: .now() + 30)
        return box.value
    }
}
