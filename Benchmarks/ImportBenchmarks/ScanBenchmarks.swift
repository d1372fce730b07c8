import Benchmark
import BuyerGuard
import BuyerGuardDetect
import BuyerGuardTesting
import Foundation

/// `audit scan` with every rule over simulated shop logs of 1M and 10M entries: a seller with
/// 3,300 orders a day (about 100,000 a month) over 3 and 33 months, with every misuse planted.
///
/// The logs are written once (synthetic entries from ``SellerSimulation``, a few minutes for 10M)
/// and kept in `.build-bench/scan-logs` between runs. The scan runs in the release CLI as a child
/// process, whose own peak RSS is read, and in this process through `MisuseScanner`.
func scanBenchmarks() {
    let seconds = BenchmarkMetric.custom("seconds (x100)", polarity: .prefersSmaller, useScalingFactor: false)
    let entriesPerSecond = BenchmarkMetric.custom("entries/s", polarity: .prefersLarger, useScalingFactor: false)
    let childPeakMB = BenchmarkMetric.custom("CLI peak RSS (MB)", polarity: .prefersSmaller, useScalingFactor: false)

    for (label, days) in [("1M", 92), ("10M", 1000)] {
        Benchmark(
            "audit scan CLI, all rules, \(label) entries",
            configuration: .init(metrics: [seconds, entriesPerSecond, childPeakMB], scalingFactor: .one,
                                 maxDuration: .seconds(900), maxIterations: 3)
        ) { benchmark in
            let (log, entries) = try await ScanLog.prepare(days: days)
            let cli = try BenchmarkFolder.cli()
            for _ in benchmark.scaledIterations {
                let started = ContinuousClock.now
                benchmark.startMeasurement()
                let peak = try run(cli, ["audit", "scan", "--log", log.path, "--format", "jsonl", "--min-severity", "medium"], accepting: [0, 8])
                benchmark.stopMeasurement()
                let elapsed = (ContinuousClock.now - started) / .seconds(1)
                print("audit scan \(label): \(entries) entries in \(String(format: "%.2f", elapsed)) s, peak RSS \(peak / 1024) MB")
                benchmark.measurement(seconds, Int(elapsed * 100))
                benchmark.measurement(entriesPerSecond, Int(Double(entries) / elapsed))
                benchmark.measurement(childPeakMB, peak / 1024)
            }
        }

        // The same scan made into the HTML report (the picture, the tables, every finding).
        Benchmark(
            "audit report CLI, all rules, \(label) entries",
            configuration: .init(metrics: [seconds, entriesPerSecond, childPeakMB], scalingFactor: .one,
                                 maxDuration: .seconds(900), maxIterations: 3)
        ) { benchmark in
            let (log, entries) = try await ScanLog.prepare(days: days)
            let cli = try BenchmarkFolder.cli()
            let page = log.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("report.html")
            for _ in benchmark.scaledIterations {
                let started = ContinuousClock.now
                benchmark.startMeasurement()
                let peak = try run(cli, ["audit", "report", "--log", log.path, "--out", page.path, "--lang", "en"], accepting: [0])
                benchmark.stopMeasurement()
                let elapsed = (ContinuousClock.now - started) / .seconds(1)
                let size = (try FileManager.default.attributesOfItem(atPath: page.path)[.size] as? Int) ?? 0
                print("audit report \(label): \(entries) entries in \(String(format: "%.2f", elapsed)) s, peak RSS \(peak / 1024) MB, page \(size / 1024) KB")
                benchmark.measurement(seconds, Int(elapsed * 100))
                benchmark.measurement(entriesPerSecond, Int(Double(entries) / elapsed))
                benchmark.measurement(childPeakMB, peak / 1024)
            }
        }
    }

    Benchmark(
        "MisuseScanner in-process, all rules, 1M entries",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, entriesPerSecond], scalingFactor: .one,
                             maxDuration: .seconds(300), maxIterations: 3)
    ) { benchmark in
        let (url, entries) = try await ScanLog.prepare(days: 92)
        let log = try AuditLog.openForReading(at: url)
        for _ in benchmark.scaledIterations {
            let started = ContinuousClock.now
            benchmark.startMeasurement()
            let findings = try MisuseScanner().scan(log)
            benchmark.stopMeasurement()
            blackHole(findings)
            benchmark.measurement(entriesPerSecond, Int(Double(entries) / ((ContinuousClock.now - started) / .seconds(1))))
        }
    }
}

/// The simulated shop logs, written once and kept.
enum ScanLog {
    static func prepare(days: Int) async throws -> (URL, Int) {
        let folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(".build-bench/scan-logs/shop-\(days)-days")
        let log = folder.appendingPathComponent("vault/audit.sqlite")
        let done = folder.appendingPathComponent("complete")
        if !FileManager.default.fileExists(atPath: done.path) {
            try? FileManager.default.removeItem(at: folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var configuration = SellerSimulation.Configuration()
            configuration.days = days
            configuration.ordersPerDay = 3_300
            let started = ContinuousClock.now
            let vault = try await Vault.create(at: folder.appendingPathComponent("vault"), keyProvider: try MasterKey.generate(),
                                               clock: ManualClock(configuration.start))
            try await SellerSimulation(configuration).writeSynthetic(into: vault.auditLog)
            print("wrote the \(days)-day shop log in \((ContinuousClock.now - started) / .seconds(1)) s")
            try Data().write(to: done)
        }
        let entries = try await AuditLog.openForReading(at: log).count()
        return (log, Int(entries))
    }
}
