import Foundation
import Testing

/// Chromium (or Chrome) run headless on a local page, as a reader would open a report: what it
/// printed to its console, which network requests the page made (from Chromium's own NetLog, not
/// from the page's say-so), the DOM after its scripts ran, a screenshot and a PDF.
///
/// `scripts/test.sh` installs Debian's `chromium` when it is missing; `BUYERGUARD_BROWSER` names
/// another binary.
struct HeadlessBrowser {
    let executable: String

    /// The browser, or a test failure that says how to get one.
    static func find() throws -> HeadlessBrowser {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [environment["BUYERGUARD_BROWSER"]].compactMap { $0 }
        for folder in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] { candidates.append("\(folder)/\(name)") }
        }
        candidates.append("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("no headless browser: run scripts/test.sh (it installs Debian's chromium) or set BUYERGUARD_BROWSER")
            throw CancellationError()
        }
        return HeadlessBrowser(executable: found)
    }

    /// What a visit saw.
    struct Visit {
        /// The DOM after the page's scripts ran.
        var dom: String
        /// Every message the page wrote to the console (errors, CSP violations, uncaught exceptions).
        var console: [String]
        /// URLs the page itself asked the network for (the browser's own background traffic left out).
        var requests: [String]
    }

    /// Opens `page` and returns its DOM, console and the network requests its frame made.
    func visit(_ page: URL, in folder: URL) throws -> Visit {
        let netLog = folder.appendingPathComponent("netlog.json")
        let (stdout, stderr) = try run(["--dump-dom", "--log-net-log=\(netLog.path)", "--net-log-capture-mode=Default"], page: page, folder: folder)
        let console = stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Visit(dom: stdout, console: console, requests: try Self.pageRequests(netLog).filter { $0 != page.absoluteString })
    }

    /// Saves a PNG of `page` at `width` x `height` CSS pixels.
    func screenshot(_ page: URL, to png: URL, width: Int = 1280, height: Int = 2400, in folder: URL) throws {
        _ = try run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(png.path)"], page: page, folder: folder)
    }

    /// Prints `page` to a PDF, as the browser's print dialog would (print styles applied).
    func printToPDF(_ page: URL, to pdf: URL, in folder: URL) throws {
        _ = try run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)"], page: page, folder: folder)
    }

    private func run(_ arguments: [String], page: URL, folder: URL) throws -> (String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // A profile of its own, no sandbox (tests may run as root), none of the browser's background traffic that flags can stop.
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--enable-logging=stderr", "--log-level=0",
        ] + arguments + [page.absoluteString]
        let out = folder.appendingPathComponent("browser.out"), err = folder.appendingPathComponent("browser.err")
        for file in [out, err] { try Data().write(to: file) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(180)  // a hung browser fails the test instead of hanging the suite
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            Issue.record("the browser exited with \(process.terminationStatus): \(stderr.suffix(2000))")
            throw CancellationError()
        }
        return ((try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr)
    }

    /// The URLs of requests whose top frame was a local file: the page's own, however it asked.
    static func pageRequests(_ netLog: URL) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: netLog)) as? [String: Any] ?? [:]
        let constants = object["constants"] as? [String: Any] ?? [:]
        let types = constants["logEventTypes"] as? [String: Int] ?? [:]
        let starts = Set(["URL_REQUEST_START_JOB", "CORS_REQUEST"].compactMap { types[$0] })
        var urls: [String] = []
        for event in object["events"] as? [[String: Any]] ?? [] {
            guard let type = event["type"] as? Int, starts.contains(type), let params = event["params"] as? [String: Any],
                  let url = params["url"] as? String else { continue }
            let key = params["network_isolation_key"] as? String ?? ""
            let initiator = params["initiator"] as? String ?? ""
            if key.contains("file://") || initiator == "null" || url.hasPrefix("file:") { urls.append(url) }
        }
        return urls
    }
}
