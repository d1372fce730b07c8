import Benchmark
import BuyerGuard
import Foundation
import GRDB

/// Key rotation and retention purge on a vault made from the 1M-row report, through the release
/// CLI; and the broker's throughput while a rotation runs, against the same broker without one.
func maintenanceBenchmarks() {
    let seconds = BenchmarkMetric.custom("seconds", polarity: .prefersSmaller, useScalingFactor: false)
    let childPeakMB = BenchmarkMetric.custom("CLI peak RSS (MB)", polarity: .prefersSmaller, useScalingFactor: false)
    let ratio = BenchmarkMetric.custom("throughput during rotation (% of idle)", polarity: .prefersLarger, useScalingFactor: false)
    let idleRate = BenchmarkMetric.custom("accesses/s idle", polarity: .prefersLarger, useScalingFactor: false)
    let busyRate = BenchmarkMetric.custom("accesses/s during rotation", polarity: .prefersLarger, useScalingFactor: false)

    Benchmark(
        "keys rotate + purge CLI, vault of the 1M-row report",
        configuration: .init(metrics: [seconds, childPeakMB], scalingFactor: .one, maxDuration: .seconds(600), maxIterations: 1)
    ) { benchmark in
        let folder = try BenchmarkFolder()
        let report = try folder.report(rows: 1_000_000)
        let cli = try BenchmarkFolder.cli()
        let vault = folder.url.appendingPathComponent("vault").path
        try run(cli, ["init", "--vault", vault])
        try run(cli, ["import", "--quiet", "--vault", vault, report.path])
        var started = ContinuousClock.now
        benchmark.startMeasurement()
        let peak = try run(cli, ["keys", "rotate", "--quiet", "--vault", vault, "--batch-size", "5000"])
        benchmark.stopMeasurement()
        print("keys rotate: \((ContinuousClock.now - started) / .seconds(1)) s, peak RSS \(peak / 1024) MB")
        benchmark.measurement(seconds, Int((ContinuousClock.now - started) / .seconds(1)))
        benchmark.measurement(childPeakMB, peak / 1024)
        // Every order delivered long ago, then one purge of them all.
        let database = try DatabaseQueue(path: vault + "/vault.sqlite")
        try database.write { db in try db.execute(sql: "UPDATE orders SET delivered_at = 1") }
        try database.close()
        started = ContinuousClock.now
        try run(cli, ["purge", "--vault", vault])
        print("purge: \((ContinuousClock.now - started) / .seconds(1)) s")
    }

    Benchmark(
        "broker access during a rotation (NORMAL, 1 caller, 100k orders)",
        configuration: .init(metrics: [ratio, idleRate, busyRate], scalingFactor: .one, maxDuration: .seconds(300), maxIterations: 1)
    ) { benchmark in
        let folder = try BenchmarkFolder()
        let report = try folder.report(rows: 120_000)
        var configuration = VaultConfiguration()
        configuration.durability = .normal
        let vault = try await Vault.create(at: folder.url.appendingPathComponent("vault"), keyProvider: try MasterKey.generate(), configuration: configuration)
        _ = try await vault.importOrders(from: report)
        let database = try DatabaseQueue(path: folder.url.appendingPathComponent("vault/vault.sqlite").path)
        let orderIDs = try await database.read { db in try String.fetchAll(db, sql: "SELECT order_id FROM orders LIMIT 10000") }
            .map { try OrderID($0) }
        try database.close()
        let broker = AccessBroker(vault: vault)
        func rate(for duration: Duration) async throws -> Double {
            let start = ContinuousClock.now
            var count = 0
            while ContinuousClock.now - start < duration {
                _ = try await broker.withAccess(AccessRequest(actor: "w", purpose: .shipping, orderID: orderIDs[count % orderIDs.count])) { $0.fields.count }
                count += 1
            }
            return Double(count) / ((ContinuousClock.now - start) / .seconds(1))
        }
        benchmark.startMeasurement()
        let idle = try await rate(for: .seconds(3))
        let rotation = Task { try await vault.rotateKeys(actor: "bench") }
        try await Task.sleep(for: .milliseconds(200))
        let busy = try await rate(for: .seconds(3))
        let stillRotating = try await vault.rotationInProgress()
        _ = try await rotation.value
        benchmark.stopMeasurement()
        precondition(stillRotating, "the rotation finished before the measurement did: use a larger vault")
        benchmark.measurement(idleRate, Int(idle))
        benchmark.measurement(busyRate, Int(busy))
        benchmark.measurement(ratio, Int(100 * busy / idle))
    }
}
