import Benchmark
import BuyerGuard
import Foundation

/// Importing a report into a fresh vault: item rows per second and peak resident memory.
///
/// Two ways, on the same synthetic report:
/// - `buyerguard import` runs the release CLI as a child process (what a seller runs), and reads
///   the child's own peak RSS. This is the number the targets are about.
/// - `Vault.importOrders` runs in this process, where package-benchmark's malloc interposer adds
///   its own cost to every allocation (about a third of the time here); kept to track the library.
let benchmarks: @Sendable () -> Void = {
    maintenanceBenchmarks()
    scanBenchmarks()
    let rowsPerSecond = BenchmarkMetric.custom("item rows/s", polarity: .prefersLarger, useScalingFactor: false)
    let childPeakMB = BenchmarkMetric.custom("CLI peak RSS (MB)", polarity: .prefersSmaller, useScalingFactor: false)

    for rows in [100_000, 1_000_000] {
        let label = "\(rows / 1000)k item rows"
        Benchmark(
            "buyerguard import CLI, \(label)",
            configuration: .init(
                metrics: [.wallClock, rowsPerSecond, childPeakMB],
                scalingFactor: .one, maxDuration: .seconds(300), maxIterations: 3)
        ) { benchmark in
            let folder = try BenchmarkFolder()
            let report = try folder.report(rows: rows)
            let cli = try BenchmarkFolder.cli()
            for iteration in benchmark.scaledIterations {
                let vault = folder.url.appendingPathComponent("vault-\(iteration)").path
                try run(cli, ["init", "--vault", vault])
                let started = ContinuousClock.now
                benchmark.startMeasurement()
                let peak = try run(cli, ["import", "--quiet", "--vault", vault, report.path])
                benchmark.stopMeasurement()
                benchmark.measurement(rowsPerSecond, Int(Double(rows) / ((ContinuousClock.now - started) / .seconds(1))))
                benchmark.measurement(childPeakMB, peak / 1024)
            }
        }

        Benchmark(
            "Vault.importOrders in-process, \(label)",
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, rowsPerSecond],
                scalingFactor: .one, maxDuration: .seconds(300), maxIterations: rows >= 1_000_000 ? 1 : 3)
        ) { benchmark in
            let folder = try BenchmarkFolder()
            let report = try folder.report(rows: rows)
            for iteration in benchmark.scaledIterations {
                let vault = try await Vault.create(
                    at: folder.url.appendingPathComponent("vault-\(iteration)"), keyProvider: try MasterKey.generate())
                let started = ContinuousClock.now
                benchmark.startMeasurement()
                let summary = try await vault.importOrders(from: report)
                benchmark.stopMeasurement()
                precondition(summary.rowsAccepted == rows, "rows rejected: \(summary.rowsRejected)")
                benchmark.measurement(rowsPerSecond, Int(Double(rows) / ((ContinuousClock.now - started) / .seconds(1))))
            }
        }
    }
}

/// A temporary folder for one benchmark, removed afterwards.
final class BenchmarkFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func report(rows: Int) throws -> URL {
        let report = url.appendingPathComponent("orders-\(rows).txt")
        try SyntheticReport.write(rows: rows, to: report)
        return report
    }

    /// The release `buyerguard`: `BUYERGUARD_CLI` (set by `scripts/bench.sh`), else the one beside
    /// this benchmark's executable.
    static func cli() throws -> URL {
        let cli = ProcessInfo.processInfo.environment["BUYERGUARD_CLI"].map { URL(fileURLWithPath: $0) }
            ?? Bundle.main.executableURL!.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("buyerguard")
        guard FileManager.default.isExecutableFile(atPath: cli.path) else {
            throw BuyerGuardError(.inputNotFound, "build the CLI first: scripts/bench.sh does", location: cli.path)
        }
        return cli
    }
}

/// Runs the CLI, fails on an exit status other than `accepting`, and returns the peak RSS of the
/// children so far, in KiB.
@discardableResult
func run(_ cli: URL, _ arguments: [String], accepting statuses: Set<Int32> = [0]) throws -> Int {
    let process = Process()
    process.executableURL = cli
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard statuses.contains(process.terminationStatus) else {
        throw BuyerGuardError(.io, "buyerguard \(arguments.first ?? "") exited with \(process.terminationStatus)")
    }
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    return Int(usage.ru_maxrss)  // KiB on Linux
    #else
    getrusage(RUSAGE_CHILDREN, &usage)
    return Int(usage.ru_maxrss) / 1024  // bytes on macOS
    #endif
}
