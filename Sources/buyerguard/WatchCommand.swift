import ArgumentParser
import BuyerGuard
import BuyerGuardDetect
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

extension AuditCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow the audit log as it grows and raise an alert on misuse as it happens.",
            discussion: """
                Reads the entries any process appends (the app, the CLI, several at once), runs the rules \
                on each as it arrives and checks the chain it is fed. A finding at or above --min-severity \
                is printed (one JSON line on stdout), handed to --exec (the finding's JSON on its stdin) \
                and posted to --webhook. The state file keeps its place and what it reported: a restarted \
                watch replays the log without reporting it again and reports what was written while it \
                was down, never a finding twice. The first run learns the history without reporting it \
                (`audit scan` reports the history). Stops on SIGINT or SIGTERM, with its state saved.
                Exit codes: 0 stopped; with --once: 0 nothing new, 8 findings, 5 the log failed its \
                integrity check; 65 a malformed rules, canary or state file, or a state file of another log.
                """)
        @OptionGroup var location: LogLocation
        @OptionGroup var rules: RuleOptions
        @Option(help: "Alert on findings at or above: info, low, medium, high, critical.") var minSeverity: String = "high"
        @Option(help: ArgumentHelp("Where the watch keeps its place (default: audit-watch.json beside the log).", valueName: "file"))
        var state: String?
        @Option(help: ArgumentHelp("Run this shell command for each alert, with the finding's JSON on its standard input.", valueName: "command"))
        var exec: String?
        @Option(help: ArgumentHelp("POST each alert's JSON to this http(s) URL.", valueName: "url")) var webhook: String?
        @Option(help: ArgumentHelp("How often to look for new entries, in milliseconds (50-10000).", valueName: "ms")) var interval: Int = 200
        @Flag(help: "Catch up once, alert, save the state and exit (for cron).") var once = false

        func validate() throws {
            guard Severity(rawValue: minSeverity) != nil else { throw ValidationError("--min-severity is info, low, medium, high or critical") }
            guard (50...10_000).contains(interval) else { throw ValidationError("--interval is 50 to 10000 milliseconds") }
            if let webhook {
                guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                    throw ValidationError("--webhook is an http:// or https:// URL")
                }
            }
        }

        func run() async throws {
            let threshold = Severity(rawValue: minSeverity) ?? .high
            let detection = try rules.detectionRules()
            let (log, _) = try await location.open()
            let stateFile = state.map { URL(fileURLWithPath: $0) }
                ?? log.url.deletingLastPathComponent().appendingPathComponent("audit-watch.json")
            let alerter = Alerter(exec: exec, webhook: webhook.flatMap(URL.init(string:)))
            let monitor = MisuseMonitor(rules: detection, minimumSeverity: threshold, stateFile: stateFile) { finding in
                alerter.raise(finding)
            }
            let stop = StopSignal()
            // The poll loop blocks on the alert command and the webhook (an alert is delivered
            // before the state that marks it reported is saved), so it runs on its own thread.
            let outcome: Result<Void, any Error> = await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Result {
                        try monitor.resume(from: log)
                        Terminal.note("watching \(log.url.path) from entry \(monitor.lastSequence); state in \(stateFile.path)")
                        while !once && !stop.requested {
                            stop.sleep(milliseconds: interval)
                            try monitor.catchUp(with: log)
                        }
                        try monitor.save()
                    })
                }
                thread.name = "buyerguard-watch"
                thread.start()
            }
            try outcome.get()
            if once {
                if alerter.raised.contains(where: { $0 == DetectionRules.Rule.logIntegrity.rawValue }) { throw ExitStatus.auditTampered.exitCode }
                if !alerter.raised.isEmpty { throw ExitStatus.findings.exitCode }
            }
        }
    }
}

/// SIGINT and SIGTERM end the watch after the current round, with its state saved.
final class StopSignal: @unchecked Sendable {  // `sources` is written once, in init
    private let flag = Atomic<Bool>(false)
    private var sources: [any DispatchSourceSignal] = []
    private let wake = DispatchSemaphore(value: 0)

    init() {
        let queue = DispatchQueue(label: "buyerguard.watch.signals")
        sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                flag.store(true, ordering: .sequentiallyConsistent)
                wake.signal()
            }
            source.resume()
            return source
        }
    }

    var requested: Bool { flag.load(ordering: .sequentiallyConsistent) }

    /// Sleeps, or returns early when a stop is requested.
    func sleep(milliseconds: Int) {
        _ = wake.wait(timeout: .now() + .milliseconds(milliseconds))
        if requested { wake.signal() }  // stays woken for the next call
    }
}

/// Delivers one alert: a JSON line on stdout, a note on stderr with how long after its entry it
/// came, the command and the webhook. A failed command or post is reported on stderr and the
/// watch goes on.
final class Alerter: Sendable {
    let exec: String?
    let webhook: URL?
    private let rules = Mutex<[String]>([])

    init(exec: String?, webhook: URL?) {
        self.exec = exec
        self.webhook = webhook
    }

    /// The rules of the alerts raised so far.
    var raised: [String] { rules.withLock { $0 } }

    func raise(_ finding: Finding) {
        rules.withLock { $0.append(finding.rule) }
        guard let json = try? JSONOutput.line(finding) else { return }
        FileHandle.standardOutput.write(Data((json + "\n").utf8))  // unbuffered: a pipe reads it now
        let latency = Int((Date().timeIntervalSince(finding.to) * 1000).rounded())
        Terminal.note("alert: \(finding.severity.rawValue) \(finding.rule) \(AuditText.escaped(finding.actor)), "
                      + "\(latency) ms after its last entry was written")
        if let exec { run(exec, json: json, finding: finding) }
        if let webhook { post(json, to: webhook) }
    }

    private func run(_ command: String, json: String, finding: Finding) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["BUYERGUARD_RULE"] = finding.rule
        environment["BUYERGUARD_SEVERITY"] = finding.severity.rawValue
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        do {
            try process.run()
            input.fileHandleForWriting.write(Data((json + "\n").utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            if process.terminationStatus != 0 {
                Terminal.warning("the alert command exited with status \(process.terminationStatus)")
            }
        } catch {
            Terminal.warning("cannot run the alert command: \(error.localizedDescription)")
        }
    }

    /// Three tries, 1 s and 2 s apart, 5 s each.
    private func post(_ json: String, to url: URL) {
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("buyerguard-audit-watch", forHTTPHeaderField: "User-Agent")
        request.httpBody = Data(json.utf8)
        var problem = ""
        for attempt in 0..<3 {
            if attempt > 0 { Thread.sleep(forTimeInterval: Double(attempt)) }
            let done = DispatchSemaphore(value: 0)
            let status = Mutex<Result<Int, any Error>?>(nil)
            URLSession.shared.dataTask(with: request) { _, response, error in
                status.withLock { $0 = error.map { .failure($0) } ?? .success((response as? HTTPURLResponse)?.statusCode ?? 0) }
                done.signal()
            }.resume()
            done.wait()
            switch status.withLock({ $0 }) {
            case .success(let code) where (200..<300).contains(code): return
            case .success(let code): problem = "HTTP \(code)"
            case .failure(let error): problem = error.localizedDescription
            case nil: problem = "no answer"
            }
        }
        Terminal.warning("the webhook did not take the alert (\(problem)): \(url.host ?? "")")
    }
}
