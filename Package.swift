// swift-tools-version: 6.1
// BuyerGuard: buyer PII held field-encrypted, read only through a purpose-scoped broker.

import PackageDescription

import class Foundation.ProcessInfo

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]
/// The library states which imports are part of its API.
let librarySettings = strictSettings + [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "BuyerGuard",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BuyerGuard", targets: ["BuyerGuard"]),
        .library(name: "BuyerGuardTesting", targets: ["BuyerGuardTesting"]),
        .library(name: "BuyerGuardMessaging", targets: ["BuyerGuardMessaging"]),
        .library(name: "BuyerGuardDetect", targets: ["BuyerGuardDetect"]),
        .library(name: "BuyerGuardReports", targets: ["BuyerGuardReports"]),
        .executable(name: "buyerguard", targets: ["buyerguard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", exact: "1.7.3"),
    ],
    targets: [
        // libsodium, through pkg-config. Internal: never a product, never re-exported.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(
            name: "BuyerGuard",
            dependencies: [
                "CSodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: librarySettings
        ),
        .target(
            name: "BuyerGuardDetect",
            dependencies: ["BuyerGuard", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: librarySettings
        ),
        .target(
            name: "BuyerGuardReports",
            dependencies: ["BuyerGuard", "BuyerGuardDetect"],
            swiftSettings: librarySettings
        ),
        .target(
            name: "BuyerGuardMessaging",
            dependencies: ["BuyerGuard"],
            resources: [.copy("Resources/message-model.bin")],
            swiftSettings: librarySettings
        ),
        .target(
            name: "BuyerGuardTesting",
            dependencies: ["BuyerGuard"],
            swiftSettings: librarySettings
        ),
        .executableTarget(
            name: "buyerguard",
            dependencies: [
                "BuyerGuard",
                "BuyerGuardDetect",
                "BuyerGuardMessaging",
                "BuyerGuardReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BuyerGuardTests",
            dependencies: [
                "BuyerGuard",
                "BuyerGuardDetect",
                "BuyerGuardMessaging",
                "BuyerGuardReports",
                "BuyerGuardTesting",
                "CSodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BuyerGuardCLITests",
            dependencies: ["buyerguard", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
    ]
)

// Benchmarks (package-benchmark) are only part of the package when asked for, so that building
// and testing never fetch or compile the benchmark harness:
//   BUYERGUARD_BENCHMARKS=1 swift package benchmark
if ProcessInfo.processInfo.environment["BUYERGUARD_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]))
    for name in ["FieldCipherBenchmarks", "ImportBenchmarks", "BrokerBenchmarks", "MessagingBenchmarks"] {
        package.targets.append(
            .executableTarget(
                name: name,
                dependencies: [
                    "BuyerGuard",
                    "BuyerGuardMessaging",
                    "BuyerGuardDetect",
                    "BuyerGuardTesting",
                    "CSodium",
                    .product(name: "GRDB", package: "GRDB.swift"),
                    .product(name: "Benchmark", package: "benchmark"),
                    .product(name: "MetricsTestKit", package: "swift-metrics"),
                    .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                ],
                path: "Benchmarks/\(name)",
                swiftSettings: [.swiftLanguageMode(.v6)],
                plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
            ))
    }
}
