// swift-tools-version: 6.1
import PackageDescription

/// Settings every SyncLedger target shares: Swift 6 language mode plus the
/// upcoming features that make `any` and imports explicit.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "SyncLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "syncledger", targets: ["SyncLedgerCLI"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "SQLite", targets: ["SQLite"]),
        .library(name: "ServerSideSync", targets: ["ServerSideSync"]),
        .library(name: "SyncLedgerTesting", targets: ["SyncLedgerTesting"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "SyncLedger", targets: ["SyncLedger"]),
        .library(name: "SyncLedgerServer", targets: ["SyncLedgerServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "SQLite", dependencies: ["CSQLite"], path: "Sources/SQLite", swiftSettings: strict),
        .target(
            name: "EventLog",
            dependencies: ["SQLite", .product(name: "Crypto", package: "swift-crypto")],
            path: "EventLog",
            swiftSettings: strict
        ),
        // The pure domain: Foundation only.
        .target(name: "ServerSideSync", dependencies: [.product(name: "HashTreeCollections", package: "swift-collections")],
                path: "Sources/ServerSideSync", swiftSettings: strict),
        .target(name: "Projections", dependencies: ["EventLog", "SQLite", "ServerSideSync"], path: "Projections", swiftSettings: strict),
        .target(
            name: "SyncLedger",
            dependencies: ["EventLog", "Projections", "ServerSideSync", "SQLite"],
            path: "Sources/SyncLedger",
            swiftSettings: strict
        ),
        // The HTTP front end (`syncledger serve`): the facade and the domain's value types, on Hummingbird.
        .target(
            name: "SyncLedgerServer",
            dependencies: [
                "SyncLedger", "ServerSideSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/SyncLedgerServer",
            swiftSettings: strict
        ),
        .target(name: "SyncLedgerTesting", dependencies: ["ServerSideSync", "SyncLedger"], path: "Sources/SyncLedgerTesting", swiftSettings: strict),
        .executableTarget(
            name: "SyncLedgerCLI",
            // Front ends see the facade and the domain's value types only.
            dependencies: ["SyncLedger", "ServerSideSync", "SyncLedgerServer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/SyncLedgerCLI",
            swiftSettings: strict
        ),
        // Benchmark: swift run -c release syncledger-bench
        .executableTarget(name: "syncledger-bench", dependencies: ["SyncLedger", "Projections", "EventLog", "SQLite", "ServerSideSync", "SyncLedgerTesting", .product(name: "Crypto", package: "swift-crypto")], path: "Sources/SyncLedgerBench", swiftSettings: strict),
        // Helper launched by the cross-process tests: appends to a shared log file.
        .executableTarget(name: "eventlog-contender", dependencies: ["EventLog"], path: "Sources/EventLogContender", swiftSettings: strict),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], path: "Tests/SQLiteTests", swiftSettings: strict),
        .testTarget(name: "ServerSideSyncTests", dependencies: ["ServerSideSync", "SyncLedgerTesting", .product(name: "HashTreeCollections", package: "swift-collections")], path: "Tests/ServerSideSyncTests", swiftSettings: strict),
        .testTarget(name: "ExampleTests", dependencies: ["SyncLedgerTesting", "SyncLedger", "ServerSideSync"], path: "Tests/ExampleTests", swiftSettings: strict),
        .testTarget(name: "SyncLedgerTests", dependencies: ["SyncLedger", "Projections", "EventLog", "SQLite", "ServerSideSync", "SyncLedgerTesting"], path: "Tests/SyncLedgerTests", swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["SyncLedger", "EventLog", "SQLite", .product(name: "Crypto", package: "swift-crypto")], path: "Tests/EndToEndTests", swiftSettings: strict),
        .testTarget(name: "ServerTests", dependencies: [
            "SyncLedgerServer", "SyncLedger", "ServerSideSync", "SyncLedgerTesting",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/ServerTests", swiftSettings: strict),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "SQLite"], path: "Tests/EventLogTests", swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
