// swift-tools-version: 6.1
// A shop's back office on Hummingbird 2 that reads buyer data only through BuyerGuard's broker.
// Its own package, so that BuyerGuard's build does not pull in an HTTP server.

import PackageDescription

let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "ShopServer",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "shop-server", targets: ["shop-server"])],
    dependencies: [
        .package(name: "BuyerGuard", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .target(
            name: "ShopServer",
            dependencies: [
                .product(name: "BuyerGuard", package: "BuyerGuard"),
                .product(name: "BuyerGuardMessaging", package: "BuyerGuard"),
                .product(name: "BuyerGuardDetect", package: "BuyerGuard"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "shop-server", dependencies: ["ShopServer"], swiftSettings: settings),
        .testTarget(
            name: "ShopServerTests",
            dependencies: [
                "ShopServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
    ]
)
