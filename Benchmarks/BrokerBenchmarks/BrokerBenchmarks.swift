import Benchmark
import BuyerGuard
import Foundation
import InMemoryTracing
import MetricsTestKit

/// The broker's cost, measured against reading the same fields with no broker and no audit:
/// (a) the baseline, (b) the broker with synchronous=NORMAL and one caller (and (b+) the same with
/// metrics and tracing backends that keep everything: an upper bound on what a real exporter costs), (c) the broker with
/// synchronous=FULL and 64 concurrent callers (throughput and p99 latency), and `audit verify`.
let benchmarks: @Sendable () -> Void = {
    let accessesPerSecond = BenchmarkMetric.custom("accesses/s", polarity: .prefersLarger, useScalingFactor: false)
    let p99Latency = BenchmarkMetric.custom("p99 latency (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    let entriesPerSecond = BenchmarkMetric.custom("entries/s", polarity: .prefersLarger, useScalingFactor: false)
    let orderCount = 10_000

    Benchmark(
        "(a) point read + open, no broker, no audit",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(5))
    ) { benchmark in
        let setup = try await BrokerSetup(orders: orderCount, durability: .normal)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try await setup.vault.readShippingFieldsWithoutBroker(setup.orderIDs[iteration % orderCount]))
        }
    }

    Benchmark(
        "(b) broker access, NORMAL, 1 caller",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(5))
    ) { benchmark in
        let setup = try await BrokerSetup(orders: orderCount, durability: .normal)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try await setup.access(iteration, actor: "label-printer"))
        }
    }

    Benchmark(
        "(b+) broker access, NORMAL, 1 caller, metrics + tracing backends",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(5))
    ) { benchmark in
        let metrics = TestMetrics()
        let tracer = InMemoryTracer()
        let setup = try await BrokerSetup(orders: orderCount, durability: .normal, telemetry: Telemetry(metrics: metrics, tracer: tracer))
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try await setup.access(iteration, actor: "label-printer"))
            if iteration % 4096 == 4095 {  // what an exporter's flush would do; keeps memory flat
                tracer.clearAll()
                metrics.reset()
            }
        }
    }

    Benchmark(
        "(c) broker access, FULL, 64 concurrent callers",
        configuration: .init(metrics: [.wallClock, accessesPerSecond, p99Latency], scalingFactor: .one,
                             maxDuration: .seconds(20), maxIterations: 5)
    ) { benchmark in
        let setup = try await BrokerSetup(orders: orderCount, durability: .full)
        let callers = 64
        let perCaller = 500
        for _ in benchmark.scaledIterations {
            let started = ContinuousClock.now
            benchmark.startMeasurement()
            let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        var latencies: [Duration] = []
                        latencies.reserveCapacity(perCaller)
                        for index in 0..<perCaller {
                            let start = ContinuousClock.now
                            _ = try await setup.access(caller * perCaller + index, actor: "worker-\(caller)")
                            latencies.append(ContinuousClock.now - start)
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: [Duration]()) { $0 += $1 }
            }
            benchmark.stopMeasurement()
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let sorted = latencies.sorted()
            benchmark.measurement(accessesPerSecond, Int(Double(latencies.count) / seconds))
            benchmark.measurement(p99Latency, Int(sorted[sorted.count * 99 / 100] / .microseconds(1)))
        }
    }

    Benchmark(
        "audit verify, 1M entries",
        configuration: .init(metrics: [.wallClock, entriesPerSecond], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let setup = try await BrokerSetup(orders: 1, durability: .normal)
        try await setup.vault.auditLog.appendSyntheticEntries(1_000_000)
        for _ in benchmark.scaledIterations {
            let started = ContinuousClock.now
            benchmark.startMeasurement()
            let report = try setup.vault.auditLog.verify()
            benchmark.stopMeasurement()
            precondition(report.isIntact && report.entries >= 1_000_000)
            benchmark.measurement(entriesPerSecond, Int(Double(report.entries) / ((ContinuousClock.now - started) / .seconds(1))))
        }
    }
}

/// A vault of `orders` orders in a temporary folder, and a broker over it.
final class BrokerSetup: Sendable {
    let folder: URL
    let vault: Vault
    let broker: AccessBroker
    let orderIDs: [OrderID]

    init(orders: Int, durability: Durability, telemetry: Telemetry = Telemetry()) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("buyerguard-bench-\(UUID().uuidString)")
        var configuration = VaultConfiguration()
        configuration.durability = durability
        configuration.telemetry = telemetry
        vault = try await Vault.create(at: folder.appendingPathComponent("vault"), keyProvider: try MasterKey.generate(), configuration: configuration)
        var ids: [OrderID] = []
        var batch: [MarketplaceOrder] = []
        for number in 0..<orders {
            let id = try OrderID(String(format: "40%d-%07d-%07d", 2 + number % 7, (number * 7919) % 10_000_000, number))
            ids.append(id)
            var contact = BuyerContact()
            contact[.buyerEmail] = "b\(number)@marketplace.amazon.it"
            contact[.buyerName] = "Giulia Bianchi"
            contact[.recipientName] = "Giulia Bianchi"
            contact[.addressLine1] = "Via Garibaldi \(number % 200)"
            contact[.city] = "Torino"
            contact[.postalCode] = "10123"
            contact[.countryCode] = "IT"
            contact[.shipPhone] = "+39 333 1234567"
            batch.append(MarketplaceOrder(id: id, purchaseDate: Date(), contact: contact))
        }
        try await vault.store(batch, actor: "bench")
        orderIDs = ids
        broker = AccessBroker(vault: vault)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func access(_ index: Int, actor: String) async throws -> Int {
        let request = AccessRequest(actor: actor, purpose: .shipping, orderID: orderIDs[index % orderIDs.count])
        return try await broker.withAccess(request) { contact in contact.fields.count }
    }
}
